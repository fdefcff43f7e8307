#pragma once

// The durable state store of at-least-once and exactly-once instances: one
// RocksDB database per instance, under the instance's state directory. Beside
// keyed state (the state_store interface) it keeps what exactly-once needs to
// survive a crash (DESIGN.md, "Delivery modes and state"):
//
//   - timers, so that the timer_service can be rebuilt after a restart;
//   - the outbox: produced batches not yet acknowledged downstream, per
//     channel (receiver instance, topology epoch), by sequence number;
//   - input marks: the highest committed sequence per upstream channel
//     (sender instance, topology epoch), which the receiver dedups against;
//   - source positions (Kafka offsets, file offsets) by name.
//
// Every write of any kind goes into one pending batch (a RocksDB
// WriteBatchWithIndex, so that get, scan and the other reads of this store see
// its own uncommitted writes), and `commit` writes that batch atomically: the
// MillWheel commit of state changes, timers, outbox, input marks and positions
// as one unit. What was not committed is gone after a crash or a close.
//
//     auto store = rocksdb_store::open(dir / "state", {});
//     if (!store) return tl::unexpected(store.error());
//     (void)(*store)->put(group, key, "count", "1");
//     (void)(*store)->put_outbox({receiver, epoch}, sequence_number(7), frame);
//     (void)(*store)->put_input_mark({sender, epoch}, sequence_number(41));
//     if (auto done = (*store)->commit(); !done) ...   // all three, or none
//
// Keys: one kind byte, then big-endian fixed fields, so that bytewise order
// is numeric order and each kind, each key group and each outbox channel is a
// contiguous key range (detail/key_codec.hpp has the layout). One column
// family holds all kinds: a kind is already a key range, a batch is atomic
// within one family at no cost, and a single memtable and WAL keep a small
// instance small. A key group range (state or timers) is one range scan, so
// ranges can later move between instances.
//
// Lifecycle: `open` creates or reopens the database (one process at a time:
// RocksDB's LOCK file); destruction writes nothing pending, syncs the WAL and
// closes. Threading: not thread-safe; one owner thread calls every member
// (see state_store). Under sync_policy::periodic the store owns one small
// thread that only syncs RocksDB's WAL (DB::SyncWAL is thread-safe) and
// reports a failure to the next commit.
//
// Cluster mode (rocksdb_options::changelog_dir): every commit is also
// appended, after the local write, to a changelog on shared storage, synced
// as the WAL is (every_commit: before commit returns; group: before the
// commit counts as synced; periodic: with the WAL), and an incremental backup
// is taken every `backup_interval`. `open` restores a database that is absent
// from the changelog, and reconciles one that exists with it; see
// changelog.hpp and changelog_incarnations.hpp.
//
// RocksDB types stay in the .cpp (pimpl): nothing here names them.

#include "state_store.hpp"
#include <eddy/context.hpp>

#include <chrono>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::state {

// When a commit reaches the disk, not just the operating system.
enum class sync_policy {
    // Each commit is written with WriteOptions::sync: it survives a crash of
    // the process and of the machine (power loss) once commit returns.
    every_commit,
    // Each commit is written to the WAL file (the OS page cache) and a thread
    // syncs the WAL every `sync_interval`: a commit survives a crash of the
    // process (kill -9) once commit returns, and a crash of the machine once
    // the next sync has run (up to `sync_interval` of commits can be lost).
    periodic,
    // Each commit is written to the WAL without waiting; a thread of the
    // store syncs the WAL as soon as commits are waiting, one sync covering
    // every commit written meanwhile (group commit). A commit is on disk once
    // synced_commit() reaches its number: the owner holds back what depends
    // on it (outputs, acknowledgements) until then, which gives every_commit's
    // guarantee at a fraction of the syncs under load.
    group,
};

struct rocksdb_options {
    // How commits reach the disk. Default: every_commit. Fixed at open.
    sync_policy sync = sync_policy::every_commit;
    // Under sync_policy::periodic, the time between two WAL syncs. Default:
    // 100 ms. Fixed at open.
    std::chrono::milliseconds sync_interval{100};
    // Create the directory (and its parents) and the database if absent;
    // otherwise a missing database is an io_error. Default: true. Fixed at open.
    bool create_if_missing = true;
    // The instance's changelog root on shared storage (cluster mode), e.g.
    // `<shared>/state/<instance id>`: incarnations are numbered directories
    // in it (changelog_incarnations.hpp). With one, a missing local database
    // is restored from the newest incarnation that has a backup, an existing
    // one is reconciled with its incarnation's changelog, and each commit is
    // appended to the changelog after the local write. Empty: no changelog.
    // Default: empty. Fixed at open.
    std::filesystem::path changelog_dir;
    // With a changelog, the least time between two backups (taken after a
    // commit; each bounds what a restore replays). Default: 10 s. Fixed at open.
    std::chrono::milliseconds backup_interval{10'000};
};

// A channel as one end sees it: the instance at the other end and the
// topology epoch (DESIGN.md: a channel is (sender, receiver, epoch)). In the
// outbox `peer` is the receiver; in input marks it is the sender.
struct channel_key {
    instance_id peer;
    topology_epoch epoch;
    auto operator<=>(const channel_key&) const = default;
};

class rocksdb_store final : public state_store {
public:
    // Opens (or creates) the database in `dir`. Errors name `dir` and what failed.
    [[nodiscard]] static state_result<std::unique_ptr<rocksdb_store>> open(
        const std::filesystem::path& dir, rocksdb_options options = {});

