#include "changelog.hpp"

#include "base/log.hpp"
#include "detail/changelog_files.hpp"
#include "detail/changelog_record.hpp"
#include "detail/rocksdb_ref.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <system_error>

namespace eddy::state {
namespace {

namespace fs = std::filesystem;
using detail::backup_entry;
using detail::io_failure;
using detail::replayed;
using detail::rocksdb_failure;
using detail::sync_directory;
using detail::write_all;

// One segment open for appending.
struct segment_file {
    segment_file(int fd_, fs::path path_, std::uint64_t first_)
        : fd(fd_), path(std::move(path_)), first(first_) {}
    ~segment_file() { ::close(fd); }
    segment_file(const segment_file&) = delete;
    segment_file& operator=(const segment_file&) = delete;

    const int fd;
    const fs::path path;
    const std::uint64_t first;
};

}  // namespace

struct changelog::impl {
    fs::path dir;
    fs::path log_dir;
    fs::path backup_dir;
    std::unique_ptr<rocksdb::BackupEngine> engine;
    std::vector<backup_entry> backups;    // oldest first
    std::vector<std::uint64_t> segments;  // first sequences, oldest first; back() is current
    std::uint64_t covered = 0;            // the highest sequence of a record or a backup
    std::string record_buffer;            // reused by append

    mutable std::mutex mu;                  // what sync, on another thread, shares with the owner
    std::shared_ptr<segment_file> current;  // REQUIRES: mu held
    std::uint64_t written = 0;              // bytes of `current`; REQUIRES: mu held
    std::uint64_t synced = 0;               // of them, fdatasync'd; REQUIRES: mu held
    std::optional<std::string> broken;      // REQUIRES: mu held

    // REQUIRES: mu held
    tl::unexpected<error<state_errc>> break_with(std::string message) {
        broken = message;
        return fail(state_errc::io_error, "{}", message);
    }

    // Creates segment `first` (header, fdatasync, directory sync) and makes
    // it current. The previous one, if any, must be sealed already.
    state_result<void> start_segment(std::uint64_t first) {
        const fs::path path = log_dir / detail::segment_file_name(first);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            std::lock_guard lock(mu);
            return break_with(fmt::format("changelog: creating {} failed: {}", path.string(),
                                          std::strerror(errno)));
        }
        auto file = std::make_shared<segment_file>(fd, path, first);
        const std::string header = detail::encode_segment_header(first);
        const int code = write_all(fd, header, 0);
        if (code != 0 || ::fdatasync(fd) != 0) {
            std::lock_guard lock(mu);
            return break_with(fmt::format("changelog: writing {} failed: {}", path.string(),
                                          std::strerror(code != 0 ? code : errno)));
        }
        if (auto synced_dir = sync_directory(log_dir); !synced_dir) {
            std::lock_guard lock(mu);
            return break_with(synced_dir.error().message);
        }
        {
            std::lock_guard lock(mu);
            current = std::move(file);
            written = synced = header.size();
        }
        if (segments.empty() || segments.back() != first) {
            segments.push_back(first);
        }
        covered = std::max(covered, first);
        return {};
    }

