// A sampled trace through three SDK languages (issue 11): a C++ generator
// feeds a splitter, a counter and a sink in three other languages (Python, Go
// and Node.js; then Java, Ruby and Python, so that every SDK is on a path),
// deployed with `eddy up` and `eddy deploy`; the generator starts a trace for
// one record in ten. One trace read back from `GET /api/v1/traces/<id>` covers every hop:
// each computation's processed span, each channel's sent and received spans,
// and each SDK computation's produced span hanging off its processed span
// (the SDK echoed the input's trace context, docs/protocol.md 11.3). The
// parent links form one tree rooted at the generator and start times never
// go back along a path.

#include "cluster_fixture.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

std::string wordcount(const std::string& language) {
    return std::string(EDDY_SDK_BUILD_DIR) + "/" + language + "/bin/wordcount";
}

std::string contents(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The computations of the path, upstream first, and the kinds of span each
// records for a traced record.
const std::vector<std::string> path_order{"sentences", "splitter", "counter", "sink"};
const std::map<std::string, std::set<std::string>> kinds_by_computation{
    {"sentences", {"produced", "sent"}},
    {"splitter", {"received", "processed", "produced", "sent"}},
    {"counter", {"received", "processed", "produced", "sent"}},
    {"sink", {"received", "processed"}}};

// The hop every span kind continues: (kind of the parent, whether the parent
// is upstream of it). A root has none.
struct expected_parent {
    std::string kind;
    bool upstream = false;
};
const std::map<std::string, expected_parent> parent_of_kind{{"received", {"sent", true}},
                                                            {"processed", {"received", false}},
                                                            {"produced", {"processed", false}},
                                                            {"sent", {"produced", false}}};

std::string upstream_of(const std::string& computation) {
    for (std::size_t i = 1; i < path_order.size(); ++i) {
        if (path_order[i] == computation) {
            return path_order[i - 1];
        }
    }
    return "";
}

// What is wrong with `spans` as one trace through the whole path; empty when
// nothing is.
std::string check_trace(const json& spans) {
    std::map<std::string, const json*> by_id;
    std::map<std::string, std::set<std::string>> kinds;
    for (const auto& s : spans) {
        const auto id = s.at("span_id").get<std::string>();
        if (id.size() != 16 || !by_id.emplace(id, &s).second) {
            return "span id " + id + " is not 16 hex digits or not unique";
        }
        kinds[s.at("computation").get<std::string>()].insert(s.at("kind").get<std::string>());
    }
    if (kinds != kinds_by_computation) {
        return "the spans' kinds by computation are " + json(kinds).dump();
    }
    std::size_t roots = 0;
    for (const auto& s : spans) {
        const auto kind = s.at("kind").get<std::string>();
        const auto computation = s.at("computation").get<std::string>();
        const auto start = s.at("start_us").get<std::int64_t>();
        if (s.at("end_us").get<std::int64_t>() < start) {
            return "a span ends before it starts: " + s.dump();
        }
        if (s.at("host").get<std::string>().empty() || !s.at("instance").is_number()) {
            return "a span does not say where it was recorded: " + s.dump();
        }
        const auto parent_id = s.at("parent_span_id").get<std::string>();
        if (parent_id.empty()) {
            ++roots;
            if (computation != "sentences" || kind != "produced") {
                return "a root that is not the generator's produced span: " + s.dump();
            }
            continue;
        }
        const auto found = by_id.find(parent_id);
        if (found == by_id.end()) {
            return "the parent of " + s.dump() + " is not in the trace";
        }
        const json& parent = *found->second;
        const auto& expected = parent_of_kind.at(kind);
        const auto parent_computation = expected.upstream ? upstream_of(computation) : computation;
        if (parent.at("kind") != expected.kind || parent.at("computation") != parent_computation ||
            (!expected.upstream && parent.at("instance") != s.at("instance"))) {
            return "the parent of " + s.dump() + " is " + parent.dump() + ", not a " +
                   expected.kind + " span of " + parent_computation;
        }
        if (start < parent.at("start_us").get<std::int64_t>()) {
            return "a span starts before its parent: " + s.dump() + " parent " + parent.dump();
        }
    }
    if (roots != 1) {
        return "the trace has " + std::to_string(roots) + " roots";
    }
    // Every sink span reaches the root through the whole path, hop by hop,
    // start times never increasing on the way up: the links form one tree.
    for (const auto& s : spans) {
        if (s.at("computation") != "sink" || s.at("kind") != "processed") {
            continue;
        }
        std::vector<std::string> walked;
        std::int64_t later = s.at("start_us").get<std::int64_t>();
        for (const json* at = &s; at != nullptr;) {
            walked.push_back(at->at("computation").get<std::string>() + ":" +
                             at->at("kind").get<std::string>());
            if (walked.size() > spans.size()) {
                return "the parent links of " + s.dump() + " form a cycle";
            }
            const auto start = at->at("start_us").get<std::int64_t>();
            if (start > later) {
                return "start times go back along the path of " + s.dump();
            }
            later = start;
            const auto parent = at->at("parent_span_id").get<std::string>();
            at = parent.empty() ? nullptr : by_id.at(parent);
        }
        const std::vector<std::string> hops{
            "sink:processed",     "sink:received",     "counter:sent",   "counter:produced",
            "counter:processed",  "counter:received",  "splitter:sent",  "splitter:produced",
            "splitter:processed", "splitter:received", "sentences:sent", "sentences:produced"};
        if (walked != hops) {
            return "a sink span's path up is " + json(walked).dump();
        }
    }
    return "";
}

// The languages of the splitter, the counter and the sink.
struct languages {
    std::string splitter;
    std::string counter;
    std::string sink;
};

std::ostream& operator<<(std::ostream& os, const languages& l) {
    return os << l.splitter << "_" << l.counter << "_" << l.sink;
}

class sdk_tracing : public cluster_test, public ::testing::WithParamInterface<languages> {
protected:
    json get(const std::string& target) {
        const auto port = std::stoi(contents(home() / "api.port"));
        auto token = contents(home() / "token");
        while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) {
            token.pop_back();
        }
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(10, 0);
        const auto response = client.Get(target, {{"Authorization", "Bearer " + token}});
        if (!response) {
            ADD_FAILURE() << "GET " << target << ": no answer";
            return json::object();
        }
        EXPECT_EQ(response->status, 200) << "GET " << target << ": " << response->body;
        auto body = json::parse(response->body, nullptr, false);
        return body.is_discarded() ? json::object() : body;
    }
};