    ~rocksdb_store() override;
    rocksdb_store(const rocksdb_store&) = delete;
    rocksdb_store& operator=(const rocksdb_store&) = delete;

    [[nodiscard]] const std::filesystem::path& directory() const;

    // state_store. Reads see this store's uncommitted writes. The view `get`
    // returns stays valid until the next modifying call (any put, erase or
    // commit, of any kind). `scan` visits in key group order (within a
    // group, by key length, then key).
    // `erase_range` drops state only (not timers: see erase_timer_range).
    [[nodiscard]] state_result<std::optional<std::string_view>> get(key_group group,
                                                                    std::string_view key,
                                                                    std::string_view name) override;
    [[nodiscard]] state_result<void> put(key_group group, std::string_view key,
                                         std::string_view name, std::string_view value) override;
    [[nodiscard]] state_result<void> erase(key_group group, std::string_view key,
                                           std::string_view name) override;
    [[nodiscard]] state_result<void> scan(
        key_group_range range, const std::function<void(const state_entry&)>& visit) override;
    [[nodiscard]] state_result<void> erase_range(key_group_range range) override;
    // Writes the pending batch of every kind as one atomic RocksDB write and
    // starts an empty one. An empty batch writes nothing. On failure the
    // pending batch is kept (a retry writes it again).
    [[nodiscard]] state_result<void> commit() override;

    // Commits are numbered from 1 (empty ones are not counted). The number of
    // the last commit written, and the highest known to be on disk: under
    // sync_policy::group the store's sync thread advances it; under the other
    // policies it is the last commit (every_commit: synced by the write;
    // periodic: written to the OS, which is what that policy promises).
    [[nodiscard]] std::uint64_t last_commit() const;
    [[nodiscard]] std::uint64_t synced_commit() const;
    // Waits until commit `commit` is on disk; an io_error if a sync failed.
    [[nodiscard]] state_result<void> wait_synced(std::uint64_t commit);
    // Called from the sync thread after each sync (sync_policy::group only),
    // e.g. to wake the owner's loop. Set before the first commit.
    void set_on_synced(std::function<void()> on_synced);

    // Timers, identified by (group, key, tag, domain): putting one again
    // replaces its time; erasing an absent one is not an error.
    [[nodiscard]] state_result<void> put_timer(key_group group, std::string_view key,
                                               std::string_view tag, time_domain domain,
                                               time_micros time) override;
    [[nodiscard]] state_result<void> erase_timer(key_group group, std::string_view key,
                                                 std::string_view tag, time_domain domain) override;
    // Visits the timers of the key groups in `range` (all of them without a
    // range), in key group order, not time order.
    [[nodiscard]] state_result<void> scan_timers(
        key_group_range range, const std::function<void(const stored_timer&)>& visit);
    [[nodiscard]] state_result<void> scan_timers(
        const std::function<void(const stored_timer&)>& visit) override;
    [[nodiscard]] state_result<void> erase_timer_range(key_group_range range);

    // How many bytes of state and timers (keys and values) each key group of
    // `range` holds, element i for group `range.first + i`: what sizes the
    // rounds of a rescale. What the memtables hold is counted exactly (one
    // pass over them, bounded by their size); what the files hold is RocksDB's
    // estimate from their index blocks (to a block, as stored: compressed).
    // Uncommitted writes are not counted. Cheap: reads no data block.
    [[nodiscard]] state_result<std::vector<std::uint64_t>> approximate_sizes(key_group_range range);
    // The bytes of state and timers of every key group, as approximate_sizes
    // counts them (files: RocksDB's estimate; memtables: one pass over their
    // state and timers, so the caller bounds how often); 0 if it cannot say.
    [[nodiscard]] std::uint64_t approximate_bytes() override;

    // The outbox of the channel to `channel.peer` (the receiver). Frames are
    // opaque bytes (the encoded batch, resent as is).
    [[nodiscard]] state_result<void> put_outbox(channel_key channel, sequence_number sequence,
                                                std::string_view frame);
    // Drops one entry. The cheap way to trim an outbox whose sequences the
    // caller knows: no scan over the tombstones of earlier trims.
    [[nodiscard]] state_result<void> erase_outbox(channel_key channel, sequence_number sequence);
    // Drops the channel's entries with sequence <= `through` (acknowledged);
    // scans the channel's range, tombstones included.
    [[nodiscard]] state_result<void> erase_outbox_through(channel_key channel,
                                                          sequence_number through);
    // Visits the channel's entries with sequence > `after`, in sequence order;
    // the view is valid during the visit.
    [[nodiscard]] state_result<void> scan_outbox(
        channel_key channel, sequence_number after,
        const std::function<void(sequence_number, std::string_view)>& visit);
    // The channels that have at least one outbox entry, in order.
    [[nodiscard]] state_result<std::vector<channel_key>> outbox_channels();

    // The highest committed input sequence of the channel from `channel.peer`
    // (the sender). Overwrites: the caller only ever raises it.
    [[nodiscard]] state_result<void> put_input_mark(channel_key channel, sequence_number sequence);
    [[nodiscard]] state_result<std::map<channel_key, sequence_number>> input_marks();

    // Source read positions (opaque bytes: a Kafka offset, a file offset) by name.
    [[nodiscard]] state_result<void> put_position(std::string_view name, std::string_view bytes);
    [[nodiscard]] state_result<std::optional<std::string>> position(std::string_view name);

private:
    struct impl;
    explicit rocksdb_store(std::unique_ptr<impl> impl);

    std::unique_ptr<impl> _impl;
};

}  // namespace eddy::state
