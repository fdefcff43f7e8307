#include "wire/record_batch.hpp"

#include "wire/tests/hex.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <variant>

namespace eddy::wire {
namespace {

using testing::from_hex;
using testing::to_hex;

constexpr time_micros base = 1'700'000'000'000'000;

trace_context sample_trace() {
    trace_context trace;
    for (std::size_t i = 0; i < 16; ++i)
        trace.trace_id[i] = static_cast<std::byte>(i + 1);
    for (std::size_t i = 0; i < 8; ++i)
        trace.span_id[i] = static_cast<std::byte>(0xa1 + i);
    trace.flags = 1;
    return trace;
}

batch_header clicks_header() {
    return {.stream = "clicks",
            .sender = instance_id(7),
            .epoch = topology_epoch(3),
            .sequence = sequence_number(42),
            .base_time = base};
}

// The worked example of docs/protocol.md, byte for byte.
constexpr std::string_view worked_example =
    "50 00 00 00 02"                                    // length 80, type record_batch
    " 07 00 00 00"                                      // sender instance 7
    " 03 00 00 00 00 00 00 00"                          // topology epoch 3
    " 2a 00 00 00 00 00 00 00"                          // sequence 42
    " 00 40 1e 18 24 0a 06 00"                          // base time 1700000000000000
    " 02 00 00 00"                                      // 2 records
    " 06 63 6c 69 63 6b 73"                             // "clicks"
    " 00 02 75 31 02 68 69 a0 1f"                       // "u1" "hi" base+2000
    " 01 02 75 32 00 05"                                // "u2" "" base-3, traced
    " 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10"  // trace id
    " a1 a2 a3 a4 a5 a6 a7 a8 01";                      // span id, flags

std::vector<std::byte> encode_worked_example() {
    byte_buffer out;
    record_batch_writer writer(out);
    writer.begin(clicks_header());
    writer.add("u1", "hi", base + 2000);
    writer.add("u2", "", base - 3, sample_trace());
    auto frame = writer.finish();
    EXPECT_TRUE(frame);
    return {frame->begin(), frame->end()};
}

std::span<const std::byte> payload_of(const std::vector<std::byte>& frame) {
    return std::span<const std::byte>(frame).subspan(frame_header_bytes);
}

TEST(record_batch, encodes_the_documented_worked_example) {
    EXPECT_EQ(to_hex(encode_worked_example()), to_hex(from_hex(worked_example)));
}

TEST(record_batch, decodes_the_worked_example) {
    const auto frame = from_hex(worked_example);
    auto split = split_frame(frame);
    ASSERT_TRUE(split);
    const auto* view = std::get_if<frame_view>(&*split);
    ASSERT_NE(view, nullptr);
    ASSERT_EQ(view->type, frame_type::record_batch);
    std::vector<record_view> records;
    auto header = decode_record_batch(view->payload, records);
    ASSERT_TRUE(header) << header.error().message;
    batch_header expected = clicks_header();
    expected.record_count = 2;
    EXPECT_EQ(*header, expected);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0], (record_view{"u1", "hi", base + 2000, std::nullopt}));
    EXPECT_EQ(records[1], (record_view{"u2", "", base - 3, sample_trace()}));
    // Zero-copy: the key points into the frame.
    EXPECT_EQ(reinterpret_cast<const std::byte*>(records[0].key.data()), frame.data() + 46);
}

TEST(record_batch, round_trips_edge_records) {
    const std::string large(3 << 20, 'v');
    const std::string binary("\0\xff\x80", 3);
    const std::vector<record_view> input{
        {"", "", base, std::nullopt},           {"k", "", base, std::nullopt},
        {"", "v", base, sample_trace()},        {binary, binary, base, std::nullopt},
        {"big", large, 0, std::nullopt},        {"min", "t", min_time, std::nullopt},
        {"max", "t", max_time, sample_trace()}, {"neg", "t", -1, std::nullopt},
        {"zero", "t", 0, std::nullopt},
    };
    for (time_micros base_time : {base, time_micros{0}, min_time, max_time}) {
        byte_buffer out;
        record_batch_writer writer(out);
        batch_header header = clicks_header();
        header.base_time = base_time;
        writer.begin(header);
        for (const record_view& record : input)
            writer.add(record);
        auto frame = writer.finish();
        ASSERT_TRUE(frame) << frame.error().message;
        std::vector<record_view> records;
        auto back = decode_record_batch(frame->subspan(frame_header_bytes), records);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(back->record_count, input.size());
        EXPECT_EQ(back->base_time, base_time);
        EXPECT_EQ(records, input) << base_time;
    }
}

