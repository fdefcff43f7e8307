// libFuzzer entry point for eddy::wire: arbitrary bytes go through the frame
// splitter and every decoder; whatever decodes is encoded again and must give
// back the very same bytes (every encoding is canonical, so a decoder that
// accepts something the encoder would not produce is a bug too).
//
// Two views of each input: as a byte stream of frames (exercises split_frame
// and dispatch), and as "selector byte + payload" handed straight to one
// decoder (reaches decoder paths without valid framing).
//
// Built by clang++-14 with -fsanitize=fuzzer,address,undefined for the `fuzz`
// test, and by the normal compiler into wire_corpus_replay (label unit).

#include "wire/frame.hpp"
#include "wire/messages.hpp"
#include "wire/record_batch.hpp"
#include "wire/sdk_messages.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <variant>
#include <vector>

namespace eddy::wire {
namespace {

// Small, so that oversized frames are reachable with short inputs.
constexpr std::uint32_t fuzz_max_frame_bytes = 1u << 20;

[[noreturn]] void round_trip_failed(frame_type type, std::span<const std::byte> payload,
                                    std::span<const std::byte> again) {
    std::fprintf(stderr, "wire fuzz: %s payload of %zu bytes re-encoded to %zu different bytes\n",
                 std::string(to_string(type)).c_str(), payload.size(), again.size());
    std::abort();
}

// Compares a freshly encoded single frame with the payload it came from.
frame_family family_of(frame_type type) {
    return static_cast<std::uint8_t>(type) >= first_sdk_type ? frame_family::sdk
                                                             : frame_family::data_plane;
}

void expect_same(frame_type type, std::span<const std::byte> payload, const byte_buffer& out) {
    const std::span<const std::byte> frame = out.bytes();
    auto split = split_frame(frame, fuzz_max_frame_bytes, family_of(type));
    const auto* view = split ? std::get_if<frame_view>(&*split) : nullptr;
    if (view == nullptr || view->type != type || view->frame_bytes != frame.size() ||
        view->payload.size() != payload.size() ||
        (!payload.empty() &&
         std::memcmp(view->payload.data(), payload.data(), payload.size()) != 0)) {
        round_trip_failed(type, payload, frame);
    }
}

template <class Message>
void check_message(frame_type type, std::span<const std::byte> payload,
                   wire_result<Message> (*decode)(std::span<const std::byte>)) {
    auto message = decode(payload);
    if (!message) {
        return;
    }
    byte_buffer out;
    encode(*message, out);
    expect_same(type, payload, out);
}

void check_record_batch(std::span<const std::byte> payload) {
    std::vector<record_view> records;
    auto header = decode_record_batch(payload, records);
    auto header_only = decode_batch_header(payload);
    if (!header) {
        if (!records.empty()) {
            std::fprintf(stderr, "wire fuzz: rejected batch left %zu records\n", records.size());
            std::abort();
        }
        return;
    }
    if (!header_only || !(*header_only == *header) || records.size() != header->record_count) {
        std::fprintf(stderr, "wire fuzz: batch header and records disagree\n");
        std::abort();
    }
    byte_buffer out;
    record_batch_writer writer(out, fuzz_max_frame_bytes);
    writer.begin(*header);
    for (const record_view& record : records) {
        writer.add(record);
    }
    if (!writer.finish()) {
        std::fprintf(stderr, "wire fuzz: a decoded batch does not re-encode\n");
        std::abort();
    }
    expect_same(frame_type::record_batch, payload, out);
}

void check_transaction(std::span<const std::byte> payload) {
    sdk_transaction transaction;
    if (!decode_sdk_transaction(payload, transaction)) {
        return;
    }
    byte_buffer out;
    encode(transaction, out);
    expect_same(frame_type::sdk_transaction, payload, out);
}

void check_request(frame_type type, std::span<const std::byte> payload) {
    auto request = decode_sdk_request(type, payload);
    if (!request) {
        return;
    }
    byte_buffer out;
    sdk_request again(out, type, request->batch, request->watermark, request->items.size());
    for (const auto& item : request->items) {
        if (type == frame_type::sdk_process) {
            again.record(item.stream, item.key, item.value, item.time, item.state,
                         item.trace ? &*item.trace : nullptr);
        } else {
            again.timer(item.key, item.tag, item.time, item.domain, item.state);
        }
    }
    again.finish();
    expect_same(type, payload, out);
}

// shutdown and the SDK's goodbye carry nothing.
void check_empty(frame_type type, std::span<const std::byte> payload) {
    if (!payload.empty()) {
        return;
    }
    byte_buffer out;
    if (type == frame_type::sdk_shutdown) {
        encode_sdk_shutdown(out);
    } else {
        encode_sdk_goodbye(out);
    }
    expect_same(type, payload, out);
}

void check_payload(frame_type type, std::span<const std::byte> payload) {
    switch (type) {
        case frame_type::hello:
            return check_message(type, payload, &decode_hello);
        case frame_type::record_batch:
            return check_record_batch(payload);
        case frame_type::credit:
            return check_message(type, payload, &decode_credit);
        case frame_type::ack:
            return check_message(type, payload, &decode_ack);
        case frame_type::watermark:
            return check_message(type, payload, &decode_watermark);
        case frame_type::heartbeat:
            return check_message(type, payload, &decode_heartbeat);
        case frame_type::goodbye:
            return check_message(type, payload, &decode_goodbye);
        case frame_type::sdk_hello:
            return check_message(type, payload, &decode_sdk_hello);
        case frame_type::sdk_init:
            return check_message(type, payload, &decode_sdk_init);
        case frame_type::sdk_process:
        case frame_type::sdk_fire_timers:
            return check_request(type, payload);
        case frame_type::sdk_transaction:
            return check_transaction(payload);
        case frame_type::sdk_shutdown:
        case frame_type::sdk_goodbye:
            return check_empty(type, payload);
        case frame_type::sdk_error:
            return check_message(type, payload, &decode_sdk_error);
    }
    std::fprintf(stderr, "wire fuzz: split_frame passed undefined type %d\n",
                 static_cast<int>(type));
    std::abort();
}

void walk_frames(std::span<const std::byte> input, frame_family family) {
    while (!input.empty()) {
        auto split = split_frame(input, fuzz_max_frame_bytes, family);
        if (!split) {
            return;
        }
        const auto* frame = std::get_if<frame_view>(&*split);
        if (frame == nullptr) {
            const auto& more = std::get<need_more_bytes>(*split);
            if (more.frame_bytes <= input.size()) {
                std::fprintf(stderr, "wire fuzz: need_more_bytes asks for %zu of %zu held\n",
                             more.frame_bytes, input.size());
                std::abort();
            }
            return;
        }
        if (frame->frame_bytes > input.size() || frame->frame_bytes < frame_header_bytes) {
            std::fprintf(stderr, "wire fuzz: frame of %zu bytes in %zu\n", frame->frame_bytes,
                         input.size());
            std::abort();
        }
        check_payload(frame->type, frame->payload);
        input = input.subspan(frame->frame_bytes);
    }
}

}  // namespace
}  // namespace eddy::wire

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace eddy::wire;
    // An exact-size heap copy, so ASan sees any read past the end.
    std::vector<std::byte> bytes(size);
    if (size != 0) {
        std::memcpy(bytes.data(), data, size);
    }
    const std::span<const std::byte> input(bytes);
    walk_frames(input, frame_family::data_plane);
    walk_frames(input, frame_family::sdk);
    if (!input.empty()) {
        // Selectors 0-6 pick a data-plane decoder, 7-14 an SDK one.
        const auto selector = static_cast<std::uint8_t>(input[0]) % 15;
        const auto type = selector < 7 ? selector + 1 : first_sdk_type + (selector - 7);
        check_payload(static_cast<frame_type>(type), input.subspan(1));
    }
    return 0;
}
