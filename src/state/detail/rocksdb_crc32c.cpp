// RocksDB checksums every WAL record and every table block with CRC32C, in
// `rocksdb::crc32c::Extend`. Debian builds librocksdb portable, so its Extend
// is a table-driven loop (about 1 GB/s): under exactly-once, where every
// produced batch goes through the WAL in the outbox, it was a sixth of the
// executors' CPU time. The library calls Extend through its PLT (the symbol
// is exported and interposable), so this definition, linked into every
// program that links eddy::state and exported from it (CMakeLists.txt),
// takes its place: the same CRC32C (Castagnoli polynomial, RocksDB's
// pre- and post-inversion), computed with SSE4.2's crc32 instruction when
// the CPU has it, and by the library's own function otherwise.
//
// A RocksDB whose Extend has another signature has another mangled name and
// is simply not interposed. rocksdb_crc32c_test checks this definition
// against the library's on random data.

#include "rocksdb_crc32c.hpp"

#include <dlfcn.h>

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace eddy::state::detail {
namespace {

using extend_function = std::uint32_t (*)(std::uint32_t, const char*, std::size_t);

// The library's Extend: the next definition after this program's.
extend_function library_extend() {
    static const auto found =
        reinterpret_cast<extend_function>(::dlsym(RTLD_NEXT, rocksdb_extend_symbol));
    return found;
}

#if defined(__x86_64__)
// The crc32 instruction takes three cycles and issues one per cycle, so
// three independent streams over three stripes of a buffer run about three
// times as fast as one. The stripes' CRCs are then joined: with f(s, M) the
// register after M from state s (no inversions), f(s, A B C) =
// shift(shift(f(s, A)) ^ f(0, B)) ^ f(0, C), where shift(v) = f(v, K zero
// bytes) is linear in v, so four table lookups.
constexpr std::size_t stripe_bytes = 1024;

struct stripe_shift {
    std::array<std::array<std::uint32_t, 256>, 4> table{};
    [[nodiscard]] std::uint32_t operator()(std::uint32_t v) const {
        return table[0][v & 0xffU] ^ table[1][(v >> 8) & 0xffU] ^ table[2][(v >> 16) & 0xffU] ^
               table[3][v >> 24];
    }
};

[[gnu::target("sse4.2")]] std::uint32_t shift_by_zeros(std::uint32_t v) {
    std::uint64_t state = v;
    for (std::size_t i = 0; i < stripe_bytes / 8; ++i) {
        state = _mm_crc32_u64(state, 0);
    }
    return static_cast<std::uint32_t>(state);
}

const stripe_shift& shift_table() {
    static const stripe_shift shift = [] {
        stripe_shift out;
        std::array<std::uint32_t, 32> of_bit{};
        for (std::size_t bit = 0; bit < of_bit.size(); ++bit) {
            of_bit[bit] = shift_by_zeros(std::uint32_t{1} << bit);
        }
        for (std::size_t part = 0; part < 4; ++part) {
            for (std::uint32_t byte = 0; byte < 256; ++byte) {
                std::uint32_t shifted = 0;
                for (std::size_t bit = 0; bit < 8; ++bit) {
                    if ((byte >> bit) & 1U) {
                        shifted ^= of_bit[part * 8 + bit];
                    }
                }
                out.table[part][byte] = shifted;
            }
        }
        return out;
    }();
    return shift;
}

[[gnu::target("sse4.2")]] inline std::uint64_t load_word(const char* at) {
    std::uint64_t word = 0;
    std::memcpy(&word, at, sizeof word);
    return word;
}

[[gnu::target("sse4.2")]] std::uint32_t extend_sse42(std::uint32_t crc, const char* data,
                                                     std::size_t size) {
    std::uint64_t state = crc ^ 0xffffffffU;
    if (size >= 3 * stripe_bytes) {
        const stripe_shift& shift = shift_table();
        for (; size >= 3 * stripe_bytes; size -= 3 * stripe_bytes, data += 3 * stripe_bytes) {
            std::uint64_t a = state;
            std::uint64_t b = 0;
            std::uint64_t c = 0;
            for (std::size_t at = 0; at < stripe_bytes; at += 8) {
                a = _mm_crc32_u64(a, load_word(data + at));
                b = _mm_crc32_u64(b, load_word(data + stripe_bytes + at));
                c = _mm_crc32_u64(c, load_word(data + 2 * stripe_bytes + at));
            }
            state = shift(shift(static_cast<std::uint32_t>(a)) ^ static_cast<std::uint32_t>(b)) ^
                    static_cast<std::uint32_t>(c);
        }
    }
    for (; size >= 8; size -= 8, data += 8) {
        state = _mm_crc32_u64(state, load_word(data));
    }
    auto narrow = static_cast<std::uint32_t>(state);
    for (; size > 0; --size, ++data) {
        narrow = _mm_crc32_u8(narrow, static_cast<unsigned char>(*data));
    }
    return narrow ^ 0xffffffffU;
}
#endif

extend_function choose() {
#if defined(__x86_64__)
    __builtin_cpu_init();  // may run before the CPU model's own initialiser
    if (__builtin_cpu_supports("sse4.2")) {
        return extend_sse42;
    }
#endif
    return library_extend();
}

const extend_function chosen = choose();

}  // namespace

bool hardware_crc32c() {
#if defined(__x86_64__)
    return chosen == extend_sse42;
#else
    return false;
#endif
}

std::uint32_t rocksdb_library_extend(std::uint32_t crc, const char* data, std::size_t size) {
    const extend_function library = library_extend();
    return library != nullptr ? library(crc, data, size) : 0;
}

bool rocksdb_library_extend_found() {
    return library_extend() != nullptr;
}

std::uint32_t crc32c_extend(std::uint32_t crc, const char* data, std::size_t size) {
    extend_function extend = chosen;
    if (extend == nullptr) [[unlikely]] {
        // Called before this file's static initialisation (from another
        // static initialiser): the CPU is asked now.
        extend = choose();
    }
    return extend(crc, data, size);
}

}  // namespace eddy::state::detail

#if defined(__x86_64__)
namespace rocksdb::crc32c {

// The interposed definition (see the top of this file).
std::uint32_t Extend(std::uint32_t crc, const char* data, std::size_t size);
std::uint32_t Extend(std::uint32_t crc, const char* data, std::size_t size) {
    return eddy::state::detail::crc32c_extend(crc, data, size);
}

}  // namespace rocksdb::crc32c
#endif
