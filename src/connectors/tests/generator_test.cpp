#include "connectors/generator.hpp"

#include "connectors/sentences.hpp"
#include "connectors/testing/recording_context.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::connectors {
namespace {

using testing::recording_context;
using records = std::vector<recording_context::produced_record>;

// Polls until finished (bounded generators only); fails the test after
// `max_polls` so a bug cannot hang it.
records drain(generator& g, recording_context& ctx, int max_polls = 100'000) {
    for (int i = 0; i < max_polls; ++i) {
        if (g.poll(ctx) == poll_status::finished) {
            return ctx.produced();
        }
    }
    ADD_FAILURE() << "generator did not finish";
    return ctx.produced();
}

records generate(recording_context::config_map config, std::uint32_t instance = 0) {
    generator g;
    recording_context ctx(std::move(config), instance, 2);
    g.init(ctx);
    return drain(g, ctx);
}

bool same_records(const records& a, const records& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.stream == y.stream && x.key == y.key && x.value == y.value && x.time == y.time;
    });
}

TEST(generator, same_seed_gives_same_records) {
    for (std::string kind : {"random", "sentences"}) {
        auto a = generate({{"kind", kind}, {"count", "500"}, {"seed", "42"}});
        auto b = generate({{"kind", kind}, {"count", "500"}, {"seed", "42"}});
        ASSERT_EQ(a.size(), 500u) << kind;
        EXPECT_TRUE(same_records(a, b)) << kind;
    }
}

TEST(generator, different_seed_or_instance_gives_different_records) {
    for (std::string kind : {"random", "sentences"}) {
        auto a = generate({{"kind", kind}, {"count", "200"}, {"seed", "42"}});
        auto b = generate({{"kind", kind}, {"count", "200"}, {"seed", "43"}});
        auto c = generate({{"kind", kind}, {"count", "200"}, {"seed", "42"}}, 1);
        EXPECT_FALSE(same_records(a, b)) << kind;
        EXPECT_FALSE(same_records(a, c)) << kind;
    }
}

TEST(generator, bounded_count_is_exact_and_stays_finished) {
    generator g;
    recording_context ctx({{"count", "1000"}, {"batch", "64"}});
    g.init(ctx);
    int polls = 0;
    while (g.poll(ctx) != poll_status::finished) {
        ++polls;
        ASSERT_LE(ctx.produced().size(), static_cast<std::size_t>(polls) * 64);
        ASSERT_LT(polls, 1000);
    }
    EXPECT_EQ(ctx.produced().size(), 1000u);
    EXPECT_EQ(polls, 16);  // ceil(1000 / 64)
    EXPECT_EQ(g.poll(ctx), poll_status::finished);
    EXPECT_EQ(ctx.produced().size(), 1000u);
}

TEST(generator, random_records_respect_keys_and_value_size) {
    auto out = generate({{"count", "2000"}, {"keys", "7"}, {"value_size", "5"}});
    std::set<std::string> keys;
    for (const auto& r : out) {
        EXPECT_EQ(r.stream, "records");
        EXPECT_EQ(r.value.size(), 5u);
        keys.insert(r.key);
    }
    EXPECT_EQ(keys, (std::set<std::string>{"key-0", "key-1", "key-2", "key-3", "key-4", "key-5",
                                           "key-6"}));
}

