#include "runtime/record_batch.hpp"

#include "runtime/routing_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

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
    EXPECT_EQ(batch.bytes(), 2 + 5 + block.size() + 2 + 4);
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

}  // namespace
}  // namespace eddy::runtime::testing
