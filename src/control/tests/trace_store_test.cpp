// The coordinator's trace store (grouping, summaries, bounds, completion)
// and the OTLP/JSON export's document shape and target parsing.

#include "control/trace_store.hpp"

#include "control/trace_export.hpp"

#include <gtest/gtest.h>

namespace eddy::control {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string trace_id(int n) {
    auto text = std::to_string(n);
    return std::string(32 - text.size(), '0') + text;
}

std::string span_id(int n) {
    auto text = std::to_string(n);
    return std::string(16 - text.size(), 'a') + text;
}

stored_span make_span(int id, int parent, const std::string& computation, const char* kind,
                      std::int64_t start, std::int64_t end) {
    return stored_span{.span_id = span_id(id),
                       .parent_span_id = parent == 0 ? "" : span_id(parent),
                       .computation = computation,
                       .instance = 0,
                       .instance_id = 7,
                       .host = "local",
                       .kind = kind,
                       .start_us = start,
                       .end_us = end,
                       .stream = "s",
                       .key = "k"};
}

TEST(trace_store, groups_spans_by_trace_and_summarises_them) {
    trace_store store;
    store.add(trace_id(1), make_span(2, 1, "splitter", "received", 120, 130));
    store.add(trace_id(1), make_span(1, 0, "sentences", "produced", 100, 101));
    store.add(trace_id(1), make_span(3, 2, "counter", "received", 150, 190));
    store.add(trace_id(2), make_span(9, 0, "other", "produced", 500, 510));

    const auto listed = store.list(10)["traces"];
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0]["trace_id"], trace_id(2));  // newest first
    const auto& first = listed[1];
    EXPECT_EQ(first["root"], "sentences");
    EXPECT_EQ(first["start_us"], 100);
    EXPECT_EQ(first["duration_us"], 90);
    EXPECT_EQ(first["spans"], 3);
    EXPECT_EQ(first["computations"], json({"sentences", "splitter", "counter"}));
    EXPECT_EQ(store.list(1)["traces"].size(), 1u);

    const auto found = store.find(trace_id(1));
    ASSERT_TRUE(found);
    const auto& spans = (*found)["spans"];
    ASSERT_EQ(spans.size(), 3u);
    EXPECT_EQ(spans[0]["span_id"], span_id(1));  // by start
    EXPECT_EQ(spans[0]["parent_span_id"], "");
    EXPECT_EQ(spans[1]["parent_span_id"], span_id(1));
    EXPECT_EQ(spans[2]["attributes"], json({{"stream", "s"}, {"key", "k"}}));
    EXPECT_EQ(spans[2]["instance_id"], 7);
    EXPECT_FALSE(store.find(trace_id(3)));
}

TEST(trace_store, evicts_the_oldest_traces_beyond_its_bound) {
    trace_store store({.max_traces = 3, .max_spans_per_trace = 2});
    for (int t = 1; t <= 5; ++t) {
        store.add(trace_id(t), make_span(t, 0, "c", "produced", t, t));
    }
    EXPECT_EQ(store.size(), 3u);
    EXPECT_EQ(store.evicted(), 2u);
    EXPECT_FALSE(store.find(trace_id(1)));
    EXPECT_FALSE(store.find(trace_id(2)));
    EXPECT_TRUE(store.find(trace_id(5)));
    // Spans beyond a trace's bound are dropped and counted.
    store.add(trace_id(5), make_span(50, 5, "c", "sent", 6, 7));
    store.add(trace_id(5), make_span(51, 5, "c", "sent", 6, 7));
    EXPECT_EQ((*store.find(trace_id(5)))["spans"].size(), 2u);
    EXPECT_EQ(store.dropped_spans(), 1u);
}

TEST(trace_store, reads_executor_pages_and_skips_malformed_spans) {
    trace_store store;
    const json page{{"computation", "splitter"},
                    {"instance", 1},
                    {"instance_id", 4},
                    {"spans",
                     {{{"trace_id", trace_id(1)},
                       {"span_id", span_id(1)},
                       {"parent_span_id", ""},
                       {"kind", "processed"},
                       {"start_us", 10},
                       {"end_us", 20},
                       {"stream", "lines"},
                       {"key", "x"}},
                      {{"trace_id", "not hex"}, {"span_id", span_id(2)}},
                      {{"trace_id", trace_id(2)}, {"span_id", span_id(3)}, {"start_us", "soon"}},
                      json::array()}}};
    store.add_page(page, "host-a");
    EXPECT_EQ(store.dropped_spans(), 3u);
    const auto spans = (*store.find(trace_id(1)))["spans"];
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0]["computation"], "splitter");
    EXPECT_EQ(spans[0]["instance"], 1);
    EXPECT_EQ(spans[0]["instance_id"], 4);
    EXPECT_EQ(spans[0]["host"], "host-a");
    EXPECT_EQ(spans[0]["attributes"]["stream"], "lines");
}

