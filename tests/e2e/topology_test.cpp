// The topology changes a user makes with the CLI, each against its own
// `eddy up --detach`: deploy (with exact word counts), a new subscriber while
// data flows, scale up and down without loss, kill, and update to a new
// shared library. Every change must leave the other computations' executors
// alone: their pids are compared before and after.

#include "cluster_fixture.hpp"
#include "support/wordcount_reference.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr const char* sentences_per_instance = "3000";
constexpr const char* sentences_seed = "11";

// The names `ls --json` lists.
std::set<std::string> names_of(const json& computations) {
    std::set<std::string> names;
    for (const auto& c : computations) {
        names.insert(c["name"].get<std::string>());
    }
    return names;
}

class topology : public cluster_test {
protected:
    void SetUp() override {
        copy_library(EDDY_WORDCOUNT_LIBRARY, "libwordcount.so");
        copy_library(EDDY_TEST_COMPUTATIONS, "libtest_computations.so");
        copy_library(EDDY_TAGGER_V1, "libtagger_v1.so");
        copy_library(EDDY_TAGGER_V2, "libtagger_v2.so");
        ASSERT_NO_FATAL_FAILURE(up());
    }

    void deploy(const std::string& file_name, const std::string& yaml) {
        const auto result = eddy({"deploy", write_manifest(file_name, yaml).string()});
        ASSERT_EQ(result.exit_code, 0) << "eddy deploy " << file_name << "\n" << result;
    }

    // The instance's records_in once the coordinator has scraped it.
    std::int64_t records_in(const std::string& computation, std::uint32_t index = 0) {
        return counter_of(instance(computation, index), "records_in");
    }
};

TEST_F(topology, deployed_word_count_finishes_with_exact_counts) {
    const auto output = path("counts.txt");
    deploy("wordcount.yaml", R"(computations:
  - name: sentences
    builtin: generator
    instances: 2
    outputs: [lines]
    config: {stream: lines, kind: sentences, count: )" +
                                 std::string(sentences_per_instance) + ", seed: " + sentences_seed +
                                 R"(}
  - name: splitter
    library: libwordcount.so
    class: splitter
    instances: 2
    inputs: [{stream: lines, grouping: shuffle}]
    outputs: [words]
  - name: counter
    library: libwordcount.so
    class: word_counter
    instances: 2
    inputs: [{stream: words, grouping: key}]
    outputs: [counts]
  - name: sink
    builtin: file
    inputs: [counts]
    config: {stream: counts, path: ")" +
                                 output.string() +
                                 R"(", format: "key value"}
)");
    ASSERT_TRUE(wait_all_finished(90s)) << computations().dump(2);
    EXPECT_EQ(names_of(computations()),
              (std::set<std::string>{"sentences", "splitter", "counter", "sink"}));

    // Every occurrence of a word produced its running count once: 1..n.
    const auto expected = eddy::testing::expected_word_counts(std::stoull(sentences_per_instance),
                                                              std::stoull(sentences_seed), 2);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(eddy::testing::check_running_counts(output, expected), "");
}

TEST_F(topology, new_subscriber_receives_within_two_seconds_and_nobody_restarts) {
    deploy("pipeline.yaml", R"(computations:
  - name: events
    builtin: generator
    outputs: [events]
    config: {stream: events, rate: 5000}
  - name: relay
    library: libtest_computations.so
    class: passthrough
    inputs: [events]
    outputs: [relayed]
    config: {output: relayed}
  - name: slow
    library: libtest_computations.so
    class: slow_sink
    inputs: [relayed]
    config: {spin_nanos: 0}
)");
    ASSERT_TRUE(wait_running({"events", "relay", "slow"}, 20s)) << instances().dump(2);
    // Under load: records reach the end of the pipeline before the change.
    ASSERT_TRUE(wait_until([&] { return records_in("slow") > 0; }, 20s)) << instances().dump(2);
    const auto before = running_pids();
    ASSERT_EQ(before.size(), 3u);

    const auto late_file = path("late.txt");
    deploy("late.yaml", R"(name: late
builtin: file
inputs: [events]
config: {stream: events, path: ")" +
                            late_file.string() +
                            R"(", format: value, flush_interval_ms: 20}
)");
    const auto deployed_at = std::chrono::steady_clock::now();
    EXPECT_TRUE(wait_until([&] { return count_lines(late_file) > 0; }, 2s))
        << "the new subscriber wrote nothing within 2 s of the deploy";
    const auto waited = std::chrono::steady_clock::now() - deployed_at;
    RecordProperty("first_line_ms", static_cast<int>(waited / 1ms));

    auto after = running_pids({"events", "relay", "slow"});
    EXPECT_EQ(after, before) << "an existing executor was restarted by the deploy";
    EXPECT_EQ(status_of("late"), "running");
}

