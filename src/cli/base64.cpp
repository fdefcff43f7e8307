#include "base64.hpp"

#include <cstdint>

namespace eddy::cli {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t at = 0;
    // Every 3 input bytes become 4 characters of 6 bits each.
    for (; at + 3 <= bytes.size(); at += 3) {
        const std::uint32_t group = std::uint32_t{static_cast<unsigned char>(bytes[at])} << 16 |
                                    std::uint32_t{static_cast<unsigned char>(bytes[at + 1])} << 8 |
                                    std::uint32_t{static_cast<unsigned char>(bytes[at + 2])};
        out += alphabet[group >> 18 & 0x3f];
        out += alphabet[group >> 12 & 0x3f];
        out += alphabet[group >> 6 & 0x3f];
        out += alphabet[group & 0x3f];
    }
    // One or two bytes left over: the missing 6-bit groups are padded with '='.
    const std::size_t left = bytes.size() - at;
    if (left > 0) {
        std::uint32_t group = std::uint32_t{static_cast<unsigned char>(bytes[at])} << 16;
        if (left == 2) {
            group |= std::uint32_t{static_cast<unsigned char>(bytes[at + 1])} << 8;
        }
        out += alphabet[group >> 18 & 0x3f];
        out += alphabet[group >> 12 & 0x3f];
        out += left == 2 ? alphabet[group >> 6 & 0x3f] : '=';
        out += '=';
    }
    return out;
}

}  // namespace eddy::cli
