#pragma once

// Unsigned LEB128 varints and zigzag, the integer encodings of record batches
// (docs/protocol.md, "Varints"). Seven bits per byte, least significant group
// first, high bit set on every byte but the last; at most 10 bytes for 64 bits.
//
// Only the canonical (shortest) encoding is accepted: a varint that ends in a
// 0x00 byte after other bytes is "overlong", one whose tenth byte is above 1
// or that runs to an eleventh byte does not fit 64 bits. Both are rejected, so
// every value has exactly one encoding and decode(encode(x)) == x byte for byte.
//
// Everything here is inline and allocation-free: it is the inner loop of the
// batch codec. Pure functions, safe from any thread.

#include <cstddef>
#include <cstdint>

namespace eddy::wire {

inline constexpr std::size_t max_varint_bytes = 10;

// Bytes the canonical encoding of `value` takes: 1..10.
[[nodiscard]] constexpr std::size_t varint_size(std::uint64_t value) {
    std::size_t bytes = 1;
    while (value >= 0x80) {
        value >>= 7;
        ++bytes;
    }
    return bytes;
}

// Writes `value` at `out`, which must have room for max_varint_bytes; returns
// the byte past the last one written.
[[nodiscard]] inline std::byte* write_varint(std::byte* out, std::uint64_t value) {
    while (value >= 0x80) {
        *out++ = static_cast<std::byte>(value | 0x80);
        value >>= 7;
    }
    *out++ = static_cast<std::byte>(value);
    return out;
}

// Zigzag maps signed to unsigned so that small magnitudes of either sign get
// short varints: 0→0, -1→1, 1→2, -2→3, ... INT64_MIN→2^64-1.
[[nodiscard]] constexpr std::uint64_t zigzag_encode(std::int64_t value) {
    return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

[[nodiscard]] constexpr std::int64_t zigzag_decode(std::uint64_t value) {
    return static_cast<std::int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

enum class varint_status : std::uint8_t {
    ok,
    truncated,  // the input ends before the last byte of the varint
    invalid,    // overlong, more than 10 bytes, or above 2^64-1
};

struct varint_read {
    std::uint64_t value = 0;
    const std::byte* next = nullptr;  // past the varint when ok
    varint_status status = varint_status::ok;
};

namespace detail {

// The multi-byte case, kept out of line of the caller's loop body.
[[nodiscard]] inline varint_read read_varint_slow(const std::byte* in, const std::byte* end) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < max_varint_bytes; ++i) {
        if (in + i == end) {
            return {0, nullptr, varint_status::truncated};
        }
        const auto byte = static_cast<std::uint8_t>(in[i]);
        if (i == max_varint_bytes - 1 && byte > 1) {
            // Bit 63 is the only one left; anything more overflows or continues.
            return {0, nullptr, varint_status::invalid};
        }
        value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            if (byte == 0 && i != 0) {
                return {0, nullptr, varint_status::invalid};
            }
            return {value, in + i + 1, varint_status::ok};
        }
    }
    return {0, nullptr, varint_status::invalid};
}

}  // namespace detail

// Reads one varint from [in, end). Never reads at or past `end`.
[[nodiscard]] inline varint_read read_varint(const std::byte* in, const std::byte* end) {
    if (in != end && static_cast<std::uint8_t>(*in) < 0x80) [[likely]] {
        return {static_cast<std::uint8_t>(*in), in + 1, varint_status::ok};
    }
    return detail::read_varint_slow(in, end);
}

}  // namespace eddy::wire