TEST(trace_store, a_trace_is_complete_once_quiet_and_is_taken_once) {
    trace_store store;
    const auto t0 = std::chrono::steady_clock::time_point() + 1h;
    store.add(trace_id(1), make_span(1, 0, "c", "produced", 1, 2), t0);
    store.add(trace_id(2), make_span(2, 0, "c", "produced", 1, 2), t0 + 2s);
    auto taken = store.take_completed(t0 + 3s, 2s);
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_EQ(taken[0].trace_id, trace_id(1));
    EXPECT_TRUE(store.take_completed(t0 + 3s, 2s).empty());
    taken = store.take_completed(t0 + 10s, 2s);
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_EQ(taken[0].trace_id, trace_id(2));
}

TEST(otlp_json, has_the_export_request_shape) {
    stored_trace trace{trace_id(1), {}, {}};
    trace.spans.push_back(make_span(2, 1, "splitter", "received", 120, 130));
    trace.spans.push_back(make_span(1, 0, "sentences", "produced", 100, 101));
    const auto document = otlp_json(trace);
    const auto& resources = document.at("resourceSpans");
    ASSERT_EQ(resources.size(), 2u);
    const auto& first = resources[0];
    EXPECT_EQ(first.at("resource").at("attributes").at(0),
              json({{"key", "service.name"}, {"value", {{"stringValue", "sentences"}}}}));
    const auto& span = first.at("scopeSpans").at(0).at("spans").at(0);
    EXPECT_EQ(span.at("traceId"), trace_id(1));
    EXPECT_EQ(span.at("spanId"), span_id(1));
    EXPECT_FALSE(span.contains("parentSpanId"));
    EXPECT_EQ(span.at("startTimeUnixNano"), "100000");
    EXPECT_EQ(span.at("endTimeUnixNano"), "101000");
    EXPECT_EQ(span.at("name"), "sentences produced");
    const auto& child = resources[1].at("scopeSpans").at(0).at("spans").at(0);
    EXPECT_EQ(child.at("parentSpanId"), span_id(1));
    EXPECT_EQ(child.at("kind"), 5);  // SPAN_KIND_CONSUMER
    bool key_found = false;
    for (const auto& attribute : child.at("attributes")) {
        if (attribute.at("key") == "eddy.key") {
            EXPECT_EQ(attribute.at("value").at("stringValue"), "k");
            key_found = true;
        }
    }
    EXPECT_TRUE(key_found);
}

TEST(parse_trace_export, reads_files_and_http_endpoints) {
    const auto file = parse_trace_export("file:/tmp/traces.jsonl");
    ASSERT_TRUE(file);
    EXPECT_EQ(file->to, trace_export_target::kind::file);
    EXPECT_EQ(file->path, "/tmp/traces.jsonl");
    const auto http = parse_trace_export("http://collector:4318/v1/traces");
    ASSERT_TRUE(http);
    EXPECT_EQ(http->to, trace_export_target::kind::http);
    EXPECT_EQ(http->host, "collector");
    EXPECT_EQ(http->port, 4318);
    EXPECT_EQ(http->path, "/v1/traces");
    EXPECT_EQ(parse_trace_export("http://collector:4318")->path, "/v1/traces");
}

TEST(parse_trace_export, says_what_is_wrong) {
    EXPECT_EQ(parse_trace_export("file:").error(), "trace export 'file:' names no file");
    EXPECT_EQ(parse_trace_export("ftp://x").error(),
              "trace export 'ftp://x' must be file:PATH or http://HOST:PORT/PATH");
    EXPECT_EQ(parse_trace_export("http://collector/v1").error(),
              "trace export 'http://collector/v1': say HOST:PORT");
    EXPECT_EQ(parse_trace_export("http://c:99999/").error(),
              "trace export 'http://c:99999/': port '99999' is not from 1 to 65535");
}

}  // namespace
}  // namespace eddy::control

// The manifest refuses a bad sampling rate at deploy (manifest.cpp).
#include "control/manifest.hpp"

namespace eddy::control {
namespace {

TEST(manifest_tracing, a_bad_sample_rate_is_refused_with_its_place) {
    const auto parsed = parse_manifest(R"(name: gen
builtin: generator
config: {trace_sample_one_in: sometimes, trace_keys: "a,b"}
)",
                                       "m.yaml");
    ASSERT_FALSE(parsed);
    ASSERT_EQ(parsed.error().problems.size(), 1u);
    EXPECT_EQ(parsed.error().problems[0].to_string(),
              "m.yaml:3:31: computation 'gen': config trace_sample_one_in 'sometimes' must be an "
              "integer from 0 (tracing off) to 1000000000");
    EXPECT_TRUE(parse_manifest("name: gen\nbuiltin: generator\nconfig: {trace_sample_one_in: 0}\n",
                               "m.yaml"));
}

}  // namespace
}  // namespace eddy::control