TEST(generator, rate_follows_the_manual_clock) {
    generator g;
    recording_context ctx({{"rate", "100"}, {"batch", "256"}});
    ctx.set_processing_time(5'000'000);
    g.init(ctx);
    EXPECT_EQ(g.poll(ctx), poll_status::idle);  // nothing is due at the start
    EXPECT_EQ(ctx.produced().size(), 0u);

    ctx.advance(1'000'000);  // one second: 100 records
    EXPECT_EQ(g.poll(ctx), poll_status::produced);
    EXPECT_EQ(ctx.produced().size(), 100u);
    EXPECT_EQ(g.poll(ctx), poll_status::idle);

    ctx.advance(10'000);  // 10 ms: one more
    EXPECT_EQ(g.poll(ctx), poll_status::produced);
    EXPECT_EQ(ctx.produced().size(), 101u);
    ctx.advance(5'000);  // 15 ms since the last: 1.5 due in total, still 101
    EXPECT_EQ(g.poll(ctx), poll_status::idle);

    ctx.advance(9'985'000);  // 11 s after the start: 1100 due, at most 256 per poll
    std::size_t polls = 0;
    while (g.poll(ctx) == poll_status::produced) {
        ++polls;
    }
    EXPECT_EQ(ctx.produced().size(), 1100u);
    EXPECT_EQ(polls, 4u);  // 999 records in batches of 256
}

TEST(generator, an_idle_paced_generator_asks_to_be_polled_when_its_next_record_is_due) {
    generator g;
    recording_context ctx({{"rate", "100"}});  // one record every 10 ms
    ctx.set_processing_time(5'000'000);
    g.init(ctx);
    EXPECT_EQ(g.poll(ctx), poll_status::idle);
    EXPECT_EQ(ctx.take_poll_again_at(), 5'010'000);  // the first record's due time

    ctx.advance(12'000);
    EXPECT_EQ(g.poll(ctx), poll_status::produced);
    EXPECT_EQ(ctx.take_poll_again_at(), std::nullopt);  // it did not wait
    EXPECT_EQ(g.poll(ctx), poll_status::idle);
    EXPECT_EQ(ctx.take_poll_again_at(), 5'020'000);

    // At a high rate the next record is due at once; it still asks for a
    // pause, so that a batch's worth accumulates between polls.
    generator fast;
    recording_context fast_ctx({{"rate", "10000000"}, {"batch", "10"}});
    fast_ctx.set_processing_time(1'000'000);
    fast.init(fast_ctx);
    EXPECT_EQ(fast.poll(fast_ctx), poll_status::idle);
    EXPECT_EQ(fast_ctx.take_poll_again_at(), 1'000'100);
}

TEST(generator, fractional_rate_and_count_together) {
    generator g;
    recording_context ctx({{"rate", "0.5"}, {"count", "2"}});
    g.init(ctx);
    EXPECT_EQ(g.poll(ctx), poll_status::idle);
    ctx.advance(1'999'999);
    EXPECT_EQ(g.poll(ctx), poll_status::idle);
    ctx.advance(1);
    EXPECT_EQ(g.poll(ctx), poll_status::produced);
    ctx.advance(60'000'000);
    EXPECT_EQ(g.poll(ctx), poll_status::produced);
    EXPECT_EQ(g.poll(ctx), poll_status::finished);
    EXPECT_EQ(ctx.produced().size(), 2u);
}

TEST(generator, event_time_is_processing_time_or_a_fixed_step) {
    generator g;
    recording_context ctx({{"count", "3"}});
    ctx.set_processing_time(777);
    g.init(ctx);
    for (const auto& r : drain(g, ctx)) {
        EXPECT_EQ(r.time, 777);
    }

    generator stepped;
    recording_context ctx2({{"count", "3"}, {"time_step_us", "10"}, {"start_time_us", "1000"}});
    stepped.init(ctx2);
    auto out = drain(stepped, ctx2);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].time, 1000);
    EXPECT_EQ(out[2].time, 1020);
}

TEST(generator, sentences_are_lines_of_vocabulary_words_skewed_to_the_first) {
    auto out = generate(
        {{"kind", "sentences"}, {"count", "3000"}, {"min_words", "2"}, {"max_words", "5"}});
    const auto vocabulary = sentence_vocabulary();
    std::map<std::string, int> counts;
    for (const auto& r : out) {
        std::istringstream words(r.value);
        int n = 0;
        for (std::string w; words >> w; ++n) {
            ASSERT_NE(std::find(vocabulary.begin(), vocabulary.end(), w), vocabulary.end()) << w;
            ++counts[w];
        }
        EXPECT_GE(n, 2);
        EXPECT_LE(n, 5);
    }
    const auto most = std::max_element(counts.begin(), counts.end(),
                                       [](auto& a, auto& b) { return a.second < b.second; });
    EXPECT_EQ(most->first, vocabulary[0]);
    EXPECT_GT(counts[std::string(vocabulary[0])], 5 * counts[std::string(vocabulary[40])]);
}

TEST(generator, custom_maker_makes_the_records) {
    auto maker = [](std::uint64_t index, xoshiro256& rng) {
        return generated_record{.key = "k" + std::to_string(rng.below(3)),
                                .value = std::to_string(index),
                                .time = static_cast<std::int64_t>(index) * 2};
    };
    generator g({.name = "custom", .stream = "numbers"}, maker);
    EXPECT_EQ(g.metadata().name, "custom");
    EXPECT_EQ(g.metadata().outputs, std::vector<std::string>{"numbers"});
    recording_context ctx({{"count", "4"}});
    g.init(ctx);
    auto out = drain(g, ctx);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[3].stream, "numbers");
    EXPECT_EQ(out[3].value, "3");
    EXPECT_EQ(out[3].time, 6);
}

TEST(generator, bad_configuration_is_a_clear_error) {
    auto init_message = [](recording_context::config_map config) -> std::string {
        generator g;
        recording_context ctx(std::move(config));
        try {
            g.init(ctx);
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "no error";
    };
    EXPECT_EQ(init_message({{"kind", "poems"}}),
              "generator: option 'kind' has value 'poems'; expected one of: random, sentences");
    EXPECT_EQ(init_message({{"rate", "-1"}}),
              "generator: option 'rate' has value '-1'; expected a finite number >= 0");
    EXPECT_EQ(init_message({{"count", "12x"}}),
              "generator: option 'count' has value '12x'; expected a non-negative integer");
    EXPECT_NE(init_message({{"min_words", "4"}, {"max_words", "3"}}).find("min_words"),
              std::string::npos);
    EXPECT_NE(init_message({{"stream", "other"}}).find("option 'stream' is 'other'"),
              std::string::npos);
}

}  // namespace
}  // namespace eddy::connectors