    // Reads the newest segment, cuts a torn tail off and opens it for appending.
    state_result<void> resume_newest() {
        const std::uint64_t first = segments.back();
        const fs::path path = log_dir / detail::segment_file_name(first);
        auto bytes = detail::read_whole(path);
        if (!bytes) {
            return tl::unexpected(std::move(bytes.error()));
        }
        const auto segment = detail::decode_segment(*bytes, detail::segment_role::newest);
        if (segment.end == detail::segment_end::damaged) {
            return fail(state_errc::corrupted, "changelog segment {} is damaged: {}", path.string(),
                        segment.problem);
        }
        if (segment.intact_bytes < detail::segment_header_bytes) {
            return start_segment(first);  // cut while it was created: holds nothing
        }
        if (segment.first_sequence != first) {
            return fail(state_errc::corrupted, "changelog segment {} says it starts after {}",
                        path.string(), segment.first_sequence);
        }
        const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            return io_failure("opening", path, errno);
        }
        auto file = std::make_shared<segment_file>(fd, path, first);
        if (segment.end == detail::segment_end::torn) {
            eddy::log().warn("changelog segment {}: cutting a torn tail: {}", path.string(),
                             segment.problem);
            if (::ftruncate(fd, static_cast<off_t>(segment.intact_bytes)) != 0) {
                return io_failure("truncating", path, errno);
            }
        }
        // Synced now, so that the next records may say so.
        if (::fdatasync(fd) != 0) {
            return io_failure("syncing", path, errno);
        }
        {
            std::lock_guard lock(mu);
            current = std::move(file);
            written = synced = segment.intact_bytes;
        }
        covered =
            std::max(covered, segment.records.empty() ? first : segment.records.back().sequence);
        return {};
    }

    // Keeps the newest backups and drops the segments the oldest kept covers.
    state_result<void> prune() {
        if (const rocksdb::IOStatus purged =
                engine->PurgeOldBackups(static_cast<std::uint32_t>(changelog_backups_kept));
            !purged.ok()) {
            return rocksdb_failure("purging old backups of", backup_dir, purged);
        }
        if (backups.size() > changelog_backups_kept) {
            backups.erase(backups.begin(),
                          backups.end() - static_cast<std::ptrdiff_t>(changelog_backups_kept));
        }
        if (backups.empty()) {
            return {};
        }
        const std::uint64_t oldest = backups.front().sequence;
        // Segment i holds records up to where segment i + 1 starts (a segment
        // starts at a backup taken after every record before it).
        std::size_t drop = 0;
        while (drop + 1 < segments.size() && segments[drop + 1] <= oldest) {
            const fs::path path = log_dir / detail::segment_file_name(segments[drop]);
            std::error_code failure;
            fs::remove(path, failure);
            if (failure) {
                return fail(state_errc::io_error, "changelog: removing {} failed: {}",
                            path.string(), failure.message());
            }
            ++drop;
        }
        segments.erase(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(drop));
        return drop > 0 ? sync_directory(log_dir) : state_result<void>{};
    }
};

changelog::changelog(std::unique_ptr<impl> impl) : _impl(std::move(impl)) {}

changelog::~changelog() = default;

const std::filesystem::path& changelog::directory() const {
    return _impl->dir;
}

state_result<std::unique_ptr<changelog>> changelog::open(const std::filesystem::path& dir) {
    auto self = std::make_unique<impl>();
    self->dir = dir;
    self->log_dir = dir / "log";
    self->backup_dir = dir / "backups";
    for (const fs::path& made : {self->log_dir, self->backup_dir}) {
        std::error_code failure;
        fs::create_directories(made, failure);
        if (failure) {
            return fail(state_errc::io_error, "changelog: creating {} failed: {}", made.string(),
                        failure.message());
        }
    }
    // share_table_files (the default, with checksummed names): incremental.
    rocksdb::BackupEngineOptions options(self->backup_dir.string());
    options.share_table_files = true;
    options.sync = true;
    rocksdb::BackupEngine* engine = nullptr;
    if (const rocksdb::IOStatus opened =
            rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &engine);
        !opened.ok()) {
        return rocksdb_failure("opening the backups in", self->backup_dir, opened);
    }
    self->engine.reset(engine);
    auto backups = detail::list_backups(*self->engine, self->backup_dir);
    if (!backups) {
        return tl::unexpected(std::move(backups.error()));
    }
    self->backups = std::move(*backups);
    auto segments = detail::list_segments(self->log_dir);
    if (!segments) {
        return tl::unexpected(std::move(segments.error()));
    }
    self->segments = std::move(*segments);
    if (!self->segments.empty()) {
        if (auto resumed = self->resume_newest(); !resumed) {
            return tl::unexpected(std::move(resumed.error()));
        }
    }
    if (!self->backups.empty()) {
        const std::uint64_t newest = self->backups.back().sequence;
        self->covered = std::max(self->covered, newest);
        // A crash between a backup and its segment: start the segment now.
        if (self->segments.empty() || self->segments.back() < newest) {
            if (auto started = self->start_segment(newest); !started) {
                return tl::unexpected(std::move(started.error()));
            }
        }
    }
    return std::unique_ptr<changelog>(new changelog(std::move(self)));
}

