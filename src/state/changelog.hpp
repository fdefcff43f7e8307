#pragma once

// The changelog of one incarnation of an instance on shared storage: what
// brings a lost host's durable state back on another host EXACTLY as of its
// last commit whose effects escaped (acknowledgements upstream, outbox
// records sent). Periodic backups alone would roll the state back to before
// commits others have already seen, which breaks exactly-once; so, like
// Flink's changelog state backend, every commit is also appended to a log on
// shared storage, and periodic incremental backups bound how much of the log
// a restore replays.
//
//     <dir>/backups/   rocksdb::BackupEngine, share_table_files: a backup
//                      copies only the table files the previous ones lack;
//                      each backup's metadata holds the database's sequence
//     <dir>/log/<first sequence>.log
//                      segments of records (sequence after the commit, the
//                      commit's WriteBatch), detail/changelog_record.hpp
//
// rocksdb_store owns one (see changelog_incarnations.hpp for the directory
// layout above incarnations, and rocksdb_options::changelog_dir):
//
//     auto log = changelog::open(dir);                 // scans, cuts a torn tail
//     log->reconcile(detail::rocksdb_ref{*db});        // covers the local database
//     db->Write(options, batch);                       // the local write first,
//     log->append(db->GetLatestSequenceNumber(), batch->Data());   // then the log
//     log->sync();                                     // before the commit counts
//     log->backup(detail::rocksdb_ref{*db});           // every backup_interval
//
//     changelog::restore({newest_dir, older_dir}, new_state_dir);  // a new host
//
// Ordering. A commit is written to the local database first and appended to
// the log second, so the local database is never behind the log except by
// what a crash cut from its WAL. The caller syncs the log the way it syncs
// its WAL (sync_policy): every_commit syncs the log before commit returns;
// group syncs it on the store's sync thread before a commit counts as
// synced; periodic syncs it with the WAL. A commit's effects leave only once
// it counts as synced, so every commit whose effects escaped is in the log.
//
// Backups. `backup` takes a RocksDB backup (the memtable flushed first) with
// the database's latest sequence S as its metadata, then seals the current
// segment (fdatasync) and starts segment S: records after a backup go to a
// segment named by the backup's sequence. It keeps the newest 2 backups and
// deletes the segments wholly covered by the OLDER of the two, not by the
// newest: so the older backup stays restorable (with a longer replay) if the
// newest one turns out unreadable; keeping it would be pointless otherwise.
//
// Restore replays, after the newest readable backup of the newest directory
// that has one, every record with a sequence above the backup's, in order.
// Each record must follow the one before it exactly (its sequence minus its
// batch's count is the previous sequence), so a gap is never papered over.
// The newest segment may end in a torn tail: a record a crash cut while it was
// not yet synced; it is ignored (reported in torn_tail_bytes). A damaged
// record anywhere else, in a sealed segment or where a later record shows the
// log had been synced past it, is an error naming the file and the offset,
// and the restore leaves nothing behind: applying the records before it and
// opening would silently undo commits whose effects may have escaped, and
// skipping it would apply later commits without an earlier one. An operator
// who accepts that loss can cut the segment at the named offset by hand.
// (The last synced record is the one case no later record vouches for: if
// shared storage damages it, it reads as a torn tail, like any log's.)
//
// Reopening over an existing local database (`reconcile`):
//   - no backup yet: take one, the base of the log;
//   - the log behind the database (a crash between the local write and the
//     append): take a backup at once, so the changelog covers the local state;
//   - the log ahead of the database (the local WAL lost its unsynced tail
//     under sync_policy::periodic, a machine crash): replay the missing
//     records into the local database, checking that they continue it.
//
// Threading: one owner thread calls everything but `sync`, which any thread
// may call at the same time (the store's sync thread). A failed write or sync
// leaves the changelog broken: every later append and sync fails, and the
// owner must reopen (which reconciles). RocksDB types stay in the .cpp.

#include "state_store.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace eddy::state {

namespace detail {
struct rocksdb_ref;
}  // namespace detail

