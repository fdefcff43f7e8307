#include "cli/render.hpp"

#include <gtest/gtest.h>

namespace eddy::cli {
namespace {

using nlohmann::json;

// Answers shaped as docs/api.md shows them.
const json computations = json::parse(R"({"computations": [
  {"name": "sentences", "status": "running", "instances": 1, "delivery": "at_most_once",
   "run": {"builtin": "generator"}, "inputs": [], "outputs": ["sentences"],
   "generation": 1, "last_error": "",
   "records_in_per_second": 0.0, "records_out_per_second": 10512.25},
  {"name": "counter", "status": "failed", "instances": 12, "delivery": "exactly_once",
   "run": {"library": "/h/.eddy/artifacts/3f2a.so", "class": "word_counter"},
   "inputs": [{"stream": "words", "grouping": "key"}], "outputs": ["counts"],
   "generation": 2, "last_error": "instance 3 exited with code 1 five times",
   "records_in_per_second": 512.0, "records_out_per_second": 0.0}
]})");

TEST(render, computations_table) {
    EXPECT_EQ(render_computations(computations),
              "NAME       STATUS   INSTANCES  DELIVERY      RECORDS/S IN  RECORDS/S OUT\n"
              "sentences  running          1  at_most_once           0.0        10512.2\n"
              "counter    failed          12  exactly_once         512.0            0.0\n"
              "\n"
              "counter: instance 3 exited with code 1 five times\n");
}

TEST(render, no_computations) {
    EXPECT_EQ(render_computations(json::parse(R"({"computations": []})")),
              "no computations (`eddy deploy FILE` deploys some)\n");
}

TEST(render, instances_table) {
    const auto instances = json::parse(R"({"instances": [
      {"computation": "counter", "index": 0, "id": 7, "pid": 41213, "state": "running",
       "restarts": 0, "last_error": "", "endpoint": "unix:/h/.eddy/run/counter-7.sock",
       "counters": {"records_in": 120000.0, "records_out": 119000, "records_dropped": 0.0,
                    "queue_depth": 0, "blocked_on_credit_seconds": 0.0},
       "records_in_per_second": 5200.0, "records_out_per_second": 5200.0},
      {"computation": "counter", "index": 1, "id": 12, "pid": 0, "state": "restarting",
       "restarts": 3, "last_error": "exit 1"}
    ]})");
    EXPECT_EQ(render_instances(instances),
              "COMPUTATION  INDEX  ID    PID  STATE       RESTARTS  RECORDS IN  RECORDS OUT  "
              "DROPPED\n"
              "counter          0   7  41213  running            0      120000       119000  "
              "      0\n"
              "counter          1  12      -  restarting         3           -            -  "
              "      -\n");
}

TEST(render, status) {
    const auto status = json::parse(R"({"version": "0.1.0", "home": "/home/u/.eddy",
        "pid": 4120, "uptime_seconds": 12.5, "computations": 3, "instances": 6, "epoch": 1})");
    EXPECT_EQ(render_status(status, "http://127.0.0.1:8123"),
              "home          /home/u/.eddy\n"
              "api           http://127.0.0.1:8123\n"
              "pid           4120\n"
              "version       0.1.0\n"
              "uptime        12.5 s\n"
              "computations  3\n"
              "instances     6\n"
              "epoch         1\n");
}

const json graph = json::parse(R"({
  "nodes": [{"name": "sentences", "instances": 1, "status": "running"},
            {"name": "splitter", "instances": 2, "status": "running"},
            {"name": "counter", "instances": 2, "status": "starting"},
            {"name": "lonely", "instances": 1, "status": "finished"}],
  "edges": [{"from": "sentences", "to": "splitter", "stream": "sentences",
             "grouping": "shuffle"},
            {"from": "splitter", "to": "counter", "stream": "words", "grouping": "key"}]})");

TEST(render, graph_text) {
    EXPECT_EQ(render_graph(graph),
              "sentences  1 instance   running   source\n"
              "splitter   2 instances  running\n"
              "counter    2 instances  starting  sink\n"
              "lonely     1 instance   finished  unconnected\n"
              "\n"
              "sentences --sentences[shuffle]--> splitter\n"
              "splitter --words[key]--> counter\n");
}

TEST(render, graph_dot) {
    EXPECT_EQ(render_graph_dot(graph),
              "digraph eddy {\n"
              "    rankdir=LR;\n"
              "    node [shape=box];\n"
              "    \"sentences\" [label=\"sentences\\n1 instance, running\", shape=invhouse];\n"
              "    \"splitter\" [label=\"splitter\\n2 instances, running\"];\n"
              "    \"counter\" [label=\"counter\\n2 instances, starting\", shape=house];\n"
              "    \"lonely\" [label=\"lonely\\n1 instance, finished\"];\n"
              "    \"sentences\" -> \"splitter\" [label=\"sentences [shuffle]\"];\n"
              "    \"splitter\" -> \"counter\" [label=\"words [key]\"];\n"
              "}\n");
}

TEST(render, dot_escapes_quotes_and_backslashes) {
    const auto odd = json::parse(R"({"nodes": [{"name": "a\"b\\c", "instances": 1,
        "status": "running"}], "edges": []})");
    EXPECT_EQ(render_graph_dot(odd),
              "digraph eddy {\n"
              "    rankdir=LR;\n"
              "    node [shape=box];\n"
              "    \"a\\\"b\\\\c\" [label=\"a\\\"b\\\\c\\n1 instance, running\"];\n"
              "}\n");
}

TEST(render, empty_graph) {
    EXPECT_EQ(render_graph(json::parse(R"({"nodes": [], "edges": []})")),
              "no computations (`eddy deploy FILE` deploys some)\n");
}

}  // namespace
}  // namespace eddy::cli