TEST(record_batch, round_trips_an_empty_batch) {
    byte_buffer out;
    record_batch_writer writer(out);
    writer.begin({.stream = "", .sequence = sequence_number(1)});
    auto frame = writer.finish();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->size(), frame_header_bytes + batch_fixed_header_bytes + 1);
    std::vector<record_view> records{{"stale", "", 0, std::nullopt}};
    auto back = decode_record_batch(frame->subspan(frame_header_bytes), records);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->record_count, 0u);
    EXPECT_TRUE(records.empty());
}

TEST(record_batch, header_alone_decodes_without_records) {
    const auto frame = encode_worked_example();
    auto header = decode_batch_header(payload_of(frame));
    ASSERT_TRUE(header);
    EXPECT_EQ(header->sequence, sequence_number(42));
    EXPECT_EQ(header->stream, "clicks");
    EXPECT_EQ(header->record_count, 2u);
}

TEST(record_batch_writer, appends_frames_and_stops_allocating_when_warm) {
    byte_buffer out;
    record_batch_writer writer(out);
    const std::string value(84, 'x');
    std::size_t warm_capacity = 0;
    for (int round = 0; round < 5; ++round) {
        out.clear();
        for (std::uint64_t batch = 1; batch <= 3; ++batch) {
            writer.begin({.stream = "s", .sequence = sequence_number(batch)});
            for (int i = 0; i < 100; ++i)
                writer.add("0123456789abcdef", value, i);
            EXPECT_EQ(writer.record_count(), 100u);
            ASSERT_TRUE(writer.finish());
        }
        if (round == 0)
            warm_capacity = out.capacity();
        EXPECT_EQ(out.capacity(), warm_capacity);
    }
    // Three frames back to back, in order.
    std::span<const std::byte> unconsumed = out.bytes();
    std::vector<record_view> records;
    for (std::uint64_t batch = 1; batch <= 3; ++batch) {
        auto split = split_frame(unconsumed);
        ASSERT_TRUE(split);
        const auto& frame = std::get<frame_view>(*split);
        auto header = decode_record_batch(frame.payload, records);
        ASSERT_TRUE(header);
        EXPECT_EQ(header->sequence, sequence_number(batch));
        EXPECT_EQ(records.size(), 100u);
        EXPECT_EQ(records[99].time, 99);
        unconsumed = unconsumed.subspan(frame.frame_bytes);
    }
    EXPECT_TRUE(unconsumed.empty());
}

TEST(record_batch_writer, refuses_and_removes_an_oversized_frame) {
    byte_buffer out;
    record_batch_writer writer(out, 100);
    writer.begin(clicks_header());
    writer.add("k", std::string(100, 'v'), base);
    auto frame = writer.finish();
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().kind, wire_errc::oversized);
    EXPECT_EQ(out.size(), 0u);
    EXPECT_FALSE(writer.is_open());

    writer.begin(clicks_header());
    writer.add("k", "v", base);
    writer.abandon();
    EXPECT_EQ(out.size(), 0u);
}

// ---- malformed input ----

wire_error decode_error(std::span<const std::byte> payload) {
    std::vector<record_view> records{{"stale", "", 0, std::nullopt}};
    auto header = decode_record_batch(payload, records);
    EXPECT_FALSE(header);
    EXPECT_TRUE(records.empty()) << "a rejected batch must leave no records behind";
    return header ? wire_error{} : header.error();
}

TEST(record_batch, rejects_truncation_at_every_byte_offset) {
    const auto frame = encode_worked_example();
    const auto payload = payload_of(frame);
    // Offsets: fixed header 0-31, stream name length 32 and bytes 33-38,
    // record 0 at 39-47, record 1 at 48-78 (key length 49, key 50-51).
    for (std::size_t size = 0; size < payload.size(); ++size) {
        const wire_error error = decode_error(payload.first(size));
        wire_errc expected = wire_errc::truncated;
        if ((size >= 33 && size <= 38) || size == 50 || size == 51) {
            expected = wire_errc::bad_length;  // a length points past the cut
        } else if ((size >= 39 && size <= 46) || size == 48) {
            // Too few bytes left for 2 records of at least 4 bytes, or a cut
            // exactly after record 0.
            expected = wire_errc::count_mismatch;
        }
        EXPECT_EQ(error.kind, expected) << size << ": " << error.message;
    }
}