// How many backups a changelog keeps (and how many it can fall back across).
inline constexpr std::size_t changelog_backups_kept = 2;

// What a restore did.
struct changelog_restore_report {
    std::filesystem::path source;       // the changelog directory it came from
    std::uint64_t backup_sequence = 0;  // the backup it started from
    std::uint64_t records_replayed = 0;
    std::uint64_t last_sequence = 0;    // of the last record replayed (else the backup's)
    std::size_t backups_skipped = 0;    // newer backups of `source` that could not be restored
    std::uint64_t torn_tail_bytes = 0;  // ignored at the end of the newest segment
};

enum class changelog_reconciled {
    in_step,       // the log covers the database exactly
    first_backup,  // there was no backup: one was taken
    local_ahead,   // the log was behind: a backup was taken
    log_ahead,     // the database was behind: records were replayed into it
};

struct changelog_reconcile_report {
    changelog_reconciled what = changelog_reconciled::in_step;
    std::uint64_t records_replayed = 0;
};

class changelog {
public:
    // Opens (creating if absent) the changelog in `dir` for appending: reads
    // its backups and its newest segment, cuts that segment's torn tail off,
    // and starts a segment if the newest backup has none. Errors: io_error,
    // corrupted (a damaged newest segment, unreadable backup metadata).
    [[nodiscard]] static state_result<std::unique_ptr<changelog>> open(
        const std::filesystem::path& dir);

    ~changelog();
    changelog(const changelog&) = delete;
    changelog& operator=(const changelog&) = delete;

    [[nodiscard]] const std::filesystem::path& directory() const;

    // Makes the changelog cover `db`, the local database of this
    // incarnation, just opened (see the header comment). Owner thread.
    [[nodiscard]] state_result<changelog_reconcile_report> reconcile(const detail::rocksdb_ref& db);

    // Appends one commit: `sequence_after_commit` is the database's latest
    // sequence after writing `write_batch` (its rocksdb::WriteBatch bytes).
    // Not synced: call sync(). Owner thread; REQUIRES: a backup exists
    // (reconcile or backup ran).
    [[nodiscard]] state_result<void> append(std::uint64_t sequence_after_commit,
                                            std::string_view write_batch);
    // fdatasyncs what was appended before the call. Any thread.
    [[nodiscard]] state_result<void> sync();
    // A backup of `db` at its latest sequence, a new segment from there, and
    // pruning (see the header comment). Nothing if the newest backup is at
    // that sequence already. Owner thread, between commits (no write races).
    [[nodiscard]] state_result<void> backup(const detail::rocksdb_ref& db);

    // The sequences of the backups kept, oldest first.
    [[nodiscard]] std::vector<std::uint64_t> backup_sequences() const;
    // The highest sequence the changelog covers: its last record's, or its
    // newest backup's if higher; 0 if it has neither.
    [[nodiscard]] std::uint64_t last_sequence() const;

    // Whether `dir` holds a changelog with at least one complete backup.
    [[nodiscard]] static state_result<bool> has_backup(const std::filesystem::path& dir);

    // For a host with no local state: restores into `target` (which must not
    // exist, or be empty) the newest readable backup of the first directory
    // of `dirs` (newest incarnation first) that has one, opens it, replays
    // that directory's log past the backup, closes it. Reads `dirs` only: a
    // former owner still appending is harmless (its newest record reads as a
    // torn tail). Idempotent: the work happens in `<target>.restoring`
    // (cleared first) and becomes `target` by one rename at the end, so a
    // crash at any point leaves either nothing or the whole restore, and a
    // second attempt ends the same. Errors: corrupted (a damaged record, a
    // gap in the log: nothing is left behind), io_error (no backup in any
    // directory, none readable, file errors), invalid_argument (`target`
    // holds files).
    [[nodiscard]] static state_result<changelog_restore_report> restore(
        const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& target);

private:
    struct impl;
    explicit changelog(std::unique_ptr<impl> impl);

    std::unique_ptr<impl> _impl;
};

}  // namespace eddy::state
