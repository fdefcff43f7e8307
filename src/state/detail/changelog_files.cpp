#include "changelog_files.hpp"

#include "base/log.hpp"
#include "changelog_record.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>

namespace eddy::state::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view metadata_prefix = "eddy-changelog sequence=";

}  // namespace

std::string backup_metadata(std::uint64_t sequence) {
    return fmt::format("{}{}", metadata_prefix, sequence);
}

std::optional<std::uint64_t> parse_backup_metadata(std::string_view metadata) {
    if (!metadata.starts_with(metadata_prefix)) {
        return std::nullopt;
    }
    metadata.remove_prefix(metadata_prefix.size());
    std::uint64_t sequence = 0;
    const auto [end, failure] =
        std::from_chars(metadata.data(), metadata.data() + metadata.size(), sequence);
    if (failure != std::errc() || end != metadata.data() + metadata.size()) {
        return std::nullopt;
    }
    return sequence;
}

tl::unexpected<error<state_errc>> io_failure(std::string_view what, const fs::path& path,
                                             int code) {
    return fail(state_errc::io_error, "changelog: {} {} failed: {}", what, path.string(),
                std::strerror(code));
}

tl::unexpected<error<state_errc>> rocksdb_failure(std::string_view what, const fs::path& path,
                                                  const rocksdb::Status& status) {
    return fail(status.IsCorruption() ? state_errc::corrupted : state_errc::io_error,
                "changelog: {} {} failed: {}", what, path.string(), status.ToString());
}

state_result<void> sync_directory(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return io_failure("opening directory", dir, errno);
    }
    const int synced = ::fsync(fd);
    const int code = errno;
    ::close(fd);
    if (synced != 0) {
        return io_failure("syncing directory", dir, code);
    }
    return {};
}

state_result<void> sync_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return io_failure("opening", path, errno);
    }
    const int synced = ::fsync(fd);
    const int code = errno;
    ::close(fd);
    if (synced != 0) {
        return io_failure("syncing", path, code);
    }
    return {};
}

state_result<std::string> read_whole(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return io_failure("opening", path, errno);
    }
    std::string bytes;
    char chunk[1 << 16];
    for (;;) {
        const ssize_t got = ::read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            const int code = errno;
            ::close(fd);
            return io_failure("reading", path, code);
        }
        if (got == 0) {
            break;
        }
        bytes.append(chunk, static_cast<std::size_t>(got));
    }
    ::close(fd);
    return bytes;
}

int write_all(int fd, std::string_view bytes, std::uint64_t offset) {
    while (!bytes.empty()) {
        const ssize_t put = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (put < 0 && errno == EINTR) {
            continue;
        }
        if (put <= 0) {
            return put < 0 ? errno : EIO;
        }
        bytes.remove_prefix(static_cast<std::size_t>(put));
        offset += static_cast<std::uint64_t>(put);
    }
    return 0;
}

state_result<std::vector<std::uint64_t>> list_segments(const fs::path& log_dir) {
    std::vector<std::uint64_t> segments;
    std::error_code failure;
    for (fs::directory_iterator it(log_dir, failure), end; !failure && it != end;
         it.increment(failure)) {
        if (auto first = detail::parse_segment_file_name(it->path().filename().string())) {
            segments.push_back(*first);
        }
    }
    if (failure) {
        return fail(state_errc::io_error, "changelog: listing {} failed: {}", log_dir.string(),
                    failure.message());
    }
    std::sort(segments.begin(), segments.end());
    return segments;
}

state_result<std::vector<backup_entry>> list_backups(
    const rocksdb::BackupEngineReadOnlyBase& engine, const fs::path& backup_dir) {
    std::vector<rocksdb::BackupInfo> infos;
    engine.GetBackupInfo(&infos);
    std::vector<backup_entry> backups;
    for (const rocksdb::BackupInfo& info : infos) {
        const auto sequence = parse_backup_metadata(info.app_metadata);
        if (!sequence) {
            return fail(state_errc::corrupted, "changelog: backup {} in {} has metadata '{}'",
                        info.backup_id, backup_dir.string(), info.app_metadata);
        }
        backups.push_back({info.backup_id, *sequence});
    }
    std::sort(backups.begin(), backups.end(),
              [](const backup_entry& a, const backup_entry& b) { return a.id < b.id; });
    return backups;
}

