#include "wire/messages.hpp"

#include "wire/frame.hpp"
#include "wire/tests/hex.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <variant>

namespace eddy::wire {
namespace {

using testing::from_hex;
using testing::to_hex;

// Encodes `message` alone and returns its frame, checking the framing.
template <class Message>
frame_view framed(const Message& message, byte_buffer& out, frame_type expected) {
    out.clear();
    encode(message, out);
    auto split = split_frame(out.bytes());
    EXPECT_TRUE(split);
    const auto* frame = std::get_if<frame_view>(&*split);
    EXPECT_NE(frame, nullptr);
    EXPECT_EQ(frame->type, expected);
    EXPECT_EQ(frame->frame_bytes, out.size());
    return *frame;
}

const hello sample_hello{protocol_version, instance_id(7), instance_id(9), topology_epoch(3),
                         "count"};

TEST(hello, has_the_documented_bytes) {
    byte_buffer out;
    encode(sample_hello, out);
    EXPECT_EQ(to_hex(out.bytes()),
              "19 00 00 00 01 "           // length 25, type hello
              "01 00 "                    // version 1
              "07 00 00 00 09 00 00 00 "  // sender 7, receiver 9
              "03 00 00 00 00 00 00 00 "  // epoch 3
              "05 63 6f 75 6e 74");       // "count"
}

TEST(hello, round_trips) {
    byte_buffer out;
    for (const hello& message :
         {sample_hello,
          hello{protocol_version, instance_id(0), instance_id(~0u), topology_epoch(~0ull), ""},
          hello{protocol_version, instance_id(1), instance_id(2), topology_epoch(1),
                std::string_view("a\0b", 3)}}) {
        const frame_view frame = framed(message, out, frame_type::hello);
        auto back = decode_hello(frame.payload);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, message);
    }
}

TEST(hello, rejects_another_version_before_reading_the_rest) {
    const auto payload = from_hex("02 00");
    auto back = decode_hello(payload);
    ASSERT_FALSE(back);
    EXPECT_EQ(back.error().kind, wire_errc::version_mismatch);
    EXPECT_EQ(back.error().message, "hello: peer speaks protocol version 2, not 1");
}

TEST(hello, rejects_every_truncation) {
    byte_buffer out;
    const frame_view frame = framed(sample_hello, out, frame_type::hello);
    for (std::size_t size = 0; size < frame.payload.size(); ++size) {
        auto back = decode_hello(frame.payload.first(size));
        ASSERT_FALSE(back) << size;
        // Fixed fields and the name's length byte end at 19; after that the
        // name's length points past the end.
        EXPECT_EQ(back.error().kind, size < 19 ? wire_errc::truncated : wire_errc::bad_length)
            << size << ": " << back.error().message;
    }
}

TEST(hello, rejects_trailing_bytes) {
    byte_buffer out;
    const frame_view frame = framed(sample_hello, out, frame_type::hello);
    std::vector<std::byte> payload(frame.payload.begin(), frame.payload.end());
    payload.push_back(std::byte{0});
    auto back = decode_hello(payload);
    ASSERT_FALSE(back);
    EXPECT_EQ(back.error().kind, wire_errc::trailing_bytes);
    EXPECT_EQ(back.error().message, "hello: 1 unexpected bytes at offset 24");
}

TEST(hello, rejects_a_bad_name_length_varint) {
    auto payload = from_hex("01 00 07 00 00 00 09 00 00 00 03 00 00 00 00 00 00 00 85 00 61");
    auto back = decode_hello(payload);
    ASSERT_FALSE(back);
    EXPECT_EQ(back.error().kind, wire_errc::bad_varint);
}

TEST(credit, round_trips_with_exact_bytes) {
    byte_buffer out;
    const frame_view frame = framed(credit{1u << 20}, out, frame_type::credit);
    EXPECT_EQ(to_hex(out.bytes()), "09 00 00 00 03 00 00 10 00 00 00 00 00");
    auto back = decode_credit(frame.payload);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->bytes, 1u << 20);
}

TEST(ack, round_trips_with_exact_bytes) {
    byte_buffer out;
    const frame_view frame = framed(ack{sequence_number(0x0102030405060708)}, out, frame_type::ack);
    EXPECT_EQ(to_hex(out.bytes()), "09 00 00 00 04 08 07 06 05 04 03 02 01");
    auto back = decode_ack(frame.payload);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->committed, sequence_number(0x0102030405060708));
}