TEST(record_batch, rejects_a_record_count_that_does_not_match) {
    auto frame = encode_worked_example();
    frame[frame_header_bytes + 28] = std::byte{3};
    const wire_error more = decode_error(payload_of(frame));
    EXPECT_EQ(more.kind, wire_errc::count_mismatch);
    EXPECT_EQ(more.message,
              "record_batch: header announces 3 records, the payload ends after 2 at offset 79");

    frame[frame_header_bytes + 28] = std::byte{1};
    const wire_error fewer = decode_error(payload_of(frame));
    EXPECT_EQ(fewer.kind, wire_errc::trailing_bytes);
    EXPECT_EQ(fewer.message, "record_batch: 31 bytes after the last of 1 records at offset 48");
}

TEST(record_batch, rejects_a_huge_count_before_allocating) {
    auto frame = encode_worked_example();
    frame[frame_header_bytes + 31] = std::byte{0xff};
    const wire_error error = decode_error(payload_of(frame));
    EXPECT_EQ(error.kind, wire_errc::count_mismatch);
    EXPECT_EQ(error.message,
              "record_batch: header announces 4278190082 records but only 40 bytes follow at "
              "offset 39");
}

TEST(record_batch, rejects_trailing_bytes) {
    auto frame = encode_worked_example();
    frame.push_back(std::byte{0});
    EXPECT_EQ(decode_error(payload_of(frame)).kind, wire_errc::trailing_bytes);
}

TEST(record_batch, rejects_reserved_flag_bits) {
    auto frame = encode_worked_example();
    frame[frame_header_bytes + 39] = std::byte{0x02};
    const wire_error error = decode_error(payload_of(frame));
    EXPECT_EQ(error.kind, wire_errc::bad_flags);
    EXPECT_EQ(error.message, "record_batch: record 0 flags 0x02 at offset 39 set reserved bits");
}

// A header for hand-built record bytes: 1 record, empty stream name.
std::vector<std::byte> one_record_payload(std::string_view record_hex) {
    auto payload = from_hex(
        "01 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00"
        " 00 00 00 00 00 00 00 00 01 00 00 00 00");
    const auto record = from_hex(record_hex);
    payload.insert(payload.end(), record.begin(), record.end());
    return payload;
}

TEST(record_batch, accepts_a_hand_built_record) {
    std::vector<record_view> records;
    auto header = decode_record_batch(one_record_payload("00 01 6b 01 76 03"), records);
    ASSERT_TRUE(header) << header.error().message;
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0], (record_view{"k", "v", -2, std::nullopt}));
}

TEST(record_batch, rejects_bad_varints) {
    // Overlong key length (0x80 0x00 is a non-minimal zero).
    wire_error error = decode_error(one_record_payload("00 80 00 01 76 00"));
    EXPECT_EQ(error.kind, wire_errc::bad_varint);
    EXPECT_EQ(error.message,
              "record_batch: record 0 key length at offset 34 is overlong or above 2^64-1");
    // Eleven-byte value length.
    error = decode_error(one_record_payload("00 00 ff ff ff ff ff ff ff ff ff ff 01 00"));
    EXPECT_EQ(error.kind, wire_errc::bad_varint);
    // Time delta above 2^64-1.
    error = decode_error(one_record_payload("00 00 00 ff ff ff ff ff ff ff ff ff 02"));
    EXPECT_EQ(error.kind, wire_errc::bad_varint);
    EXPECT_EQ(error.message,
              "record_batch: record 0 time delta at offset 36 is overlong or above 2^64-1");
    // Stream name length overlong.
    auto payload = one_record_payload("00 00 00 00");
    payload[32] = std::byte{0x80};
    payload.insert(payload.begin() + 33, std::byte{0x00});
    EXPECT_EQ(decode_error(payload).kind, wire_errc::bad_varint);
}

TEST(record_batch, rejects_lengths_pointing_past_the_end) {
    wire_error error = decode_error(one_record_payload("00 05 6b 01 76 00"));
    EXPECT_EQ(error.kind, wire_errc::bad_length);
    EXPECT_EQ(error.message,
              "record_batch: record 0 key length 5 at offset 34 points past the end (4 bytes "
              "left)");
    // A 2^63 value length must not wrap a pointer.
    error = decode_error(one_record_payload("00 00 80 80 80 80 80 80 80 80 80 01 00"));
    EXPECT_EQ(error.kind, wire_errc::bad_length);
    // The stream name.
    auto payload = one_record_payload("00 00 00 00");
    payload[32] = std::byte{0x7f};
    EXPECT_EQ(decode_error(payload).kind, wire_errc::bad_length);
    // A trace context cut short.
    error = decode_error(one_record_payload("01 00 00 00 01 02 03"));
    EXPECT_EQ(error.kind, wire_errc::truncated);
}

}  // namespace
}  // namespace eddy::wire
