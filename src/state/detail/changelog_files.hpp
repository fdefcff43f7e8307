#pragma once

// The file work of the changelog (changelog.hpp): synced writes and reads of
// its segment files, the listing of segments and backups, and the replay of
// a log into a database, shared by appending (changelog.cpp: reconcile) and
// restoring. Names RocksDB types: for src/state's .cpp files only.

#include "state/state_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/utilities/backup_engine.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::state::detail {

// A backup's metadata: the database's latest sequence when it was taken.
[[nodiscard]] std::string backup_metadata(std::uint64_t sequence);
[[nodiscard]] std::optional<std::uint64_t> parse_backup_metadata(std::string_view metadata);

// Errors naming what failed on which path: an errno, a RocksDB status.
[[nodiscard]] tl::unexpected<error<state_errc>> io_failure(std::string_view what,
                                                           const std::filesystem::path& path,
                                                           int code);
[[nodiscard]] tl::unexpected<error<state_errc>> rocksdb_failure(std::string_view what,
                                                                const std::filesystem::path& path,
                                                                const rocksdb::Status& status);

// fsync of a directory (after creating, renaming or removing in it) or a file.
[[nodiscard]] state_result<void> sync_directory(const std::filesystem::path& dir);
[[nodiscard]] state_result<void> sync_file(const std::filesystem::path& path);
[[nodiscard]] state_result<std::string> read_whole(const std::filesystem::path& path);
// Writes all of `bytes` at `offset`; 0, or the errno of the failure.
[[nodiscard]] int write_all(int fd, std::string_view bytes, std::uint64_t offset);

// The first sequences of the segments in `log_dir`, ascending.
[[nodiscard]] state_result<std::vector<std::uint64_t>> list_segments(
    const std::filesystem::path& log_dir);

struct backup_entry {
    rocksdb::BackupID id = 0;
    std::uint64_t sequence = 0;
};

// The complete backups an engine knows, oldest first.
[[nodiscard]] state_result<std::vector<backup_entry>> list_backups(
    const rocksdb::BackupEngineReadOnlyBase& engine, const std::filesystem::path& backup_dir);
// The backups of changelog `dir`, read-only (a restore never writes to the
// changelog it reads); nullptr if it has no backup directory.
[[nodiscard]] state_result<std::unique_ptr<rocksdb::BackupEngineReadOnly>> open_backups(
    const std::filesystem::path& dir);

struct replayed {
    std::uint64_t records = 0;
    std::uint64_t last_sequence = 0;
    std::uint64_t torn_tail_bytes = 0;
};

// Applies to `db`, in order, every record of the segments in `log_dir` with a
// sequence above `after`, then syncs the WAL. Each must continue the one
// before exactly: its sequence minus its batch's count is the sequence
// reached so far. The newest segment may end torn; any other flaw is an
// error (corrupted, naming the file and the offset), and nothing past it is
// applied.
[[nodiscard]] state_result<replayed> replay_log(const std::filesystem::path& log_dir,
                                                std::uint64_t after, rocksdb::DB& db);

}  // namespace eddy::state::detail
