// Keyed state outlives its process in the durable delivery modes: a word
// counter in at_least_once mode keeps its state and timers in RocksDB under
// its state directory, so after a SIGKILL and a restart its counts go on from
// where its last commit left them instead of starting again from 1. The same
// topology in at_most_once mode, where state is in memory, shows the reset
// the durable mode avoids (so the check can fail).
//
// Only the counter is durable here, so records its at_most_once neighbours
// drop while it restarts may be missing: only the state is checked. The
// chaos tests (tests/chaos) check delivery with every computation durable.

#include "support/local_cluster.hpp"
#include "support/wordcount_reference.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <sstream>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

// How many times each word's count was 1 in the counter's output ("word n" lines).
std::map<std::string, int> restarts_from_one(const std::filesystem::path& output) {
    std::map<std::string, int> ones;
    std::istringstream lines(read_file(output));
    std::string word;
    long count = 0;
    while (lines >> word >> count) {
        ones[word] += count == 1 ? 1 : 0;
    }
    return ones;
}

std::size_t lines_in(const std::filesystem::path& path) {
    const auto text = read_file(path);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Runs sentences -> splitter -> counter (in `delivery`) -> file, kills the
// counter with SIGKILL half-way, restarts it, and returns the words whose
// count started again from 1.
int words_counted_from_one_again(const std::string& delivery) {
    temp_dir dir("eddy-durable-" + delivery);
    local_cluster cluster(dir.path(), link::unix_socket);
    const auto output = dir / "counts.txt";
    cluster.add({.name = "sentences",
                 .builtin = "generator",
                 .outputs = {"lines"},
                 .config = {{"stream", "lines"},
                            {"kind", "sentences"},
                            {"count", "12000"},
                            {"rate", "3000"},
                            {"seed", "3"}}});
    cluster.add({.name = "splitter",
                 .library = EDDY_WORDCOUNT_LIBRARY,
                 .class_name = "splitter",
                 .inputs = {{"lines", "shuffle"}},
                 .outputs = {"words"}});
    cluster.add({.name = "counter",
                 .library = EDDY_WORDCOUNT_LIBRARY,
                 .class_name = "word_counter",
                 .inputs = {{"words", "key"}},
                 .outputs = {"counts"},
                 .delivery = delivery});
    cluster.add(
        {.name = "sink",
         .builtin = "file",
         .inputs = {{"counts", "shuffle"}},
         .config = {{"stream", "counts"}, {"path", output.string()}, {"format", "key value"}}});
    cluster.start();

    // Every frequent word has been counted a few times before the kill.
    EXPECT_TRUE(wait_until([&] { return lines_in(output) > 5'000; }, 30s)) << cluster.logs();
    cluster.process("counter", 0).signal(SIGKILL);
    EXPECT_TRUE(cluster.process("counter", 0).wait_exit(10s).has_value());
    cluster.restart("counter", 0);
    EXPECT_TRUE(cluster.wait_exit_all(60s)) << cluster.logs();

    int again = 0;
    for (const auto& [word, ones] : restarts_from_one(output)) {
        EXPECT_GE(ones, 1) << word;
        again += ones > 1 ? 1 : 0;
    }
    return again;
}

TEST(durable_state, at_least_once_counts_go_on_after_a_sigkill) {
    EXPECT_EQ(words_counted_from_one_again("at_least_once"), 0);
}

TEST(durable_state, at_most_once_state_is_lost_with_its_process) {
    EXPECT_GT(words_counted_from_one_again("at_most_once"), 0);
}

// Runs numbers -> delayed_echo (in `delivery`, every record echoed 4 s
// later by a processing-time timer) -> file, kills delayed_echo once it has
// taken every record but before any timer fired, restarts it, and returns
// how many echoes reach the sink within `patience`.
std::size_t echoes_after_a_sigkill(const std::string& delivery,
                                   std::chrono::milliseconds patience) {
    temp_dir dir("eddy-timers-" + delivery);
    local_cluster cluster(dir.path(), link::unix_socket);
    const auto output = dir / "echoed.txt";
    const std::map<std::string, std::string> numbers{
        {"stream", "numbers"}, {"count", "300"}, {"keys", "50"}, {"seed", "9"}};
    cluster.add(
        {.name = "numbers", .builtin = "generator", .outputs = {"numbers"}, .config = numbers});
    // Endless and slow: the echo's input never ends (an ended input would
    // finish the instance, dropping its processing-time timers).
    cluster.add({.name = "ticks",
                 .builtin = "generator",
                 .outputs = {"ticks"},
                 .config = {{"stream", "ticks"}, {"rate", "1"}}});
    cluster.add({.name = "echo",
                 .library = EDDY_TEST_COMPUTATIONS,
                 .class_name = "delayed_echo",
                 .inputs = {{"numbers", "shuffle"}, {"ticks", "shuffle"}},
                 .outputs = {"echoed"},
                 .config = {{"delay_ms", "4000"}},
                 .delivery = delivery});
    cluster.add(
        {.name = "sink",
         .builtin = "file",
         .inputs = {{"echoed", "shuffle"}},
         .config = {{"stream", "echoed"}, {"path", output.string()}, {"format", "key value"}}});
    cluster.start();
    EXPECT_TRUE(wait_until(
        [&] { return cluster.metric("echo", 0, "eddy_records_in_total").value_or(0) >= 301; }, 20s))
        << cluster.logs();
    EXPECT_EQ(lines_in(output), 0u) << "a timer fired before the kill";
    cluster.process("echo", 0).signal(SIGKILL);
    EXPECT_TRUE(cluster.process("echo", 0).wait_exit(10s).has_value());
    cluster.restart("echo", 0);
    (void)wait_until([&] { return lines_in(output) >= 300; }, patience);
    return lines_in(output);
}

TEST(durable_state, at_least_once_timers_fire_after_a_sigkill) {
    // Distinct (key, value) pairs: a timer set again for the same pair replaces it.
    const connectors::option_map options{
        {"stream", "numbers"}, {"count", "300"}, {"keys", "50"}, {"seed", "9"}};
    std::set<std::pair<std::string, std::string>> distinct;
    for (const auto& r : generator_output(options, 1)) {
        distinct.emplace(r.key, r.value);
    }
    EXPECT_EQ(echoes_after_a_sigkill("at_least_once", 20s), distinct.size());
}

TEST(durable_state, at_most_once_timers_die_with_their_process) {
    // Past the 4 s delay no echo comes: the timers were only in memory.
    EXPECT_EQ(echoes_after_a_sigkill("at_most_once", 6s), 0u);
}

}  // namespace
}  // namespace eddy::testing
