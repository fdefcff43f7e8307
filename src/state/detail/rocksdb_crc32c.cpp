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
[[gnu::target("sse4.2")]] std::uint32_t extend_sse42(std::uint32_t crc, const char* data,
                                                     std::size_t size) {
    std::uint64_t state = crc ^ 0xffffffffU;
    for (; size >= 8; size -= 8, data += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, data, sizeof word);
        state = _mm_crc32_u64(state, word);
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
