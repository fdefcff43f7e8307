#include "state/detail/rocksdb_crc32c.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace rocksdb::crc32c {
std::uint32_t Extend(std::uint32_t crc, const char* data, std::size_t size);
}

namespace eddy::state::detail {
namespace {

#if defined(__x86_64__)

// The check value of CRC32C (the Castagnoli polynomial), as RocksDB computes it.
TEST(rocksdb_crc32c, computes_the_standard_check_value) {
    const std::string check = "123456789";
    EXPECT_EQ(crc32c_extend(0, check.data(), check.size()), 0xE3069283U);
    EXPECT_EQ(crc32c_extend(0, nullptr, 0), 0U);
}

// Against librocksdb's own table-driven function, on lengths and alignments
// that exercise the 8-byte loop and the byte tail, extending a running CRC.
TEST(rocksdb_crc32c, equals_the_librarys_own_crc32c) {
    ASSERT_TRUE(rocksdb_library_extend_found());
    std::mt19937_64 rng(42);
    std::string data(70'000, '\0');
    for (auto& c : data) {
        c = static_cast<char>(rng());
    }
    for (std::size_t size :
         {0UL, 1UL, 7UL, 8UL, 9UL, 15UL, 16UL, 31UL, 100UL, 4095UL, 32768UL, 69'990UL}) {
        for (std::size_t offset : {0UL, 1UL, 3UL, 7UL}) {
            const std::uint32_t seed = static_cast<std::uint32_t>(rng());
            EXPECT_EQ(crc32c_extend(seed, data.data() + offset, size),
                      rocksdb_library_extend(seed, data.data() + offset, size))
                << "size " << size << " offset " << offset;
        }
    }
}

// The dynamic linker binds RocksDB's calls to this program's definition, and
// that definition runs on the crc32 instruction where the CPU has one.
TEST(rocksdb_crc32c, takes_the_place_of_the_librarys) {
    void* bound = ::dlsym(RTLD_DEFAULT, rocksdb_extend_symbol);
    void* library = ::dlsym(RTLD_NEXT, rocksdb_extend_symbol);
    ASSERT_NE(bound, nullptr);
    ASSERT_NE(library, nullptr);
    EXPECT_EQ(bound, reinterpret_cast<void*>(&rocksdb::crc32c::Extend));
    EXPECT_NE(bound, library);
    if (__builtin_cpu_supports("sse4.2")) {
        EXPECT_TRUE(hardware_crc32c());
    }
}

#endif

}  // namespace
}  // namespace eddy::state::detail
