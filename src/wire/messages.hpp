#pragma once

// The control messages of the data plane: everything but record batches
// (record_batch.hpp). Each message is a plain struct with an encode() that
// appends one whole frame to a byte_buffer, and a decode_*() that parses a
// frame's payload (as returned by split_frame) and checks every length
// against what is left before reading it. Byte layouts: docs/protocol.md.
//
// A connection carries one channel, (sender instance, receiver instance,
// topology epoch), opened by the sender's hello; credit, ack and watermark
// frames apply to that channel. Decoded string_views point into the payload.
// Pure functions, safe from any thread.

#include "base/strong_id.hpp"
#include "wire/byte_buffer.hpp"
#include "wire/errc.hpp"
#include <eddy/record.hpp>

#include <cstdint>
#include <span>
#include <string_view>

namespace eddy::wire {

// Sender -> receiver, first frame on a connection. The receiver checks that
// it is `receiver` in `epoch`, then grants credit (or says goodbye).
struct hello {
    std::uint16_t version = 0;  // protocol_version of the sender
    instance_id sender;
    instance_id receiver;
    topology_epoch epoch;
    std::string_view sender_computation;  // name of the sender's computation
    friend bool operator==(const hello&, const hello&) = default;
};

// Receiver -> sender: the sender may send `bytes` more bytes of record_batch
// frames (whole frames, header included) on this channel. Credits add up.
struct credit {
    std::uint64_t bytes = 0;
    friend bool operator==(const credit&, const credit&) = default;
};

// Receiver -> sender: every batch with a sequence number <= `committed` on
// this channel is durably processed; the sender may forget them.
struct ack {
    sequence_number committed;
    friend bool operator==(const ack&, const ack&) = default;
};

// Sender -> receiver: no record sent after this will be older than `low`.
struct watermark {
    time_micros low = 0;
    friend bool operator==(const watermark&, const watermark&) = default;
};

// Either way, after an idle interval; carries nothing.
struct heartbeat {
    friend bool operator==(const heartbeat&, const heartbeat&) = default;
};

// Why a side closes. Values travel as u16; decoders keep unknown values as is.
enum class goodbye_reason : std::uint16_t {
    normal = 0,               // the sender finished or the channel is no longer needed
    shutting_down = 1,        // the process is stopping
    topology_changed = 2,     // the channel belongs to an older epoch or wrong receiver
    protocol_error = 3,       // the peer sent something malformed (message says what)
    unsupported_version = 4,  // the hello's version is not spoken here
};

struct goodbye {
    goodbye_reason reason = goodbye_reason::normal;
    std::string_view message;  // human-readable detail, may be empty
    friend bool operator==(const goodbye&, const goodbye&) = default;
};

void encode(const hello& message, byte_buffer& out);
void encode(const credit& message, byte_buffer& out);
void encode(const ack& message, byte_buffer& out);
void encode(const watermark& message, byte_buffer& out);
void encode(const heartbeat& message, byte_buffer& out);
void encode(const goodbye& message, byte_buffer& out);

// Only the version (first two bytes) is read when it is not protocol_version:
// the rest of another version's hello may be laid out differently.
[[nodiscard]] wire_result<hello> decode_hello(std::span<const std::byte> payload);
[[nodiscard]] wire_result<credit> decode_credit(std::span<const std::byte> payload);
[[nodiscard]] wire_result<ack> decode_ack(std::span<const std::byte> payload);
[[nodiscard]] wire_result<watermark> decode_watermark(std::span<const std::byte> payload);
[[nodiscard]] wire_result<heartbeat> decode_heartbeat(std::span<const std::byte> payload);
[[nodiscard]] wire_result<goodbye> decode_goodbye(std::span<const std::byte> payload);

}  // namespace eddy::wire
