#include "wire/messages.hpp"

#include "wire/detail/little_endian.hpp"
#include "wire/detail/payload_reader.hpp"
#include "wire/detail/payload_writer.hpp"
#include "wire/frame.hpp"
#include "wire/varint.hpp"

#include <cstring>

namespace eddy::wire {
using detail::payload_reader;
using detail::payload_writer;

void encode(const hello& message, byte_buffer& out) {
    const std::size_t frame = begin_frame(out, frame_type::hello);
    payload_writer(out)
        .fixed(message.version)
        .fixed(message.sender.value())
        .fixed(message.receiver.value())
        .fixed(message.epoch.value())
        .bytes(message.sender_computation);
    finish_frame(out, frame);
}

void encode(const credit& message, byte_buffer& out) {
    const std::size_t frame = begin_frame(out, frame_type::credit);
    payload_writer(out).fixed(message.bytes);
    finish_frame(out, frame);
}

void encode(const ack& message, byte_buffer& out) {
    const std::size_t frame = begin_frame(out, frame_type::ack);
    payload_writer(out).fixed(message.committed.value());
    finish_frame(out, frame);
}

void encode(const watermark& message, byte_buffer& out) {
    const std::size_t frame = begin_frame(out, frame_type::watermark);
    payload_writer(out).fixed(message.low);
    finish_frame(out, frame);
}

void encode(const heartbeat&, byte_buffer& out) {
    finish_frame(out, begin_frame(out, frame_type::heartbeat));
}

void encode(const goodbye& message, byte_buffer& out) {
    const std::size_t frame = begin_frame(out, frame_type::goodbye);
    payload_writer(out).fixed(static_cast<std::uint16_t>(message.reason)).bytes(message.message);
    finish_frame(out, frame);
}

wire_result<hello> decode_hello(std::span<const std::byte> payload) {
    payload_reader in(payload, "hello");
    EDDY_WIRE_TRY(version, in.fixed<std::uint16_t>("protocol version"));
    if (version != protocol_version) {
        return fail(wire_errc::version_mismatch, "hello: peer speaks protocol version {}, not {}",
                    version, protocol_version);
    }
    EDDY_WIRE_TRY(sender, in.fixed<std::uint32_t>("sender instance"));
    EDDY_WIRE_TRY(receiver, in.fixed<std::uint32_t>("receiver instance"));
    EDDY_WIRE_TRY(epoch, in.fixed<std::uint64_t>("topology epoch"));
    EDDY_WIRE_TRY(computation, in.bytes("sender computation"));
    EDDY_WIRE_CHECK(in.finish());
    return hello{version, instance_id(sender), instance_id(receiver), topology_epoch(epoch),
                 computation};
}

wire_result<credit> decode_credit(std::span<const std::byte> payload) {
    payload_reader in(payload, "credit");
    EDDY_WIRE_TRY(bytes, in.fixed<std::uint64_t>("bytes"));
    EDDY_WIRE_CHECK(in.finish());
    return credit{bytes};
}

wire_result<ack> decode_ack(std::span<const std::byte> payload) {
    payload_reader in(payload, "ack");
    EDDY_WIRE_TRY(committed, in.fixed<std::uint64_t>("committed sequence"));
    EDDY_WIRE_CHECK(in.finish());
    return ack{sequence_number(committed)};
}

wire_result<watermark> decode_watermark(std::span<const std::byte> payload) {
    payload_reader in(payload, "watermark");
    EDDY_WIRE_TRY(low, in.fixed<std::int64_t>("low watermark"));
    EDDY_WIRE_CHECK(in.finish());
    return watermark{low};
}

wire_result<heartbeat> decode_heartbeat(std::span<const std::byte> payload) {
    payload_reader in(payload, "heartbeat");
    EDDY_WIRE_CHECK(in.finish());
    return heartbeat{};
}

wire_result<goodbye> decode_goodbye(std::span<const std::byte> payload) {
    payload_reader in(payload, "goodbye");
    EDDY_WIRE_TRY(reason, in.fixed<std::uint16_t>("reason"));
    EDDY_WIRE_TRY(message, in.bytes("message"));
    EDDY_WIRE_CHECK(in.finish());
    return goodbye{static_cast<goodbye_reason>(reason), message};
}

}  // namespace eddy::wire
