#include "wire/sdk_messages.hpp"

#include "wire/frame.hpp"
#include "wire/tests/hex.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace eddy::wire {
namespace {

using testing::from_hex;
using testing::to_hex;

// The trace context of docs/protocol.md 11.5 (the W3C specification's
// example traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01).
trace_context example_trace() {
    trace_context trace;
    const auto id = from_hex("4b f9 2f 35 77 b3 4d a6 a3 ce 92 9d 0e 0e 47 36");
    const auto span = from_hex("00 f0 67 aa 0b a9 02 b7");
    std::copy(id.begin(), id.end(), trace.trace_id.begin());
    std::copy(span.begin(), span.end(), trace.span_id.begin());
    trace.flags = 1;
    return trace;
}

constexpr std::string_view example_trace_hex =
    "4b f9 2f 35 77 b3 4d a6 a3 ce 92 9d 0e 0e 47 36 00 f0 67 aa 0b a9 02 b7 01";

// docs/protocol.md 11.5, byte for byte.
const std::string worked_process = std::string(
                                       "49 00 00 00 42 "
                                       "01 00 00 00 00 00 00 00 "
                                       "ff ff ff ff ff ff ff ff "
                                       "01 "
                                       "05 77 6f 72 64 73 02 61 62 01 31 "
                                       "05 00 00 00 00 00 00 00 "
                                       "01 05 63 6f 75 6e 74 01 32 "
                                       "01 00 ") +
                                   std::string(example_trace_hex);
const std::string worked_transaction = std::string(
                                           "49 00 00 00 44 "
                                           "01 00 00 00 00 00 00 00 "
                                           "01 06 63 6f 75 6e 74 73 02 61 62 01 33 "
                                           "05 00 00 00 00 00 00 00 "
                                           "01 02 61 62 05 63 6f 75 6e 74 00 01 33 "
                                           "00 00 00 "
                                           "01 00 ") +
                                       std::string(example_trace_hex);

frame_view split(std::span<const std::byte> bytes) {
    auto result = split_frame(bytes, max_sdk_transaction_bytes, frame_family::sdk);
    EXPECT_TRUE(result);
    const auto* frame = std::get_if<frame_view>(&*result);
    EXPECT_NE(frame, nullptr);
    return *frame;
}

TEST(sdk_process, encodes_the_worked_example) {
    const trace_context trace = example_trace();
    const sdk_state_entry count{"count", "2"};
    byte_buffer out;
    sdk_request request(out, frame_type::sdk_process, 1, -1, 1);
    request.record("words", "ab", "1", 5, {&count, 1}, &trace);
    const std::size_t frame_bytes = request.finish();
    EXPECT_EQ(frame_bytes, out.size());
    EXPECT_EQ(to_hex(out.bytes()), to_hex(from_hex(worked_process)));
}

TEST(sdk_process, decodes_the_worked_example) {
    const auto bytes = from_hex(worked_process);
    const frame_view frame = split(bytes);
    ASSERT_EQ(frame.type, frame_type::sdk_process);
    const auto request = decode_sdk_request(frame.type, frame.payload);
    ASSERT_TRUE(request) << request.error().message;
    EXPECT_EQ(request->batch, 1u);
    EXPECT_EQ(request->watermark, -1);
    ASSERT_EQ(request->items.size(), 1u);
    const auto& item = request->items[0];
    EXPECT_EQ(item.stream, "words");
    EXPECT_EQ(item.key, "ab");
    EXPECT_EQ(item.value, "1");
    EXPECT_EQ(item.time, 5);
    ASSERT_EQ(item.state.size(), 1u);
    EXPECT_EQ(item.state[0].name, "count");
    EXPECT_EQ(item.state[0].value, "2");
    ASSERT_TRUE(item.trace);
    EXPECT_EQ(*item.trace, example_trace());
}

TEST(sdk_process, untraced_costs_one_byte_and_version_1_none) {
    byte_buffer v2;
    sdk_request traced(v2, frame_type::sdk_process, 7, 0, 1);
    traced.record("s", "k", "v", 0, {});
    traced.finish();
    byte_buffer v1;
    sdk_request old(v1, frame_type::sdk_process, 7, 0, 1, 1);
    const trace_context trace = example_trace();
    old.record("s", "k", "v", 0, {}, &trace);  // a version-1 SDK never sees it
    old.finish();
    EXPECT_EQ(v2.size(), v1.size() + 1);
    EXPECT_EQ(v2.bytes().back(), std::byte{0});

    const auto decoded = decode_sdk_request(frame_type::sdk_process, split(v1.bytes()).payload, 1);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_FALSE(decoded->items[0].trace);
    // A version-2 reader wants the section a version-1 frame lacks.
    EXPECT_FALSE(decode_sdk_request(frame_type::sdk_process, split(v1.bytes()).payload, 2));
}

TEST(sdk_process, traces_only_the_records_that_have_one) {
    trace_context second = example_trace();
    second.span_id[0] = std::byte{0x77};
    byte_buffer out;
    sdk_request request(out, frame_type::sdk_process, 2, 0, 4);
    request.record("s", "a", "", 0, {});
    request.record("s", "b", "", 0, {}, &second);
    request.record("s", "c", "", 0, {});
    const trace_context first = example_trace();
    request.record("s", "d", "", 0, {}, &first);
    request.finish();
    const auto decoded = decode_sdk_request(frame_type::sdk_process, split(out.bytes()).payload);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_FALSE(decoded->items[0].trace);
    EXPECT_EQ(decoded->items[1].trace, second);
    EXPECT_FALSE(decoded->items[2].trace);
    EXPECT_EQ(decoded->items[3].trace, first);
}

TEST(sdk_process, rejects_a_bad_trace_section) {
    // One record "s","k","v" at time 0 with no state, then the trace section.
    const std::string head =
        "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 01 73 01 6b 01 76 "
        "00 00 00 00 00 00 00 00 00 ";
    const std::string trace(example_trace_hex);
    const auto decode = [&](const std::string& tail) {
        const auto payload = from_hex(head + tail);
        return decode_sdk_request(frame_type::sdk_process, payload);
    };
    ASSERT_TRUE(decode("00"));
    ASSERT_TRUE(decode("01 00 " + trace));
    // Index past the records.
    const auto past = decode("01 01 " + trace);
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error().kind, wire_errc::bad_length);
    EXPECT_NE(past.error().message.find("traced index 1"), std::string::npos)
        << past.error().message;
    // A context cut short; a count that cannot fit; the section missing.
    EXPECT_EQ(decode("01 00 4b f9").error().kind, wire_errc::count_mismatch);
    EXPECT_EQ(decode("02 00 " + trace).error().kind, wire_errc::count_mismatch);
    EXPECT_EQ(decode("").error().kind, wire_errc::truncated);
    EXPECT_EQ(decode("00 00").error().kind, wire_errc::trailing_bytes);
}

