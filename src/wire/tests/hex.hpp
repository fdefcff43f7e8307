#pragma once

// Hex helpers for the wire tests: exact expected bytes read best as hex.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::wire::testing {

// "0a 1b ff" (spaces and newlines ignored) -> bytes.
inline std::vector<std::byte> from_hex(std::string_view text) {
    const auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    std::vector<std::byte> bytes;
    int high = -1;
    for (char c : text) {
        const int value = nibble(c);
        if (value < 0)
            continue;
        if (high < 0) {
            high = value;
        } else {
            bytes.push_back(static_cast<std::byte>(high * 16 + value));
            high = -1;
        }
    }
    return bytes;
}

// bytes -> "0a 1b ff".
inline std::string to_hex(std::span<const std::byte> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    for (std::byte b : bytes) {
        if (!text.empty())
            text += ' ';
        text += digits[static_cast<std::uint8_t>(b) >> 4];
        text += digits[static_cast<std::uint8_t>(b) & 0xf];
    }
    return text;
}

}  // namespace eddy::wire::testing
