#include "wire/frame.hpp"

#include "base/assert.hpp"
#include "wire/detail/little_endian.hpp"

#include <limits>

namespace eddy::wire {

std::string_view to_string(frame_type type) {
    switch (type) {
        case frame_type::hello:
            return "hello";
        case frame_type::record_batch:
            return "record_batch";
        case frame_type::credit:
            return "credit";
        case frame_type::ack:
            return "ack";
        case frame_type::watermark:
            return "watermark";
        case frame_type::heartbeat:
            return "heartbeat";
        case frame_type::goodbye:
            return "goodbye";
        case frame_type::sdk_hello:
            return "sdk_hello";
        case frame_type::sdk_init:
            return "init";
        case frame_type::sdk_process:
            return "process";
        case frame_type::sdk_fire_timers:
            return "fire_timers";
        case frame_type::sdk_transaction:
            return "transaction";
        case frame_type::sdk_shutdown:
            return "shutdown";
        case frame_type::sdk_goodbye:
            return "sdk goodbye";
        case frame_type::sdk_error:
            return "error";
    }
    return "unknown";
}

wire_result<split_outcome> split_frame(std::span<const std::byte> received,
                                       std::uint32_t max_frame_bytes, frame_family family) {
    if (received.size() < 4) {
        return need_more_bytes{frame_header_bytes};
    }
    const auto length = detail::load_le<std::uint32_t>(received.data());
    if (length == 0) {
        return fail(wire_errc::bad_length, "frame length 0: a frame holds at least its type byte");
    }
    if (length > max_frame_bytes) {
        return fail(wire_errc::oversized, "frame length {} exceeds the maximum of {} bytes", length,
                    max_frame_bytes);
    }
    const std::size_t frame_bytes = std::size_t{4} + length;
    if (received.size() < frame_header_bytes) {
        return need_more_bytes{frame_bytes};
    }
    const auto type = static_cast<std::uint8_t>(received[4]);
    if (!is_defined_frame_type(type, family)) {
        return fail(wire_errc::bad_type, "frame type 0x{:02x} is not defined", type);
    }
    if (received.size() < frame_bytes) {
        return need_more_bytes{frame_bytes};
    }
    return frame_view{static_cast<frame_type>(type),
                      received.subspan(frame_header_bytes, length - 1), frame_bytes};
}

std::size_t begin_frame(byte_buffer& out, frame_type type) {
    const std::size_t offset = out.size();
    std::byte* header = out.prepare(frame_header_bytes);
    header = detail::store_le<std::uint32_t>(header, 0);
    *header++ = static_cast<std::byte>(type);
    out.commit(header);
    return offset;
}

std::uint32_t finish_frame(byte_buffer& out, std::size_t frame_offset) {
    const std::size_t length = out.size() - frame_offset - 4;
    // Callers bound what they encode far below 4 GiB; past it is a bug.
    EDDY_ASSERT(length <= std::numeric_limits<std::uint32_t>::max(), "frame above 4 GiB");
    detail::store_le(out.data() + frame_offset, static_cast<std::uint32_t>(length));
    return static_cast<std::uint32_t>(length);
}

}  // namespace eddy::wire