TEST(sdk_process, rejects_repeated_or_decreasing_indices) {
    byte_buffer out;
    sdk_request request(out, frame_type::sdk_process, 1, 0, 2);
    request.record("s", "a", "", 0, {});
    request.record("s", "b", "", 0, {});
    request.finish();
    // Replace the empty section (the last byte) with indices 1, 1.
    auto bytes = std::vector<std::byte>(out.bytes().begin() + 5, out.bytes().end() - 1);
    const auto trace = from_hex(example_trace_hex);
    bytes.push_back(std::byte{2});
    for (int i = 0; i < 2; ++i) {
        bytes.push_back(std::byte{1});
        bytes.insert(bytes.end(), trace.begin(), trace.end());
    }
    const auto decoded = decode_sdk_request(frame_type::sdk_process, bytes);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().kind, wire_errc::bad_length);
}

TEST(sdk_fire_timers, has_no_trace_section) {
    byte_buffer out;
    sdk_request request(out, frame_type::sdk_fire_timers, 3, 0, 1);
    request.timer("k", "t", 9, time_domain::processing_time, {});
    request.finish();
    EXPECT_EQ(to_hex(out.bytes()),
              "20 00 00 00 43 "                                   // length 32, fire_timers
              "03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "  // batch 3, watermark 0
              "01 01 6b 01 74 09 00 00 00 00 00 00 00 01 00");    // no section after m
    const auto decoded =
        decode_sdk_request(frame_type::sdk_fire_timers, split(out.bytes()).payload);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->items[0].tag, "t");
}

