#include "runtime/record_batch.hpp"

#include "runtime/routing_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace eddy::runtime::testing {
namespace {

TEST(record_batch, placed_records_read_back_from_their_block_beside_copied_ones) {
    record_batch batch;
    const std::uint32_t words = batch.stream_slot("words");
    batch.append(words, "k0", "first", 10, 3);
    // A block laid out like a frame: bytes between and around the records.
    const std::string block = "##key-1|value-1##|##value-2";
    const std::size_t base = batch.append_block(block);
    batch.append_placed(words, base + 2, 5, base + 8, 7, 20, no_key_group);
    batch.append_placed(words, base + 17, 0, base + 20, 7, 30, 9);
    batch.append("counts", "k3", "last", 40, no_key_group);

    ASSERT_EQ(batch.size(), 4U);
    EXPECT_EQ(batch.at(0).key, "k0");
    EXPECT_EQ(batch.at(0).value, "first");
    EXPECT_EQ(batch.at(1).key, "key-1");
    EXPECT_EQ(batch.at(1).value, "value-1");
    EXPECT_EQ(batch.at(1).time, 20);
    EXPECT_EQ(batch.at(1).stream, "words");
    EXPECT_TRUE(batch.at(2).key.empty());
    EXPECT_EQ(batch.at(2).value, "value-2");
    EXPECT_EQ(batch.group_hint(2), 9U);
    EXPECT_EQ(batch.at(3).key, "k3");
    EXPECT_EQ(batch.at(3).value, "last");
    EXPECT_EQ(batch.at(3).stream, "counts");
    EXPECT_NE(batch.slot_of(3), batch.slot_of(0));
    EXPECT_EQ(batch.slot_of(1), batch.slot_of(0));
    // An appended record takes its wire form: a flags byte, two one-byte
    // lengths and a one-byte time delta besides its key and value.
    EXPECT_EQ(batch.bytes(), (4 + 2 + 5) + block.size() + (4 + 2 + 4));
    EXPECT_FALSE(batch.wire_encoded());
}

TEST(record_batch, a_block_that_grows_the_arena_keeps_what_was_there) {
    record_batch batch;
    batch.append("s", "a", "b", 1, no_key_group);
    const std::string big(100'000, 'x');
    const std::size_t base = batch.append_block(big);
    batch.append_placed(0, base, 10, base + 10, 99'990, 2, no_key_group);
    ASSERT_EQ(batch.size(), 2U);
    EXPECT_EQ(batch.at(0).key, "a");
    EXPECT_EQ(batch.at(0).value, "b");
    EXPECT_EQ(batch.at(1).key, std::string(10, 'x'));
    EXPECT_EQ(batch.at(1).value.size(), 99'990U);

    batch.clear();
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(batch.bytes(), 0U);
    batch.append("s", "c", "d", 3, no_key_group);
    EXPECT_EQ(batch.at(0).value, "d");
}

// The arena holds appended records as the wire codec encodes them, so a run
// of them is a record_batch frame's records as they are: the frame decodes to
// the same records, times before the base and traced records included.
TEST(record_batch, appended_records_are_a_frame_in_their_wire_form) {
    record_batch batch;
    const std::uint32_t words = batch.stream_slot("words");
    const std::uint32_t counts = batch.stream_slot("counts");
    const trace_context traced{
        .trace_id = {std::byte{1}, std::byte{2}}, .span_id = {std::byte{3}}, .flags = 1};
    const std::string large(300, 'v');  // two-byte length
    batch.append(words, "k0", "first", 1'000'000, 3);
    batch.append(words, "", large, 999'000, no_key_group);  // before the base
    batch.trace_last(traced, {}, 7);
    batch.append(words, "k2", "", max_time, no_key_group);
    batch.append(counts, "k3", "other stream", min_time, no_key_group);
    ASSERT_TRUE(batch.wire_encoded());
    EXPECT_EQ(batch.wire_base_time(), 1'000'000);

    // The three "words" records as one frame, the way the network sends them.
    wire::byte_buffer out;
    wire::record_batch_writer writer(out);
    writer.begin({.stream = "words",
                  .sender = instance_id(1),
                  .epoch = topology_epoch(1),
                  .sequence = sequence_number(1),
                  .base_time = batch.wire_base_time()});
    writer.add_encoded(batch.wire_records(0, 3), 3);
    ASSERT_TRUE(writer.finish());
    auto split = wire::split_frame(out.bytes(), wire::default_max_frame_bytes);
    ASSERT_TRUE(split);
    std::vector<wire::record_view> views;
    auto header = wire::decode_record_batch(std::get<wire::frame_view>(*split).payload, views);
    ASSERT_TRUE(header) << header.error().message;
    ASSERT_EQ(views.size(), 3U);
    for (std::size_t i = 0; i < views.size(); ++i) {
        EXPECT_EQ(views[i].key, batch.at(i).key) << i;
        EXPECT_EQ(views[i].value, batch.at(i).value) << i;
        EXPECT_EQ(views[i].time, batch.at(i).time) << i;
    }
    EXPECT_FALSE(views[0].trace);
    ASSERT_TRUE(views[1].trace);
    EXPECT_EQ(*views[1].trace, traced);
    EXPECT_FALSE(views[2].trace);
    EXPECT_EQ(batch.wire_end(1) - batch.wire_start(1),
              1 + 2 + 1 + large.size() + wire::varint_size(wire::zigzag_encode(-1000)) +
                  wire::trace_context_bytes);
    EXPECT_EQ(batch.wire_end(3), batch.bytes());

    batch.clear();
    EXPECT_TRUE(batch.wire_encoded());
    batch.append(words, "k", "v", 5, no_key_group);
    EXPECT_EQ(batch.wire_base_time(), 5);
    EXPECT_EQ(batch.wire_records(0, 1).size(), batch.bytes());
}

}  // namespace
}  // namespace eddy::runtime::testing
