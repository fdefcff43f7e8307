#pragma once

// Fixed-width little-endian loads and stores at unaligned addresses. On
// little-endian hosts memcpy compiles to a single move; big-endian hosts take
// the byte-by-byte path, so the protocol stays the same everywhere.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace eddy::wire::detail {

template <class Int>
[[nodiscard]] inline Int load_le(const std::byte* in) {
    if constexpr (std::endian::native == std::endian::little) {
        Int value;
        std::memcpy(&value, in, sizeof value);
        return value;
    } else {
        std::make_unsigned_t<Int> value = 0;
        for (std::size_t i = 0; i < sizeof value; ++i) {
            value |= static_cast<std::make_unsigned_t<Int>>(in[i]) << (8 * i);
        }
        return static_cast<Int>(value);
    }
}

template <class Int>
inline std::byte* store_le(std::byte* out, Int value) {
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(out, &value, sizeof value);
    } else {
        const auto bits = static_cast<std::make_unsigned_t<Int>>(value);
        for (std::size_t i = 0; i < sizeof value; ++i) {
            out[i] = static_cast<std::byte>(bits >> (8 * i));
        }
    }
    return out + sizeof value;
}

}  // namespace eddy::wire::detail
