#include "state/detail/key_codec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace eddy::state::detail {
namespace {

TEST(key_codec, state_keys_order_by_key_group_numerically) {
    std::string a;
    std::string b;
    encode_state_key(a, key_group(255), "zz", "n");
    encode_state_key(b, key_group(256), "a", "n");
    EXPECT_LT(a, b);
    EXPECT_LT(a, state_group_prefix(key_group(256)));
    EXPECT_GE(b, state_group_prefix(key_group(256)));
}

TEST(key_codec, state_key_round_trips_with_binary_bytes) {
    std::string stored;
    const std::string key("\0\xff\x80", 3);
    encode_state_key(stored, key_group(0x01020304), key, std::string(200, 'n'));
    const auto address = decode_state_key(stored);
    ASSERT_TRUE(address);
    EXPECT_EQ(address->group, key_group(0x01020304));
    EXPECT_EQ(address->key, key);
    EXPECT_EQ(address->name, std::string(200, 'n'));
}

TEST(key_codec, key_and_name_boundaries_are_encoded) {
    std::string ab_c;
    std::string a_bc;
    encode_state_key(ab_c, key_group(1), "ab", "c");
    encode_state_key(a_bc, key_group(1), "a", "bc");
    EXPECT_NE(ab_c, a_bc);
}

TEST(key_codec, long_keys_use_multi_byte_lengths) {
    std::string stored;
    const std::string key(300, 'k');
    encode_state_key(stored, key_group(9), key, "n");
    const auto address = decode_state_key(stored);
    ASSERT_TRUE(address);
    EXPECT_EQ(address->key, key);
    EXPECT_EQ(address->name, "n");
}

TEST(key_codec, truncated_keys_do_not_decode) {
    std::string stored;
    encode_state_key(stored, key_group(1), "key", "n");
    EXPECT_FALSE(decode_state_key(stored.substr(0, 3)));
    EXPECT_FALSE(decode_state_key(stored.substr(0, 7)));
    EXPECT_FALSE(decode_state_key(""));
    EXPECT_FALSE(decode_state_key("t"));
    const std::string timer = encode_timer_key(key_group(1), "k", "tag", time_domain::event_time);
    EXPECT_FALSE(decode_timer_key(timer.substr(0, timer.size() - 1)));
    EXPECT_FALSE(decode_outbox_key(
        encode_outbox_key(instance_id(1), topology_epoch(2), sequence_number(3)).substr(0, 20)));
}

TEST(key_codec, timer_key_round_trips) {
    const std::string stored =
        encode_timer_key(key_group(5), "key", "tag", time_domain::processing_time);
    const auto address = decode_timer_key(stored);
    ASSERT_TRUE(address);
    EXPECT_EQ(address->group, key_group(5));
    EXPECT_EQ(address->key, "key");
    EXPECT_EQ(address->tag, "tag");
    EXPECT_EQ(address->domain, time_domain::processing_time);
}

TEST(key_codec, outbox_keys_order_by_sequence_numerically) {
    const auto key = [](std::uint64_t sequence) {
        return encode_outbox_key(instance_id(3), topology_epoch(1), sequence_number(sequence));
    };
    EXPECT_LT(key(1), key(255));
    EXPECT_LT(key(255), key(256));
    EXPECT_LT(key(256), key(1ULL << 40));
    const auto address = decode_outbox_key(key(256));
    ASSERT_TRUE(address);
    EXPECT_EQ(address->receiver, instance_id(3));
    EXPECT_EQ(address->epoch, topology_epoch(1));
    EXPECT_EQ(address->sequence, sequence_number(256));
}

TEST(key_codec, prefix_successor_is_the_end_of_the_prefix_range) {
    EXPECT_EQ(prefix_successor("ab"), "ac");
    EXPECT_EQ(prefix_successor(std::string("a\xff\xff", 3)), "b");
    EXPECT_EQ(prefix_successor(std::string("\xff", 1)), "");
    EXPECT_EQ(prefix_successor("o"), "p");
}

TEST(key_codec, u64_values_round_trip) {
    EXPECT_EQ(decode_u64_value(encode_u64_value(0x0102030405060708ULL)), 0x0102030405060708ULL);
    EXPECT_FALSE(decode_u64_value("short"));
}

}  // namespace
}  // namespace eddy::state::detail
