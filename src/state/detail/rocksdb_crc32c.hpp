#pragma once

// A hardware CRC32C in place of the one in Debian's portable librocksdb
// (rocksdb_crc32c.cpp says how and why).

#include <cstddef>
#include <cstdint>

namespace eddy::state::detail {

// The mangled name of rocksdb::crc32c::Extend(uint32_t, const char*, size_t).
inline constexpr const char* rocksdb_extend_symbol = "_ZN7rocksdb6crc32c6ExtendEjPKcm";

// True when RocksDB's CRC32C runs on the CPU's crc32 instruction here.
[[nodiscard]] bool hardware_crc32c();

// What RocksDB's checksums now call: the CRC32C of the bytes that gave
// `crc`, followed by `data` (RocksDB's crc32c::Extend contract).
[[nodiscard]] std::uint32_t crc32c_extend(std::uint32_t crc, const char* data, std::size_t size);

// The library's own Extend, for comparison (0 when it cannot be found:
// rocksdb_library_extend_found says).
[[nodiscard]] std::uint32_t rocksdb_library_extend(std::uint32_t crc, const char* data,
                                                   std::size_t size);
[[nodiscard]] bool rocksdb_library_extend_found();

}  // namespace eddy::state::detail