TEST_F(topology, scaling_a_shuffle_computation_up_and_down_under_load_loses_nothing) {
    const auto count_file = path("tally.count");
    constexpr std::int64_t total = 60000;
    // 8000 records/s: the source runs for about 7.5 s, long enough for both
    // scale changes to happen while records flow.
    deploy("scale.yaml", R"(computations:
  - name: numbers
    builtin: generator
    outputs: [numbers]
    config: {stream: numbers, count: )" +
                             std::to_string(total) + R"(, rate: 8000}
  - name: relay
    library: libtest_computations.so
    class: passthrough
    inputs: [{stream: numbers, grouping: shuffle}]
    outputs: [relayed]
    config: {output: relayed}
  - name: tally
    library: libtest_computations.so
    class: slow_sink
    inputs: [relayed]
    config: {spin_nanos: 0, count_file: ")" +
                             count_file.string() + R"("}
)");
    ASSERT_TRUE(wait_running({"numbers", "relay", "tally"}, 20s)) << instances().dump(2);
    const auto fixed = running_pids({"numbers", "tally"});
    ASSERT_EQ(fixed.size(), 2u);
    ASSERT_TRUE(wait_until([&] { return records_in("tally") > 0; }, 20s)) << instances().dump(2);

    const auto up3 = eddy({"scale", "relay", "3"});
    ASSERT_EQ(up3.exit_code, 0) << up3;
    ASSERT_TRUE(wait_running({"relay"}, 20s)) << instances().dump(2);
    const auto relays = running_pids({"relay"});
    EXPECT_EQ(relays.size(), 3u);
    EXPECT_EQ(running_pids({"numbers", "tally"}), fixed);
    // The new instances take their share before the scale down.
    ASSERT_TRUE(wait_until([&] { return records_in("relay", 2) > 0; }, 10s)) << instances().dump(2);
    ASSERT_EQ(status_of("numbers"), "running")
        << "the source finished before the scale down: the test no longer proves anything";

    const auto down1 = eddy({"scale", "relay", "1"});
    ASSERT_EQ(down1.exit_code, 0) << down1;
    EXPECT_EQ(running_pids({"relay"}).size(), 1u) << instances().dump(2);
    EXPECT_EQ(running_pids({"numbers", "tally"}), fixed);
    // Retired instances drain what they received and exit.
    for (const auto& [instance, pid] : relays) {
        if (instance.second > 0) {
            EXPECT_TRUE(wait_until([pid = pid] { return !process_alive(pid); }, 15s))
                << "retired relay[" << instance.second << "] (pid " << pid << ") still runs";
        }
    }

    ASSERT_TRUE(wait_all_finished(60s)) << computations().dump(2);
    ASSERT_TRUE(wait_until([&] { return count_lines(count_file) == 1; }, 10s));
    EXPECT_EQ(std::stoll(read_file(count_file)), total);
}