state_result<changelog_reconcile_report> changelog::reconcile(const detail::rocksdb_ref& db) {
    impl& self = *_impl;
    if (self.backups.empty()) {
        if (auto taken = backup(db); !taken) {
            return tl::unexpected(std::move(taken.error()));
        }
        return changelog_reconcile_report{changelog_reconciled::first_backup, 0};
    }
    const std::uint64_t local = db.db.GetLatestSequenceNumber();
    if (self.covered == local) {
        return changelog_reconcile_report{changelog_reconciled::in_step, 0};
    }
    if (self.covered < local) {
        eddy::log().warn(
            "changelog {}: the local database (sequence {}) is ahead of the log (sequence {}): "
            "taking a backup",
            self.dir.string(), local, self.covered);
        if (auto taken = backup(db); !taken) {
            return tl::unexpected(std::move(taken.error()));
        }
        return changelog_reconcile_report{changelog_reconciled::local_ahead, 0};
    }
    // A backup flushes the memtable first, so nothing it holds can be lost
    // from the local database: behind the newest backup, it is not this
    // changelog's database (taking a backup of it would roll state back).
    if (local < self.backups.back().sequence) {
        return fail(state_errc::corrupted,
                    "changelog {}: the local database (sequence {}) is behind the newest backup "
                    "(sequence {}): it is not this changelog's database",
                    self.dir.string(), local, self.backups.back().sequence);
    }
    eddy::log().warn(
        "changelog {}: the log (sequence {}) is ahead of the local database (sequence {}): "
        "replaying it",
        self.dir.string(), self.covered, local);
    auto replay = detail::replay_log(self.log_dir, local, db.db);
    if (!replay) {
        return tl::unexpected(std::move(replay.error()));
    }
    if (replay->last_sequence != self.covered) {
        return fail(state_errc::corrupted,
                    "changelog {}: replaying from sequence {} reached {}, not the log's {}",
                    self.dir.string(), local, replay->last_sequence, self.covered);
    }
    if (db.db.GetLatestSequenceNumber() != self.covered) {
        // The replay numbered its writes otherwise: a backup makes the log
        // continue from the database's own sequence again.
        if (auto taken = backup(db); !taken) {
            return tl::unexpected(std::move(taken.error()));
        }
    }
    return changelog_reconcile_report{changelog_reconciled::log_ahead, replay->records};
}

state_result<void> changelog::append(std::uint64_t sequence_after_commit,
                                     std::string_view write_batch) {
    impl& self = *_impl;
    std::lock_guard lock(self.mu);
    if (self.broken) {
        return fail(state_errc::io_error, "{}", *self.broken);
    }
    if (!self.current) {
        return fail(state_errc::invalid_argument, "changelog {}: an append before the first backup",
                    self.dir.string());
    }
    if (sequence_after_commit <= self.covered) {
        return fail(state_errc::invalid_argument,
                    "changelog {}: an append of sequence {} after sequence {}", self.dir.string(),
                    sequence_after_commit, self.covered);
    }
    self.record_buffer.clear();
    detail::append_record(self.record_buffer, sequence_after_commit, self.synced, write_batch);
    if (const int code = write_all(self.current->fd, self.record_buffer, self.written); code != 0) {
        return self.break_with(fmt::format("changelog: appending to {} failed: {}",
                                           self.current->path.string(), std::strerror(code)));
    }
    self.written += self.record_buffer.size();
    self.covered = sequence_after_commit;
    return {};
}