TEST(watermark, round_trips_negative_and_extreme_times) {
    byte_buffer out;
    encode(watermark{-2}, out);
    EXPECT_EQ(to_hex(out.bytes()), "09 00 00 00 05 fe ff ff ff ff ff ff ff");
    for (time_micros low : {time_micros{0}, time_micros{-2}, min_time, max_time,
                            time_micros{1'700'000'000'000'000}}) {
        const frame_view frame = framed(watermark{low}, out, frame_type::watermark);
        auto back = decode_watermark(frame.payload);
        ASSERT_TRUE(back);
        EXPECT_EQ(back->low, low);
    }
}

TEST(heartbeat, is_an_empty_frame) {
    byte_buffer out;
    const frame_view frame = framed(heartbeat{}, out, frame_type::heartbeat);
    EXPECT_EQ(to_hex(out.bytes()), "01 00 00 00 06");
    EXPECT_TRUE(decode_heartbeat(frame.payload));
    const auto extra = from_hex("00");
    ASSERT_FALSE(decode_heartbeat(extra));
    EXPECT_EQ(decode_heartbeat(extra).error().kind, wire_errc::trailing_bytes);
}

TEST(goodbye, round_trips_known_and_unknown_reasons) {
    byte_buffer out;
    encode(goodbye{goodbye_reason::protocol_error, "bad"}, out);
    EXPECT_EQ(to_hex(out.bytes()), "07 00 00 00 07 03 00 03 62 61 64");
    for (const goodbye& message :
         {goodbye{goodbye_reason::normal, ""}, goodbye{goodbye_reason::protocol_error, "bad"},
          goodbye{static_cast<goodbye_reason>(0xfffe), std::string_view("x")}}) {
        const frame_view frame = framed(message, out, frame_type::goodbye);
        auto back = decode_goodbye(frame.payload);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, message);
    }
}

TEST(goodbye, round_trips_a_long_message) {
    const std::string text(300, 'z');  // two-byte length varint
    byte_buffer out;
    const frame_view frame =
        framed(goodbye{goodbye_reason::shutting_down, text}, out, frame_type::goodbye);
    auto back = decode_goodbye(frame.payload);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->message, text);
    EXPECT_EQ(back->reason, goodbye_reason::shutting_down);
}

TEST(fixed_messages, reject_every_truncation_and_trailing_bytes) {
    const auto eight = from_hex("01 02 03 04 05 06 07 08");
    const std::span<const std::byte> whole(eight);
    for (std::size_t size = 0; size < 8; ++size) {
        const auto part = whole.first(size);
        EXPECT_EQ(decode_credit(part).error().kind, wire_errc::truncated);
        EXPECT_EQ(decode_ack(part).error().kind, wire_errc::truncated);
        EXPECT_EQ(decode_watermark(part).error().kind, wire_errc::truncated);
    }
    auto nine = eight;
    nine.push_back(std::byte{9});
    EXPECT_EQ(decode_credit(nine).error().kind, wire_errc::trailing_bytes);
    EXPECT_EQ(decode_ack(nine).error().kind, wire_errc::trailing_bytes);
    EXPECT_EQ(decode_watermark(nine).error().kind, wire_errc::trailing_bytes);
    EXPECT_EQ(decode_credit(from_hex("00 00 00 00 00 00 00")).error().message,
              "credit: bytes needs 8 bytes at offset 0, 7 left");
}

TEST(goodbye, rejects_every_truncation) {
    const auto payload = from_hex("01 00 03 62 61 64");
    const std::span<const std::byte> whole(payload);
    for (std::size_t size = 0; size < payload.size(); ++size) {
        auto back = decode_goodbye(whole.first(size));
        ASSERT_FALSE(back);
        EXPECT_EQ(back.error().kind, size < 3 ? wire_errc::truncated : wire_errc::bad_length)
            << size;
    }
}

TEST(wire_errc, names_are_stable) {
    EXPECT_EQ(to_string(wire_errc::bad_varint), "bad_varint");
    EXPECT_EQ(to_string(wire_errc::version_mismatch), "version_mismatch");
}

}  // namespace
}  // namespace eddy::wire
