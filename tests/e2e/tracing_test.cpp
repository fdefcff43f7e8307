// Tracing end to end: a C++ word count (generator -> splitter -> counter ->
// file sink, one executor per instance) sampled one record in 100 and with a
// trace key, against a real `eddy up --detach` that exports its traces as
// OTLP/JSON. `eddy trace ls` lists the traces; one that starts at the
// generator has spans at every computation of the path, with each hop's
// kinds, parent links forming one tree, and start times that never go back
// along a path. The HTTP export posts the same documents to a server here.

#include "cluster_fixture.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

class tracing : public cluster_test {
protected:
    void SetUp() override { copy_library(EDDY_WORDCOUNT_LIBRARY, "libwordcount.so"); }

    void up_exporting(const std::string& target) {
        const auto result = eddy({"up", "--detach", "--trace-export", target}, 40s);
        ASSERT_EQ(result.exit_code, 0) << "eddy up --detach --trace-export\n" << result;
    }

    void deploy_word_count() {
        const auto yaml = R"(computations:
  - name: sentences
    builtin: generator
    outputs: [lines]
    config: {stream: lines, kind: sentences, rate: 100, seed: 5, trace_sample_one_in: 100}
  - name: splitter
    library: libwordcount.so
    class: splitter
    instances: 2
    inputs: [{stream: lines, grouping: shuffle}]
    outputs: [words]
    config: {trace_sample_one_in: 0, trace_keys: "the, quick"}
  - name: counter
    library: libwordcount.so
    class: word_counter
    instances: 2
    inputs: [{stream: words, grouping: key}]
    outputs: [counts]
    config: {trace_sample_one_in: 0}
  - name: sink
    builtin: file
    inputs: [counts]
    config: {stream: counts, path: ")" +
                          path("counts.txt").string() +
                          R"(", format: "key value"}
)";
        const auto result = eddy({"deploy", write_manifest("wordcount.yaml", yaml).string()});
        ASSERT_EQ(result.exit_code, 0) << result;
    }

    json trace_list() {
        const auto result = eddy({"trace", "ls", "--limit", "200", "--json"}, 20s);
        EXPECT_EQ(result.exit_code, 0) << result;
        const auto document = json::parse(result.out, nullptr, false);
        return document.is_discarded() ? json::object() : document;
    }
    json trace(const std::string& id) {
        const auto result = eddy({"trace", id, "--json"}, 20s);
        EXPECT_EQ(result.exit_code, 0) << result;
        const auto document = json::parse(result.out, nullptr, false);
        return document.is_discarded() ? json::object() : document;
    }
};

// What is wrong with `spans` as one trace of the whole word count from the
// generator on; empty when nothing is.
std::string check_full_path(const json& spans) {
    std::map<std::string, const json*> by_id;
    std::map<std::string, std::set<std::string>> kinds;  // by computation
    for (const auto& s : spans) {
        by_id[s["span_id"].get<std::string>()] = &s;
        kinds[s["computation"].get<std::string>()].insert(s["kind"].get<std::string>());
    }
    const std::map<std::string, std::set<std::string>> expected{
        {"sentences", {"produced", "sent"}},
        {"splitter", {"received", "processed", "produced", "sent"}},
        {"counter", {"received", "processed", "produced", "sent"}},
        {"sink", {"received", "processed"}}};
    if (kinds != expected) {
        return "the spans' kinds by computation are " + json(kinds).dump();
    }
    std::size_t roots = 0;
    for (const auto& s : spans) {
        const auto parent = s["parent_span_id"].get<std::string>();
        const auto start = s["start_us"].get<std::int64_t>();
        if (s["end_us"].get<std::int64_t>() < start) {
            return "span ends before it starts: " + s.dump();
        }
        if (parent.empty()) {
            ++roots;
            if (s["computation"] != "sentences" || s["kind"] != "produced") {
                return "the root is not the generator's produced span: " + s.dump();
            }
            continue;
        }
        const auto found = by_id.find(parent);
        if (found == by_id.end()) {
            return "parent " + parent + " of " + s.dump() + " is not in the trace";
        }
        if (start < (*found->second)["start_us"].get<std::int64_t>()) {
            return "span starts before its parent: " + s.dump() + " parent " +
                   found->second->dump();
        }
    }
    return roots == 1 ? "" : "the trace has " + std::to_string(roots) + " roots";
}