state_result<void> changelog::sync() {
    impl& self = *_impl;
    std::shared_ptr<segment_file> file;
    std::uint64_t target = 0;
    {
        std::lock_guard lock(self.mu);
        if (self.broken) {
            return fail(state_errc::io_error, "{}", *self.broken);
        }
        if (!self.current || self.synced >= self.written) {
            return {};
        }
        file = self.current;
        target = self.written;
    }
    // Not under mu: the owner goes on appending meanwhile.
    const int synced = ::fdatasync(file->fd);
    const int code = errno;
    std::lock_guard lock(self.mu);
    if (synced != 0) {
        return self.break_with(fmt::format("changelog: syncing {} failed: {}", file->path.string(),
                                           std::strerror(code)));
    }
    if (self.current == file) {
        self.synced = std::max(self.synced, target);
    }
    return {};
}

state_result<void> changelog::backup(const detail::rocksdb_ref& db) {
    impl& self = *_impl;
    {
        std::lock_guard lock(self.mu);
        if (self.broken) {
            return fail(state_errc::io_error, "{}", *self.broken);
        }
    }
    const std::uint64_t sequence = db.db.GetLatestSequenceNumber();
    if (!self.backups.empty() && self.backups.back().sequence == sequence) {
        return {};
    }
    rocksdb::CreateBackupOptions options;
    options.flush_before_backup = true;  // the backup holds every write up to `sequence`
    rocksdb::BackupID id = 0;
    if (const rocksdb::IOStatus created = self.engine->CreateNewBackupWithMetadata(
            options, &db.db, detail::backup_metadata(sequence), &id);
        !created.ok()) {
        return rocksdb_failure("creating a backup in", self.backup_dir, created);
    }
    self.backups.push_back({id, sequence});
    self.covered = std::max(self.covered, sequence);
    // Seal the current segment (synced whole), then start the next.
    if (auto sealed = sync(); !sealed) {
        return sealed;
    }
    if (self.segments.empty() || self.segments.back() != sequence) {
        if (auto started = self.start_segment(sequence); !started) {
            return started;
        }
    }
    return self.prune();
}

std::vector<std::uint64_t> changelog::backup_sequences() const {
    std::vector<std::uint64_t> sequences;
    for (const backup_entry& entry : _impl->backups) {
        sequences.push_back(entry.sequence);
    }
    return sequences;
}

std::uint64_t changelog::last_sequence() const {
    return _impl->covered;
}

state_result<bool> changelog::has_backup(const std::filesystem::path& dir) {
    auto engine = detail::open_backups(dir);
    if (!engine) {
        return tl::unexpected(std::move(engine.error()));
    }
    if (*engine == nullptr) {
        return false;
    }
    std::vector<rocksdb::BackupInfo> infos;
    (*engine)->GetBackupInfo(&infos);
    return !infos.empty();
}

namespace {

// Restores backup `backup` of `dir` into `work` and replays `dir`'s log
// past it; `work` is left closed. An error from the restore itself (an
// unreadable backup) is kind io_error or corrupted with `backup_failed` set.
state_result<replayed> restore_one(const backup_entry& backup, const fs::path& dir,
                                   const fs::path& work, bool& backup_failed) {
    backup_failed = false;
    {
        // An engine of its own: a failed restore returns while the engine's
        // threads may still copy files into `work`; its destruction joins them.
        auto engine = detail::open_backups(dir);
        if (!engine) {
            return tl::unexpected(std::move(engine.error()));
        }
        if (*engine == nullptr) {
            return fail(state_errc::io_error, "changelog: the backups of {} are gone",
                        dir.string());
        }
        if (const rocksdb::IOStatus restored = (*engine)->RestoreDBFromBackup(
                rocksdb::RestoreOptions(), backup.id, work.string(), work.string());
            !restored.ok()) {
            backup_failed = true;
            return rocksdb_failure(fmt::format("restoring backup {} of", backup.id), dir, restored);
        }
    }
    rocksdb::Options options;
    options.create_if_missing = false;
    rocksdb::DB* opened = nullptr;
    if (const rocksdb::Status status = rocksdb::DB::Open(options, work.string(), &opened);
        !status.ok()) {
        backup_failed = true;
        return rocksdb_failure("opening the restored database", work, status);
    }
    const std::unique_ptr<rocksdb::DB> db(opened);
    auto replay = detail::replay_log(dir / "log", backup.sequence, *db);
    const rocksdb::Status closed = db->Close();
    if (!replay) {
        return replay;
    }
    if (!closed.ok()) {
        return rocksdb_failure("closing the restored database", work, closed);
    }
    return replay;
}

}  // namespace

