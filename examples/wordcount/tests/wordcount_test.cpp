#include "connectors/testing/recording_context.hpp"
#include "topology.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using eddy::connectors::testing::recording_context;
using counts_by_word = std::map<std::string, std::int64_t>;

// Runs the word count with 2 splitters and 3 counters and returns every
// record of "counts", in the order they were produced.
std::vector<eddy::collected_stream::owned_record> run_wordcount(wordcount_options options) {
    options.splitters = 2;
    options.counters = 3;
    eddy::embedded_topology topology;
    add_wordcount(topology, options);
    auto counts = topology.collect("counts");
    topology.start();
    EXPECT_TRUE(topology.wait_for(std::chrono::seconds(120))) << "word count did not finish";
    topology.stop();
    return counts->records();
}

// Checks that each word's running counts are exactly 1, 2, ..., total, in
// that order, and that the totals are `expected`.
void expect_counts(const std::vector<eddy::collected_stream::owned_record>& emitted,
                   const counts_by_word& expected) {
    std::map<std::string, std::int64_t> last;
    for (const auto& r : emitted) {
        auto& previous = last[r.key];
        ASSERT_EQ(std::stoll(r.value), previous + 1) << "word " << r.key;
        previous = std::stoll(r.value);
    }
    EXPECT_EQ(last, expected);
    EXPECT_EQ(final_counts(emitted), expected);
}

TEST(wordcount, computations_split_and_count) {
    splitter split;
    word_counter count;
    recording_context ctx;
    ctx.deliver(split, {.key = "0", .value = "a b  a", .time = 5});
    ASSERT_EQ(ctx.produced().size(), 3u);
    for (const auto& word : ctx.produced()) {
        EXPECT_EQ(word.stream, "words");
        EXPECT_EQ(word.time, 5);
    }
    const auto words = ctx.produced();
    ctx.clear_produced();
    for (const auto& word : words) {
        ctx.deliver(count, {.key = word.key, .value = word.value, .time = word.time});
    }
    EXPECT_EQ(ctx.state_of("a", "count"), "2");
    EXPECT_EQ(ctx.state_of("b", "count"), "1");
    EXPECT_EQ(ctx.produced().back().value, "2");
}

TEST(wordcount, counts_a_hand_written_input_exactly) {
    wordcount_options options;
    options.fixed_lines = {"the river flows", "the river turns the stone", "eddy", "",
                           "stone  eddy"};
    expect_counts(
        run_wordcount(options),
        {{"the", 3}, {"river", 2}, {"flows", 1}, {"turns", 1}, {"stone", 2}, {"eddy", 2}});
}

TEST(wordcount, counts_a_seeded_generated_input_exactly) {
    constexpr std::uint64_t lines = 5000;
    constexpr std::uint64_t seed = 42;

    // The same lines, made by the source alone, counted with a plain loop.
    counts_by_word expected;
    {
        sentence_source source;
        recording_context ctx({{"count", std::to_string(lines)}, {"seed", std::to_string(seed)}});
        source.init(ctx);
        while (source.poll(ctx) != eddy::poll_status::finished) {
        }
        ASSERT_EQ(ctx.produced().size(), lines);
        for (const auto& line : ctx.produced()) {
            std::istringstream words(line.value);
            for (std::string word; words >> word;) {
                ++expected[word];
            }
        }
    }
    ASSERT_GT(expected.size(), 40u);

    wordcount_options options;
    options.lines = lines;
    options.seed = seed;
    expect_counts(run_wordcount(options), expected);
}

}  // namespace
