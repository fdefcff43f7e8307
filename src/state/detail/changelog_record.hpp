#pragma once

// The bytes of the changelog's segment files (changelog.hpp has the contract
// they serve). Pure functions over bytes: no file, no RocksDB, so that every
// torn and damaged shape can be tested directly.
//
// A segment, little-endian:
//
//     "EDDYCLG1"  u64 first_sequence          16 bytes, once
//     then records, each:
//       u32 size            bytes of the batch
//       u64 sequence        the database's latest sequence after the commit
//       u64 synced_offset   how far this segment was known fdatasync'd when
//                           the record was appended (a byte offset)
//       u32 header_check    XXH32 (seed 0) of the 20 bytes before it
//       batch               `size` bytes: the commit's rocksdb::WriteBatch
//       u64 check           XXH64 (seed 0) of the header and the batch
//
// The header has its own check so that a damaged `size` is seen as damage,
// never taken for a record that runs past the end of the file (a torn tail).
// `synced_offset` is what tells a torn tail from damage (decode_segment).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::state::detail {

inline constexpr std::string_view segment_magic{"EDDYCLG1"};
inline constexpr std::size_t segment_header_bytes = 16;
inline constexpr std::size_t record_header_bytes = 24;
inline constexpr std::size_t record_trailer_bytes = 8;

[[nodiscard]] std::string encode_segment_header(std::uint64_t first_sequence);

// Appends one encoded record to `out`.
void append_record(std::string& out, std::uint64_t sequence, std::uint64_t synced_offset,
                   std::string_view batch);

// One intact record; `batch` views the decoded bytes.
struct segment_record {
    std::uint64_t offset = 0;  // of its first byte in the segment
    std::uint64_t sequence = 0;
    std::uint64_t synced_offset = 0;
    std::string_view batch;
};

// A sealed segment was fdatasync'd whole before the next one began, so any
// flaw in it is damage; only the newest segment can end in a torn tail.
enum class segment_role { sealed, newest };

enum class segment_end {
    clean,    // the last record ends at the end of the file
    torn,     // the bytes after `intact_bytes` are what a crash cut: ignore them
    damaged,  // a flaw where the log had been synced: an error
};

struct decoded_segment {
    std::uint64_t first_sequence = 0;
    std::vector<segment_record> records;  // in file order, sequences rising
    segment_end end = segment_end::clean;
    // Where the intact prefix ends (the header, then whole records): the
    // length to truncate a torn segment to before appending to it.
    std::uint64_t intact_bytes = 0;
    std::string problem;  // for torn and damaged: what, at which offset
};

// Decodes a segment's bytes. A record whose checks pass but whose sequence
// does not rise makes the segment damaged. A record that does not decode at
// offset X (cut short, a bad check) makes it:
//   - damaged if it is sealed, or if any later record that does decode says
//     the segment had been synced past X (its synced_offset > X): those bytes
//     were on disk, so this is corruption of stored data;
//   - torn otherwise: nothing shows that X was ever synced, so a crash (or a
//     client of shared storage dying mid-flush, which can leave a hole of
//     zeros before later bytes) may have cut it, and nothing after X counts.
// A newest segment shorter than its header, holding a prefix of the magic, is
// torn with intact_bytes 0 (cut while it was created).
[[nodiscard]] decoded_segment decode_segment(std::string_view bytes, segment_role role);

// "00000000000000000042.log": the first sequence, zero-padded so that names
// sort as numbers do.
[[nodiscard]] std::string segment_file_name(std::uint64_t first_sequence);
[[nodiscard]] std::optional<std::uint64_t> parse_segment_file_name(std::string_view name);

}  // namespace eddy::state::detail