state_result<changelog_restore_report> changelog::restore(
    const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& target) {
    std::error_code failure;
    if (fs::exists(target, failure) && !fs::is_empty(target, failure)) {
        return fail(state_errc::invalid_argument,
                    "changelog: cannot restore into {}: it holds files already", target.string());
    }
    fs::path work = target;
    work += ".restoring";
    const auto clear_work = [&]() -> state_result<void> {
        std::error_code cleared;
        fs::remove_all(work, cleared);
        if (cleared) {
            return fail(state_errc::io_error, "changelog: clearing {} failed: {}", work.string(),
                        cleared.message());
        }
        return {};
    };
    if (auto cleared = clear_work(); !cleared) {
        return tl::unexpected(std::move(cleared.error()));
    }
    fs::create_directories(target.parent_path(), failure);
    for (const fs::path& dir : dirs) {
        auto engine = detail::open_backups(dir);
        if (!engine) {
            return tl::unexpected(std::move(engine.error()));
        }
        if (*engine == nullptr) {
            continue;
        }
        auto backups = detail::list_backups(**engine, dir / "backups");
        engine->reset();
        if (!backups) {
            return tl::unexpected(std::move(backups.error()));
        }
        if (backups->empty()) {
            continue;
        }
        changelog_restore_report report;
        report.source = dir;
        std::string last_problem;
        // The newest backup first; an older one (with a longer replay) only
        // if it cannot be restored. Never an older directory: that would lose
        // the commits of this one.
        for (auto backup = backups->rbegin(); backup != backups->rend(); ++backup) {
            if (auto cleared = clear_work(); !cleared) {
                return tl::unexpected(std::move(cleared.error()));
            }
            bool backup_failed = false;
            auto replay = restore_one(*backup, dir, work, backup_failed);
            if (!replay && backup_failed) {
                eddy::log().warn("changelog: {}; trying an older backup", replay.error().message);
                last_problem = replay.error().message;
                ++report.backups_skipped;
                continue;
            }
            if (!replay) {
                (void)clear_work();
                return tl::unexpected(std::move(replay.error()));
            }
            fs::remove(target, failure);  // an empty directory, if any
            fs::rename(work, target, failure);
            if (failure) {
                return fail(state_errc::io_error, "changelog: renaming {} to {} failed: {}",
                            work.string(), target.string(), failure.message());
            }
            if (auto synced = sync_directory(target.parent_path()); !synced) {
                return tl::unexpected(std::move(synced.error()));
            }
            report.backup_sequence = backup->sequence;
            report.records_replayed = replay->records;
            report.last_sequence = replay->last_sequence;
            report.torn_tail_bytes = replay->torn_tail_bytes;
            return report;
        }
        (void)clear_work();
        return fail(state_errc::io_error, "changelog: no backup of {} could be restored: {}",
                    dir.string(), last_problem);
    }
    std::string tried;
    for (const fs::path& dir : dirs) {
        tried += (tried.empty() ? "" : ", ") + dir.string();
    }
    return fail(state_errc::io_error, "changelog: no backup in any of [{}]", tried);
}

}  // namespace eddy::state