TEST_P(sdk_tracing, a_sampled_trace_covers_every_hop_of_a_three_language_topology) {
    const auto& language = GetParam();
    const auto counts = path("counts.txt");
    ASSERT_NO_FATAL_FAILURE(up());
    const std::string yaml =
        "computations:\n"
        "  - name: sentences\n"
        "    builtin: generator\n"
        "    outputs: [lines]\n"
        "    config: {stream: lines, kind: sentences, rate: 50, seed: 5,"
        " trace_sample_one_in: 10}\n"
        "  - name: splitter\n"
        "    command: [" +
        wordcount(language.splitter) +
        ", splitter]\n"
        "    inputs: [lines]\n"
        "    outputs: [words]\n"
        "    config: {trace_sample_one_in: 0}\n"
        "  - name: counter\n"
        "    command: [" +
        wordcount(language.counter) +
        ", counter]\n"
        "    instances: 2\n"
        "    inputs: [{stream: words, grouping: key}]\n"
        "    outputs: [counts]\n"
        "    config: {trace_sample_one_in: 0}\n"
        "  - name: sink\n"
        "    command: [" +
        wordcount(language.sink) +
        ", sink]\n"
        "    inputs: [counts]\n"
        "    config: {path: " +
        counts.string() + ", trace_sample_one_in: 0}\n";
    const auto deployed = eddy({"deploy", write_manifest("traced.yaml", yaml).string()});
    ASSERT_EQ(deployed.exit_code, 0) << deployed;
    ASSERT_TRUE(wait_running({"sentences", "splitter", "counter", "sink"}, 60s))
        << instances().dump(2) << coordinator_log();

    // A trace from the generator whose every hop has been collected: spans
    // arrive from each executor on its own schedule, so a young trace may
    // still lack its downstream part.
    std::string problem = "no trace rooted at sentences through all four computations yet";
    json spans;
    const bool found = wait_until(
        [&] {
            for (const auto& t : get("/api/v1/traces?limit=100").value("traces", json::array())) {
                if (t.at("root") != "sentences" || t.at("computations").size() != 4) {
                    continue;
                }
                const auto id = t.at("trace_id").get<std::string>();
                auto trace = get("/api/v1/traces/" + id);
                if (trace.value("trace_id", "") != id) {
                    problem = "GET /api/v1/traces/" + id + " answered " + trace.dump();
                    continue;
                }
                problem = check_trace(trace.at("spans"));
                if (problem.empty()) {
                    spans = std::move(trace.at("spans"));
                    return true;
                }
            }
            return false;
        },
        90s);
    ASSERT_TRUE(found) << problem << "\n" << coordinator_log();

    // The spans come ordered by start, and the sink wrote the traced counts.
    for (std::size_t i = 1; i < spans.size(); ++i) {
        EXPECT_LE(spans[i - 1].at("start_us").get<std::int64_t>(),
                  spans[i].at("start_us").get<std::int64_t>());
    }
    EXPECT_GT(count_lines(counts), 0u);
}

INSTANTIATE_TEST_SUITE_P(sdks, sdk_tracing,
                         ::testing::Values(languages{"python", "go", "node"},
                                           languages{"java", "ruby", "python"}),
                         [](const ::testing::TestParamInfo<languages>& info) {
                             return info.param.splitter + "_" + info.param.counter + "_" +
                                    info.param.sink;
                         });

}  // namespace
}  // namespace eddy::testing
