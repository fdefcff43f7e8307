// The runtime half of tracing: how often records are sampled, trace keys,
// span ids, the batch's side table of traced records, and the bounded span
// buffer.

#include "runtime/tracing.hpp"

#include "runtime/record_batch.hpp"

#include <gtest/gtest.h>

#include <set>

namespace eddy::runtime {
namespace {

TEST(tracer, samples_one_record_in_n_on_average) {
    tracer t;
    t.configure({.sample_one_in = 100}, nullptr, 42);
    std::size_t sampled = 0;
    constexpr std::size_t records = 1'000'000;
    for (std::size_t i = 0; i < records; ++i) {
        sampled += t.sample("k") ? 1 : 0;
    }
    // Mean 10,000; the gaps are uniform on [1, 199], so the count's spread
    // is well under 1%: 5% is a wide margin for any seed.
    EXPECT_NEAR(static_cast<double>(sampled), 10'000.0, 500.0);
}

TEST(tracer, the_same_seed_samples_the_same_records) {
    tracer a;
    tracer b;
    a.configure({.sample_one_in = 10}, nullptr, 7);
    b.configure({.sample_one_in = 10}, nullptr, 7);
    for (int i = 0; i < 10'000; ++i) {
        ASSERT_EQ(a.sample("k"), b.sample("k")) << i;
    }
}

TEST(tracer, one_in_one_samples_everything_and_zero_nothing) {
    tracer every;
    every.configure({.sample_one_in = 1}, nullptr, 1);
    tracer none;
    none.configure({.sample_one_in = 0}, nullptr, 1);
    tracer unconfigured;
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(every.sample("k"));
        EXPECT_FALSE(none.sample("k"));
        EXPECT_FALSE(unconfigured.sample("k"));
    }
}

TEST(tracer, trace_keys_are_always_sampled) {
    tracer t;
    t.configure({.sample_one_in = 0, .keys = {"alice", "bob"}}, nullptr, 1);
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(t.sample("alice"));
        EXPECT_TRUE(t.sample("bob"));
        EXPECT_FALSE(t.sample("carol"));
    }
}

TEST(span_ids, ids_are_distinct_and_never_zero) {
    span_ids ids(0);  // the seed that yields a zero word first, if anything does
    std::set<span_id> seen;
    for (int i = 0; i < 10'000; ++i) {
        const auto id = ids.next_span();
        EXPECT_FALSE(is_zero(id));
        EXPECT_TRUE(seen.insert(id).second);
    }
    const auto trace = ids.next_trace();
    EXPECT_EQ(to_hex(trace).size(), 32u);
    EXPECT_NE(to_hex(trace), std::string(32, '0'));
}

TEST(to_hex, writes_lower_case_digits_in_byte_order) {
    const std::array<std::byte, 3> bytes{std::byte{0x00}, std::byte{0xab}, std::byte{0x7f}};
    EXPECT_EQ(to_hex(bytes), "00ab7f");
}

TEST(record_batch, traced_records_live_in_a_side_table) {
    record_batch batch;
    const trace_context traced{{std::byte{1}}, {std::byte{2}}, 1};
    const span_id parent{std::byte{3}};
    for (std::uint32_t i = 0; i < 10; ++i) {
        batch.append("s", "k" + std::to_string(i), "v", 1, 0);
        if (i == 3 || i == 7) {
            batch.trace_last(traced, parent, 100 + i);
        }
    }
    ASSERT_TRUE(batch.traced());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto* found = batch.trace_of(i);
        if (i == 3 || i == 7) {
            ASSERT_NE(found, nullptr) << i;
            EXPECT_EQ(*found, traced);
        } else {
            EXPECT_EQ(found, nullptr) << i;
        }
    }
    ASSERT_EQ(batch.traces().size(), 2u);
    EXPECT_EQ(batch.traces()[1].index, 7u);
    EXPECT_EQ(batch.traces()[1].stamp_micros, 107);
    EXPECT_EQ(batch.traces()[1].parent_span, parent);

    batch.clear();
    EXPECT_FALSE(batch.traced());
    batch.append("s", "k", "v", 1, 0);
    EXPECT_EQ(batch.trace_of(0), nullptr);
}

TEST(span_buffer, a_full_buffer_drops_and_counts) {
    span_buffer buffer(3);
    for (int i = 0; i < 5; ++i) {
        buffer.record(span{.start_micros = i});
    }
    EXPECT_EQ(buffer.recorded(), 3u);
    EXPECT_EQ(buffer.dropped(), 2u);
    const auto taken = buffer.drain();
    ASSERT_EQ(taken.size(), 3u);
    EXPECT_EQ(taken[0].start_micros, 0);
    EXPECT_EQ(taken[2].start_micros, 2);
    // Drained: room again.
    buffer.record(span{.start_micros = 9});
    EXPECT_EQ(buffer.drain().size(), 1u);
    EXPECT_EQ(buffer.dropped(), 2u);
}

TEST(tracer, records_spans_only_with_a_buffer) {
    span_buffer buffer;
    tracer without;
    without.configure({}, nullptr, 1);
    without.record(span{});
    tracer with;
    with.configure({}, &buffer, 1);
    with.record(span{});
    EXPECT_EQ(buffer.recorded(), 1u);
}

}  // namespace
}  // namespace eddy::runtime
