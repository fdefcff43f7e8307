#pragma once

// Framing: how a byte stream (TCP, Unix socket) is cut into messages.
//
//     u32 little-endian length | u8 frame type | payload (length - 1 bytes)
//
// `length` counts what follows it (the type byte and the payload), so it is at
// least 1. A receiver checks it against its maximum frame size from the first
// four bytes alone, before buffering or allocating anything for the frame.
//
// split_frame() is the receive side: give it everything received and not yet
// consumed; it answers with a zero-copy view of the first frame, with "need
// more bytes" (not an error), or with an error, after which the connection is
// closed. A typical read loop:
//
//     for (;;) {
//         auto split = wire::split_frame(unconsumed);
//         if (!split) return close(split.error());
//         auto* frame = std::get_if<wire::frame_view>(&*split);
//         if (frame == nullptr) break;                  // read more
//         handle(frame->type, frame->payload);          // payload views `unconsumed`
//         unconsumed = unconsumed.subspan(frame->frame_bytes);
//     }
//
// Frame type numbers are assigned once and never reused (docs/protocol.md):
// 0x01-0x3f executor <-> executor data plane, 0x40-0x7f executor <-> SDK
// protocol (sdk_messages.hpp), 0x00 and 0x80-0xff reserved. A connection
// speaks one family: split_frame() rejects the other family's types.
// Pure functions, safe from any thread.

#include "wire/byte_buffer.hpp"
#include "wire/errc.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

namespace eddy::wire {

// The protocol version a hello carries; bumped on any incompatible change.
inline constexpr std::uint16_t protocol_version = 1;

// u32 length + u8 type.
inline constexpr std::size_t frame_header_bytes = 5;

// Default ceiling on a frame's length field (type byte + payload): 16 MiB.
inline constexpr std::uint32_t default_max_frame_bytes = 16u << 20;

enum class frame_type : std::uint8_t {
    // Data plane between executors (0x01-0x3f).
    hello = 0x01,         // opens a channel: versions, who is talking to whom, epoch
    record_batch = 0x02,  // records of one stream from one sender, in order
    credit = 0x03,        // receiver -> sender: you may send N more bytes of batches
    ack = 0x04,           // receiver -> sender: batches up to sequence N are committed
    watermark = 0x05,     // sender -> receiver: low watermark in event time
    heartbeat = 0x06,     // either way: the connection is alive while idle
    goodbye = 0x07,       // either way: orderly close, with a reason
    // Executor <-> SDK (0x40-0x7f), docs/protocol.md section 11.
    sdk_hello = 0x40,        // SDK -> executor: version, SDK name, metadata
    sdk_init = 0x41,         // executor -> SDK: instance, retries, configuration
    sdk_process = 0x42,      // executor -> SDK: a batch of records with their keys' state
    sdk_fire_timers = 0x43,  // executor -> SDK: due timers with their keys' state
    sdk_transaction = 0x44,  // SDK -> executor: what the callbacks of one request did
    sdk_shutdown = 0x45,     // executor -> SDK: finish and exit
    sdk_goodbye = 0x46,      // SDK -> executor: the answer to shutdown
    sdk_error = 0x47,        // either way: a fatal protocol or SDK error, then close
};

// Which protocol a connection speaks.
enum class frame_family {
    data_plane,  // executor <-> executor: 0x01-0x07
    sdk,         // executor <-> user process: 0x40-0x47
};

inline constexpr std::uint8_t first_data_plane_type = 0x01;
inline constexpr std::uint8_t last_data_plane_type = 0x3f;
inline constexpr std::uint8_t first_sdk_type = 0x40;
inline constexpr std::uint8_t last_sdk_type = 0x7f;

// True for the frame types this build defines in `family`; split_frame()
// rejects others.
[[nodiscard]] constexpr bool is_defined_frame_type(std::uint8_t type,
                                                   frame_family family = frame_family::data_plane) {
    if (family == frame_family::sdk) {
        return type >= static_cast<std::uint8_t>(frame_type::sdk_hello) &&
               type <= static_cast<std::uint8_t>(frame_type::sdk_error);
    }
    return type >= static_cast<std::uint8_t>(frame_type::hello) &&
           type <= static_cast<std::uint8_t>(frame_type::goodbye);
}

// "hello", "record_batch", ...; "unknown" for undefined values.
[[nodiscard]] std::string_view to_string(frame_type type);

// A whole frame at the front of the received bytes. `payload` points into the
// caller's buffer and is valid as long as those bytes are.
struct frame_view {
    frame_type type{};
    std::span<const std::byte> payload;
    std::size_t frame_bytes = 0;  // header + payload: how many bytes to consume
};

// Not a whole frame yet. `frame_bytes` is the size of the frame being
// received once its length is known, else frame_header_bytes: a caller may
// size its receive buffer with it.
struct need_more_bytes {
    std::size_t frame_bytes = 0;
};

using split_outcome = std::variant<frame_view, need_more_bytes>;

// Looks at the first frame in `received`. Errors: bad_length (length 0),
// oversized (length > max_frame_bytes), bad_type (undefined type byte). The
// length and type are checked as soon as their bytes arrive, so a hostile
// header is refused without waiting for its payload.
[[nodiscard]] wire_result<split_outcome> split_frame(
    std::span<const std::byte> received, std::uint32_t max_frame_bytes = default_max_frame_bytes,
    frame_family family = frame_family::data_plane);

// Appends a frame header whose length is patched later by finish_frame();
// returns the offset of the header in `out`. Used by the message encoders;
// exposed for the SDK protocol layer, which frames its own payloads.
std::size_t begin_frame(byte_buffer& out, frame_type type);

// Writes the length of the frame begun at `frame_offset` (everything up to
// out.size()). Returns the length field (type byte + payload).
std::uint32_t finish_frame(byte_buffer& out, std::size_t frame_offset);

// Byte helpers for callers holding text (tests, SDK glue).
[[nodiscard]] inline std::span<const std::byte> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace eddy::wire
