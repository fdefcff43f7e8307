#include "wire/frame.hpp"

#include "wire/messages.hpp"
#include "wire/tests/hex.hpp"

#include <gtest/gtest.h>

#include <variant>

namespace eddy::wire {
namespace {

using testing::from_hex;
using testing::to_hex;

std::span<const std::byte> span_of(const std::vector<std::byte>& bytes) {
    return {bytes.data(), bytes.size()};
}

TEST(split_frame, returns_a_view_of_a_whole_frame) {
    // credit of 0x0102 bytes: length 9 = type byte + u64.
    const auto bytes = from_hex("09 00 00 00 03 02 01 00 00 00 00 00 00");
    auto split = split_frame(span_of(bytes));
    ASSERT_TRUE(split) << split.error().message;
    const auto* frame = std::get_if<frame_view>(&*split);
    ASSERT_NE(frame, nullptr);
    EXPECT_EQ(frame->type, frame_type::credit);
    EXPECT_EQ(frame->frame_bytes, 13u);
    EXPECT_EQ(frame->payload.data(), bytes.data() + 5);
    EXPECT_EQ(to_hex(frame->payload), "02 01 00 00 00 00 00 00");
}

TEST(split_frame, asks_for_more_at_every_prefix_of_a_frame) {
    const auto bytes = from_hex("09 00 00 00 03 02 01 00 00 00 00 00 00");
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        auto split = split_frame(span_of(bytes).first(size));
        ASSERT_TRUE(split) << size << ": " << split.error().message;
        const auto* more = std::get_if<need_more_bytes>(&*split);
        ASSERT_NE(more, nullptr) << size;
        EXPECT_EQ(more->frame_bytes, size < 4 ? frame_header_bytes : 13u) << size;
    }
}

TEST(split_frame, walks_back_to_back_frames) {
    byte_buffer out;
    encode(heartbeat{}, out);
    encode(watermark{-5}, out);
    encode(ack{sequence_number(9)}, out);
    std::span<const std::byte> unconsumed = out.bytes();
    std::vector<frame_type> types;
    for (;;) {
        auto split = split_frame(unconsumed);
        ASSERT_TRUE(split);
        const auto* frame = std::get_if<frame_view>(&*split);
        if (frame == nullptr)
            break;
        types.push_back(frame->type);
        unconsumed = unconsumed.subspan(frame->frame_bytes);
    }
    EXPECT_TRUE(unconsumed.empty());
    EXPECT_EQ(types, (std::vector{frame_type::heartbeat, frame_type::watermark, frame_type::ack}));
}

TEST(split_frame, rejects_zero_length) {
    const auto bytes = from_hex("00 00 00 00");
    auto split = split_frame(span_of(bytes));
    ASSERT_FALSE(split);
    EXPECT_EQ(split.error().kind, wire_errc::bad_length);
}

TEST(split_frame, rejects_oversized_length_from_the_header_alone) {
    // 16 MiB + 1, with nothing after the length: refused before waiting for more.
    const auto bytes = from_hex("01 00 00 01");
    auto split = split_frame(span_of(bytes));
    ASSERT_FALSE(split);
    EXPECT_EQ(split.error().kind, wire_errc::oversized);
    EXPECT_EQ(split.error().message, "frame length 16777217 exceeds the maximum of 16777216 bytes");

    const auto huge = from_hex("ff ff ff ff 02");
    ASSERT_FALSE(split_frame(span_of(huge)));
    EXPECT_EQ(split_frame(span_of(huge)).error().kind, wire_errc::oversized);
}

TEST(split_frame, honours_a_smaller_maximum) {
    const auto bytes = from_hex("09 00 00 00 03 02 01 00 00 00 00 00 00");
    EXPECT_TRUE(split_frame(span_of(bytes), 9));
    auto split = split_frame(span_of(bytes), 8);
    ASSERT_FALSE(split);
    EXPECT_EQ(split.error().kind, wire_errc::oversized);
}

TEST(split_frame, rejects_undefined_types_as_soon_as_the_type_byte_arrives) {
    for (std::uint8_t type : {0x00, 0x08, 0x3f, 0x40, 0x7f, 0x80, 0xff}) {
        std::vector<std::byte> bytes = from_hex("10 00 00 00");
        bytes.push_back(static_cast<std::byte>(type));
        auto split = split_frame(span_of(bytes));
        ASSERT_FALSE(split) << int(type);
        EXPECT_EQ(split.error().kind, wire_errc::bad_type);
    }
    for (std::uint8_t type = 0x01; type <= 0x07; ++type) {
        EXPECT_TRUE(is_defined_frame_type(type));
    }
}

TEST(frame_type, names_are_stable) {
    EXPECT_EQ(to_string(frame_type::hello), "hello");
    EXPECT_EQ(to_string(frame_type::record_batch), "record_batch");
    EXPECT_EQ(to_string(static_cast<frame_type>(0x99)), "unknown");
    EXPECT_EQ(static_cast<int>(frame_type::goodbye), 0x07);
}

}  // namespace
}  // namespace eddy::wire
