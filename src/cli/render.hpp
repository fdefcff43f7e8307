#pragma once

// Human renderings of the API's answers (docs/api.md), as `eddy ls`,
// `eddy graph` and `eddy status` print them. Pure functions of the JSON, so
// the exact text is unit-tested; fields missing from an answer render as
// "-" rather than failing, since an older coordinator may not send them all.
// A field of the wrong type throws nlohmann::json::exception, which the
// CLI's top level reports.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace eddy::cli {

// GET /api/v1/computations → one row per computation (name, status,
// instances, delivery, records/s in and out), then each `last_error`.
[[nodiscard]] std::string render_computations(const nlohmann::json& answer);

// GET /api/v1/instances → one row per instance (computation, index, id, pid,
// state, restarts, records in, records out, records dropped).
[[nodiscard]] std::string render_instances(const nlohmann::json& answer);

// GET /api/v1/status → one `field  value` line per field; `api_url` is where
// the CLI reached it.
[[nodiscard]] std::string render_status(const nlohmann::json& answer, std::string_view api_url);

// GET /api/v1/graph → the nodes (marking sources and sinks), then one line
// per edge: `splitter --words[key]--> counter`.
[[nodiscard]] std::string render_graph(const nlohmann::json& graph);

// GET /api/v1/computations → `eddy top`'s table: per computation its status,
// instances, records/s in and out, busy and backpressured shares, p50 and
// p99 processing latency, watermark lag, dead letters and restarts.
[[nodiscard]] std::string render_top(const nlohmann::json& answer);

// GET /api/v1/traces → one row per trace (id, root computation, start in
// UTC, duration, spans, the computations on its path).
[[nodiscard]] std::string render_traces(const nlohmann::json& answer);

// GET /api/v1/traces/<id> → the spans as a tree by parent, one line each:
// start offset from the trace's first span, duration, then indented by
// depth `computation[instance] kind @host  stream=... key=...`.
[[nodiscard]] std::string render_trace(const nlohmann::json& answer);

// GET /api/v1/graph → a Graphviz `digraph`.
[[nodiscard]] std::string render_graph_dot(const nlohmann::json& graph);

}  // namespace eddy::cli