TEST_F(tracing, a_sampled_trace_covers_every_hop_and_is_exported_to_a_file) {
    const auto exported = path("traces.jsonl");
    ASSERT_NO_FATAL_FAILURE(up_exporting("file:" + exported.string()));
    ASSERT_NO_FATAL_FAILURE(deploy_word_count());
    ASSERT_TRUE(wait_running({"sentences", "splitter", "counter", "sink"}, 30s))
        << instances().dump(2);

    // A trace from the generator whose every hop has been collected.
    std::string full;
    std::string last_problem = "no trace rooted at sentences yet";
    bool keyed = false;
    ASSERT_TRUE(wait_until(
        [&] {
            const auto listing = trace_list();
            for (const auto& t : listing.value("traces", json::array())) {
                if (t["root"] == "splitter") {
                    keyed = true;
                }
                if (!full.empty() || t["root"] != "sentences" || t["computations"].size() != 4) {
                    continue;
                }
                const auto spans = trace(t["trace_id"].get<std::string>())["spans"];
                last_problem = check_full_path(spans);
                if (last_problem.empty()) {
                    full = t["trace_id"].get<std::string>();
                }
            }
            return !full.empty() && keyed;
        },
        60s))
        << last_problem << "\nkeyed trace seen: " << keyed << "\n"
        << coordinator_log();

    // A trace key starts traces at the splitter (its sampling is off), on those keys only.
    bool key_checked = false;
    std::string seen;
    const auto listing = trace_list();
    for (const auto& t : listing.value("traces", json::array())) {
        if (t["root"] != "splitter") {
            continue;
        }
        const auto spans = trace(t["trace_id"].get<std::string>())["spans"];
        seen = spans.dump();
        for (const auto& s : spans) {
            if (s["parent_span_id"] == "") {
                const auto key = s["attributes"]["key"].get<std::string>();
                EXPECT_TRUE(key == "the" || key == "quick") << s.dump();
                key_checked = true;
            }
        }
    }
    EXPECT_TRUE(key_checked) << seen;

    // The human renderings name the trace and its hops.
    const auto listed = eddy({"trace", "ls"});
    EXPECT_EQ(listed.exit_code, 0) << listed;
    EXPECT_NE(listed.out.find("TRACE"), std::string::npos) << listed;
    const auto shown = eddy({"trace", full});
    EXPECT_EQ(shown.exit_code, 0) << shown;
    for (const char* part :
         {"sentences[0] produced", "splitter[", "counter[", "sink[0] processed"}) {
        EXPECT_NE(shown.out.find(part), std::string::npos) << part << "\n" << shown.out;
    }
    const auto unknown = eddy({"trace", std::string(32, 'a')});
    EXPECT_EQ(unknown.exit_code, 1) << unknown;
    EXPECT_NE(unknown.err.find("no trace"), std::string::npos) << unknown;
    const auto bad = eddy({"trace", "nonsense"});
    EXPECT_EQ(bad.exit_code, 2) << bad;

    // The file export: one OTLP/JSON document per line; the full trace is
    // there once it has been quiet for a few seconds.
    json document;
    ASSERT_TRUE(wait_until(
        [&] {
            std::ifstream in(exported);
            std::string line;
            while (std::getline(in, line)) {
                auto parsed = json::parse(line, nullptr, false);
                if (!parsed.is_discarded() && parsed.dump().find(full) != std::string::npos) {
                    document = std::move(parsed);
                    return true;
                }
            }
            return false;
        },
        30s))
        << coordinator_log();
    std::set<std::string> services;
    std::size_t spans = 0;
    for (const auto& resource : document.at("resourceSpans")) {
        for (const auto& attribute : resource.at("resource").at("attributes")) {
            if (attribute.at("key") == "service.name") {
                services.insert(attribute.at("value").at("stringValue").get<std::string>());
            }
        }
        for (const auto& span : resource.at("scopeSpans").at(0).at("spans")) {
            ++spans;
            EXPECT_EQ(span.at("traceId"), full);
            EXPECT_EQ(span.at("spanId").get<std::string>().size(), 16u);
            EXPECT_TRUE(span.at("startTimeUnixNano").is_string());
            EXPECT_LE(std::stoll(span.at("startTimeUnixNano").get<std::string>()),
                      std::stoll(span.at("endTimeUnixNano").get<std::string>()));
        }
    }
    EXPECT_EQ(services, (std::set<std::string>{"sentences", "splitter", "counter", "sink"}));
    EXPECT_GE(spans, 12u);
}

TEST_F(tracing, completed_traces_are_posted_to_an_http_endpoint) {
    httplib::Server collector;
    std::mutex mu;
    std::vector<json> posted;
    bool fail_first = true;  // the exporter must retry
    collector.Post("/v1/traces", [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mu);
        if (fail_first) {
            fail_first = false;
            res.status = 503;
            return;
        }
        posted.push_back(json::parse(req.body, nullptr, false));
        res.set_content("{}", "application/json");
    });
    const int port = collector.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    std::thread serving([&] { collector.listen_after_bind(); });
    ASSERT_NO_FATAL_FAILURE(
        up_exporting("http://127.0.0.1:" + std::to_string(port) + "/v1/traces"));
    ASSERT_NO_FATAL_FAILURE(deploy_word_count());
    const bool received = wait_until(
        [&] {
            std::lock_guard lock(mu);
            return !posted.empty();
        },
        60s);
    collector.stop();
    serving.join();
    ASSERT_TRUE(received) << coordinator_log();
    std::lock_guard lock(mu);
    for (const auto& document : posted) {
        ASSERT_FALSE(document.is_discarded());
        const auto& spans = document.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans");
        ASSERT_FALSE(spans.empty());
        EXPECT_EQ(spans.at(0).at("traceId").get<std::string>().size(), 32u);
    }
}

}  // namespace
}  // namespace eddy::testing
