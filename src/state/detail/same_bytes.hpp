#pragma once

// Equality of two short byte strings without a call to memcmp. State keys and
// names are mostly a few bytes long, and a library memcmp call per comparison
// was a tenth of the counting stage's time in bench/pipeline; up to 16 bytes
// this is two (possibly overlapping) loads per side, never past either end.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace eddy::state::detail {

template <class Word>
[[nodiscard]] inline Word load(const char* at) {
    Word word;
    std::memcpy(&word, at, sizeof word);
    return word;
}

[[nodiscard]] inline bool same_bytes(std::string_view a, std::string_view b) {
    const std::size_t n = a.size();
    if (n != b.size()) {
        return false;
    }
    const char* p = a.data();
    const char* q = b.data();
    if (n >= 8) {
        if (n > 16) {
            return std::memcmp(p, q, n) == 0;
        }
        return load<std::uint64_t>(p) == load<std::uint64_t>(q) &&
               load<std::uint64_t>(p + n - 8) == load<std::uint64_t>(q + n - 8);
    }
    if (n >= 4) {
        return load<std::uint32_t>(p) == load<std::uint32_t>(q) &&
               load<std::uint32_t>(p + n - 4) == load<std::uint32_t>(q + n - 4);
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (p[i] != q[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace eddy::state::detail