TEST(sdk_transaction, decodes_and_encodes_the_worked_example) {
    const auto bytes = from_hex(worked_transaction);
    const frame_view frame = split(bytes);
    ASSERT_EQ(frame.type, frame_type::sdk_transaction);
    sdk_transaction transaction;
    auto decoded = decode_sdk_transaction(frame.payload, transaction);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(transaction.batch, 1u);
    ASSERT_EQ(transaction.produced.size(), 1u);
    EXPECT_EQ(transaction.produced[0].stream, "counts");
    EXPECT_EQ(transaction.produced[0].value, "3");
    EXPECT_EQ(transaction.produced[0].trace, example_trace());
    ASSERT_EQ(transaction.writes.size(), 1u);
    EXPECT_EQ(transaction.writes[0].name, "count");

    byte_buffer out;
    encode(transaction, out);
    EXPECT_EQ(to_hex(out.bytes()), to_hex(bytes));
}

TEST(sdk_transaction, carries_contexts_on_some_records_and_not_for_version_1) {
    sdk_transaction transaction;
    transaction.batch = 4;
    transaction.produced = {{"o", "a", "1", 1, std::nullopt},
                            {"o", "b", "2", 2, example_trace()},
                            {"o", "c", "3", 3, std::nullopt}};
    byte_buffer out;
    encode(transaction, out);
    sdk_transaction back;
    ASSERT_TRUE(decode_sdk_transaction(split(out.bytes()).payload, back));
    ASSERT_EQ(back.produced.size(), 3u);
    EXPECT_FALSE(back.produced[0].trace);
    EXPECT_EQ(back.produced[1].trace, example_trace());
    EXPECT_FALSE(back.produced[2].trace);

    // Reusing `back` for a version-1 frame clears the contexts it held.
    byte_buffer old;
    encode(transaction, old, 1);
    EXPECT_EQ(old.size() + 1 + 1 + sdk_trace_context_bytes, out.size());
    ASSERT_TRUE(decode_sdk_transaction(split(old.bytes()).payload, back, 1));
    EXPECT_FALSE(back.produced[1].trace);
}

TEST(sdk_transaction, rejects_a_context_for_a_record_it_did_not_produce) {
    // batch 1, nothing produced, written, set, logged or failed; one traced index 0.
    const auto payload =
        from_hex("01 00 00 00 00 00 00 00 00 00 00 00 00 01 00 " + std::string(example_trace_hex));
    sdk_transaction into;
    const auto decoded = decode_sdk_transaction(payload, into);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().kind, wire_errc::bad_length);
    EXPECT_NE(decoded.error().message.find("transaction: traced index 0"), std::string::npos)
        << decoded.error().message;
}

TEST(sdk_hello, accepts_versions_1_and_2_only) {
    for (const std::uint16_t version : {1, 2}) {
        byte_buffer out;
        encode(sdk_hello{version, "python/1.0.0", "{}"}, out);
        const auto hello = decode_sdk_hello(split(out.bytes()).payload);
        ASSERT_TRUE(hello) << hello.error().message;
        EXPECT_EQ(hello->version, version);
    }
    for (const std::uint16_t version : {0, 3}) {
        byte_buffer out;
        encode(sdk_hello{version, "x", "{}"}, out);
        const auto hello = decode_sdk_hello(split(out.bytes()).payload);
        ASSERT_FALSE(hello);
        EXPECT_EQ(hello.error().kind, wire_errc::version_mismatch);
        EXPECT_NE(hello.error().message.find("speaks 1 to 2"), std::string::npos);
    }
}

}  // namespace
}  // namespace eddy::wire
