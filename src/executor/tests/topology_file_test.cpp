#include "executor/topology_file.hpp"

#include <gtest/gtest.h>

namespace eddy::executor {
namespace {

const char* const valid = R"({
  "epoch": 3, "max_key_groups": 128,
  "computations": [
    {"name": "gen", "run": {"builtin": "generator"}, "instances": 2, "outputs": ["lines"],
     "config": {"count": "10"}, "endpoints": ["unix:/tmp/a.sock", "tcp://127.0.0.1:7001"]},
    {"name": "count", "run": {"library": "lib.so", "class": "counter"}, "instances": 1,
     "inputs": [{"stream": "lines", "grouping": "key"}], "delivery": "exactly_once",
     "endpoints": ["tcp://127.0.0.1:7002"]}
  ]})";

TEST(topology_file, parses_every_field) {
    auto topology = parse_topology(valid);
    ASSERT_TRUE(topology) << topology.error().message;
    EXPECT_EQ(topology->epoch, topology_epoch(3));
    EXPECT_EQ(topology->max_key_groups, 128u);
    ASSERT_EQ(topology->computations.size(), 2u);
    const auto& gen = topology->computations[0];
    EXPECT_EQ(gen.builtin, "generator");
    EXPECT_EQ(gen.instances, 2u);
    EXPECT_EQ(gen.outputs, std::vector<std::string>{"lines"});
    EXPECT_EQ(gen.config.at("count"), "10");
    EXPECT_EQ(gen.endpoints[0].path, "/tmp/a.sock");
    EXPECT_EQ(gen.endpoints[1].port, 7001);
    EXPECT_EQ(gen.delivery, delivery_mode::at_most_once);
    const auto& count = topology->computations[1];
    EXPECT_EQ(count.library, "lib.so");
    EXPECT_EQ(count.class_name, "counter");
    ASSERT_EQ(count.inputs.size(), 1u);
    EXPECT_EQ(count.inputs[0].by, grouping::key);
    EXPECT_EQ(count.delivery, delivery_mode::exactly_once);
}

TEST(topology_file, round_trips_through_json) {
    auto topology = parse_topology(valid);
    ASSERT_TRUE(topology);
    auto again = parse_topology(to_json(*topology));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(to_json(*again), to_json(*topology));
}

TEST(topology_file, errors_name_the_computation_and_the_field) {
    struct bad_case {
        const char* json;
        const char* expected;
    };
    const bad_case cases[] = {
        {"[]", "not a JSON object"},
        {"{\"computations\": []}", "non-empty list"},
        {R"({"computations": [{"name": "a", "run": {}, "endpoints": ["unix:/x"]}]})",
         "computation 'a': 'run'"},
        {R"({"computations": [{"name": "a", "run": {"builtin": "g"}, "instances": 2,
             "endpoints": ["unix:/x"]}]})",
         "computation 'a': 'endpoints' must list one address per instance (2)"},
        {R"({"computations": [{"name": "a", "run": {"builtin": "g"}, "endpoints": ["ftp:x"]}]})",
         "computation 'a': endpoint 'ftp:x'"},
        {R"({"computations": [{"name": "a", "run": {"builtin": "g"}, "endpoints": ["unix:/x"],
             "inputs": [{"stream": "s", "grouping": "hash"}]}]})",
         "grouping 'hash' is not one of key, shuffle, broadcast"},
        {R"({"computations": [{"name": "a", "run": {"builtin": "g"}, "endpoints": ["unix:/x"],
             "delivery": "twice"}]})",
         "delivery 'twice'"},
        {R"({"computations": [{"name": "a", "run": {"builtin": "g"}, "endpoints": ["unix:/x"]},
                              {"name": "a", "run": {"builtin": "g"}, "endpoints": ["unix:/y"]}]})",
         "computation 'a' appears twice"},
        {R"({"computations": [{"name": "a", "run": {"builtin": "g"}, "endpoints": ["unix:/x"]},
                              {"name": "b", "run": {"builtin": "g"}, "endpoints": ["unix:/x"]}]})",
         "endpoint unix:/x is used twice"},
        {R"({"computations": [{"name": "a", "run": {"builtin": "g"}, "endpoints": ["unix:/x"],
             "config": {"n": 3}}]})",
         "config 'n' must be a string"},
    };
    for (const auto& c : cases) {
        auto parsed = parse_topology(c.json);
        ASSERT_FALSE(parsed) << c.json;
        EXPECT_EQ(parsed.error().kind, executor_errc::bad_topology);
        EXPECT_NE(parsed.error().message.find(c.expected), std::string::npos)
            << parsed.error().message << " should contain " << c.expected;
    }
}

}  // namespace
}  // namespace eddy::executor