TEST_F(topology, killed_computation_is_gone_and_upstream_stops_routing_to_it) {
    deploy("fanout.yaml", R"(computations:
  - name: ticks
    builtin: generator
    outputs: [ticks]
    config: {stream: ticks, rate: 5000}
  - name: sink_a
    library: libtest_computations.so
    class: slow_sink
    inputs: [ticks]
    config: {spin_nanos: 0}
  - name: sink_b
    library: libtest_computations.so
    class: slow_sink
    inputs: [ticks]
    config: {spin_nanos: 0}
)");
    ASSERT_TRUE(wait_running({"ticks", "sink_a", "sink_b"}, 20s)) << instances().dump(2);
    ASSERT_TRUE(
        wait_until([&] { return records_in("sink_b") > 0 && records_in("sink_a") > 0; }, 20s))
        << instances().dump(2);
    const auto kept = running_pids({"ticks", "sink_a"});
    const auto killed_pid = running_pids({"sink_b"}).at({"sink_b", 0});

    const auto killed = eddy({"kill", "sink_b"});
    ASSERT_EQ(killed.exit_code, 0) << killed;
    EXPECT_EQ(names_of(computations()), (std::set<std::string>{"ticks", "sink_a"}));
    for (const auto& i : instances()) {
        EXPECT_NE(i["computation"], "sink_b") << i.dump();
    }
    EXPECT_TRUE(wait_until([&] { return !process_alive(killed_pid); }, 15s))
        << "sink_b's executor " << killed_pid << " still runs";

    // Counters are scraped once a second: wait for a scrape taken after the
    // kill (records_out moved), then for at least two more seconds of
    // records, and compare records_dropped across them.
    const auto out_at_kill = counter_of(instance("ticks", 0), "records_out");
    ASSERT_TRUE(wait_until(
        [&] { return counter_of(instance("ticks", 0), "records_out") > out_at_kill; }, 10s));
    const auto first = instance("ticks", 0);
    const auto dropped = counter_of(first, "records_dropped");
    const auto out = counter_of(first, "records_out");
    ASSERT_TRUE(wait_until(
        [&] { return counter_of(instance("ticks", 0), "records_out") >= out + 2 * 5000; }, 15s))
        << instances().dump(2);
    const auto last = instance("ticks", 0);
    EXPECT_EQ(counter_of(last, "records_dropped"), dropped)
        << "the generator kept routing to the killed computation\n"
        << last.dump(2);
    RecordProperty("records_dropped", static_cast<int>(counter_of(last, "records_dropped")));

    EXPECT_EQ(running_pids({"ticks", "sink_a"}), kept);
    EXPECT_GT(records_in("sink_a"), 0);
}

TEST_F(topology, update_to_a_new_library_restarts_only_that_computation) {
    const auto output = path("tagged.txt");
    deploy("tagged.yaml", R"(computations:
  - name: pulses
    builtin: generator
    outputs: [pulses]
    config: {stream: pulses, rate: 2000}
  - name: tagger
    library: libtagger_v1.so
    class: tagger
    inputs: [pulses]
    outputs: [tagged]
    config: {output: tagged}
  - name: out
    builtin: file
    inputs: [tagged]
    config: {stream: tagged, path: ")" +
                              output.string() +
                              R"(", format: value, flush_interval_ms: 20}
)");
    ASSERT_TRUE(wait_running({"pulses", "tagger", "out"}, 20s)) << instances().dump(2);
    // Tags are followed by ':', which generated values never contain.
    const auto has = [&](std::string_view tag) {
        return read_file(output).find(tag) != std::string::npos;
    };
    ASSERT_TRUE(wait_until([&] { return has("v1:"); }, 10s)) << read_file(output).substr(0, 400);
    const auto kept = running_pids({"pulses", "out"});
    const auto old_tagger = running_pids({"tagger"});
    ASSERT_EQ(kept.size(), 2u);
    ASSERT_EQ(old_tagger.size(), 1u);

    const auto manifest = write_manifest("tagger_v2.yaml", R"(name: tagger
library: libtagger_v2.so
class: tagger
inputs: [pulses]
outputs: [tagged]
config: {output: tagged}
)");
    const auto updated = eddy({"update", "tagger", manifest.string()});
    ASSERT_EQ(updated.exit_code, 0) << updated;
    EXPECT_TRUE(wait_until([&] { return has("v2:"); }, 10s))
        << "no v2 record reached the sink after the update";

    EXPECT_EQ(running_pids({"pulses", "out"}), kept);
    ASSERT_TRUE(wait_running({"tagger"}, 20s));
    EXPECT_NE(running_pids({"tagger"}), old_tagger) << "tagger was not restarted";
    const auto old_pid = old_tagger.begin()->second;
    EXPECT_TRUE(wait_until([&] { return !process_alive(old_pid); }, 15s))
        << "the v1 executor (pid " << old_pid << ") still runs";
    for (const auto& c : computations()) {
        if (c["name"] == "tagger") {
            EXPECT_EQ(c["generation"], 2) << c.dump();
            EXPECT_EQ(c["status"], "running") << c.dump();
        }
    }
}

}  // namespace
}  // namespace eddy::testing
