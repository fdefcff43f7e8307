#pragma once

// The coordinator's trace store: the spans every executor recorded for its
// traced records (collected from GET /spans with the once-a-second scrape),
// grouped by trace, for GET /api/v1/traces (docs/api.md) and the exporter.
//
// Bounded: at most `max_traces` traces (the oldest, by when the store first
// saw them, are evicted) and `max_spans_per_trace` spans each (later ones
// are dropped and counted). In memory only: a restarted coordinator starts
// empty.
//
// Threading: every method is safe from any thread (one mutex, never held
// across I/O).

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace eddy::control {

struct stored_span {
    std::string span_id;         // 16 hex digits
    std::string parent_span_id;  // 16 hex digits, or empty for a trace's root
    std::string computation;
    std::uint32_t instance = 0;     // index within the computation
    std::uint32_t instance_id = 0;  // global instance id
    std::string host;
    std::string kind;  // received, processed, produced, sent
    std::int64_t start_us = 0;
    std::int64_t end_us = 0;
    std::string stream;
    std::string key;
};

struct stored_trace {
    std::string trace_id;  // 32 hex digits
    std::vector<stored_span> spans;
    // When the last span arrived: a trace quiet for a while is complete.
    std::chrono::steady_clock::time_point updated;
    bool exported = false;
};

struct trace_store_options {
    std::size_t max_traces = 10'000;          // default 10,000
    std::size_t max_spans_per_trace = 1'000;  // default 1,000
};

class trace_store {
public:
    explicit trace_store(trace_store_options options = {}) : _options(options) {}

    // Adds the spans of one executor's GET /spans page
    // ({"computation", "instance", "instance_id", "spans": [...]}), which
    // runs on `host`. Malformed spans are skipped and counted.
    void add_page(const nlohmann::json& page, std::string_view host,
                  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
    void add(std::string_view trace_id, stored_span span,
             std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

    // {"traces": [summary...]}, newest (by start) first, at most `limit`.
    [[nodiscard]] nlohmann::json list(std::size_t limit) const;
    // {"trace_id", "spans": [...]} ordered by start; nullopt for an unknown id.
    [[nodiscard]] std::optional<nlohmann::json> find(std::string_view trace_id) const;

    // The traces no span has come to since `quiet` before `now`, not taken
    // before: what the exporter sends. Marks them taken.
    [[nodiscard]] std::vector<stored_trace> take_completed(
        std::chrono::steady_clock::time_point now, std::chrono::milliseconds quiet);

    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] std::uint64_t evicted() const;
    [[nodiscard]] std::uint64_t dropped_spans() const;

private:
    // REQUIRES: _mu held.
    [[nodiscard]] static nlohmann::json summary(const stored_trace& trace);

    const trace_store_options _options;
    mutable std::mutex _mu;
    std::unordered_map<std::string, stored_trace> _traces;  // GUARDED_BY(_mu)
    std::deque<std::string> _arrival;                       // GUARDED_BY(_mu): oldest first
    std::uint64_t _evicted = 0;                             // GUARDED_BY(_mu)
    std::uint64_t _dropped_spans = 0;                       // GUARDED_BY(_mu)
};

// Spans ordered by start (then end), as the API and the exporter give them.
void sort_spans(std::vector<stored_span>& spans);
[[nodiscard]] nlohmann::json to_json(const stored_span& span);

}  // namespace eddy::control