state_result<replayed> replay_log(const fs::path& log_dir, std::uint64_t after, rocksdb::DB& db) {
    auto segments = list_segments(log_dir);
    if (!segments) {
        return tl::unexpected(std::move(segments.error()));
    }
    // The segment that holds the records just after `after`: the last one
    // starting at or below it (earlier ones end at or below it).
    std::size_t first = 0;
    for (std::size_t i = 0; i < segments->size(); ++i) {
        if ((*segments)[i] <= after) {
            first = i;
        }
    }
    replayed done{0, after, 0};
    rocksdb::WriteOptions unsynced;  // the caller syncs the WAL once at the end
    for (std::size_t i = first; i < segments->size(); ++i) {
        const fs::path path = log_dir / detail::segment_file_name((*segments)[i]);
        auto bytes = read_whole(path);
        if (!bytes) {
            return tl::unexpected(std::move(bytes.error()));
        }
        const bool newest = i + 1 == segments->size();
        const auto segment = detail::decode_segment(
            *bytes, newest ? detail::segment_role::newest : detail::segment_role::sealed);
        if (segment.end == detail::segment_end::damaged) {
            return fail(state_errc::corrupted,
                        "changelog segment {} is damaged: {}; nothing past it was applied",
                        path.string(), segment.problem);
        }
        for (const detail::segment_record& record : segment.records) {
            if (record.sequence <= after) {
                continue;
            }
            // A WriteBatch's bytes start with a u64 sequence and a u32 count.
            if (record.batch.size() < 12) {
                return fail(state_errc::corrupted,
                            "changelog segment {}: the record at offset {} holds {} bytes, not a "
                            "write batch",
                            path.string(), record.offset, record.batch.size());
            }
            rocksdb::WriteBatch batch{std::string(record.batch)};
            const std::uint64_t count = batch.Count();
            if (count == 0 || count > record.sequence ||
                record.sequence - count != done.last_sequence) {
                return fail(state_errc::corrupted,
                            "changelog segment {}: the record at offset {} (sequence {}, {} "
                            "operations) does not continue sequence {}: a gap in the log",
                            path.string(), record.offset, record.sequence, count,
                            done.last_sequence);
            }
            const rocksdb::Status written = db.Write(unsynced, &batch);
            if (!written.ok()) {
                return rocksdb_failure("replaying a record of", path, written);
            }
            done.last_sequence = record.sequence;
            ++done.records;
        }
        if (segment.end == detail::segment_end::torn) {
            done.torn_tail_bytes = bytes->size() - segment.intact_bytes;
            eddy::log().info("changelog segment {}: ignoring a torn tail: {}", path.string(),
                             segment.problem);
        }
    }
    if (done.records > 0) {
        if (const rocksdb::Status synced = db.SyncWAL(); !synced.ok()) {
            return rocksdb_failure("syncing the WAL after replaying", log_dir, synced);
        }
    }
    return done;
}

state_result<std::unique_ptr<rocksdb::BackupEngineReadOnly>> open_backups(const fs::path& dir) {
    const fs::path backup_dir = dir / "backups";
    std::error_code failure;
    if (!fs::exists(backup_dir, failure)) {
        return nullptr;
    }
    rocksdb::BackupEngineReadOnly* engine = nullptr;
    if (const rocksdb::IOStatus opened = rocksdb::BackupEngineReadOnly::Open(
            rocksdb::BackupEngineOptions(backup_dir.string()), rocksdb::Env::Default(), &engine);
        !opened.ok()) {
        return rocksdb_failure("opening the backups in", backup_dir, opened);
    }
    return std::unique_ptr<rocksdb::BackupEngineReadOnly>(engine);
}

}  // namespace eddy::state::detail
