#include "rocksdb_store.hpp"

#include "base/log.hpp"
#include "changelog_incarnations.hpp"
#include "detail/group_sync.hpp"
#include "detail/key_codec.hpp"
#include "detail/periodic_sync.hpp"
#include "detail/rocksdb_crc32c.hpp"
#include "detail/rocksdb_ref.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <algorithm>
#include <deque>
#include <system_error>

namespace eddy::state {
namespace {

// How fast RocksDB's delete scheduler truncates obsolete files (see open).
constexpr std::int64_t delete_bytes_per_second = std::int64_t{512} << 20;

// Every key that starts with `prefix`, or every key from `lower` up to `upper`
// (exclusive; empty: no bound).
struct key_range {
    std::string lower;
    std::string upper;
};

key_range prefix_range(std::string prefix) {
    std::string upper = detail::prefix_successor(prefix);
    return {std::move(prefix), std::move(upper)};
}

// The state keys of key groups [first, last): 's' | first up to 's' | last.
key_range state_range(key_group_range range) {
    return {detail::state_group_prefix(range.first), detail::state_group_prefix(range.last)};
}

key_range timer_range(key_group_range range) {
    return {detail::timer_group_prefix(range.first), detail::timer_group_prefix(range.last)};
}

std::string_view view(const rocksdb::Slice& slice) {
    return {slice.data(), slice.size()};
}

// Visits every entry of `kind` still in the memtables (not yet in a file)
// with its key and its bytes (key and value), until `visit` returns false.
// The sizes are counted, not estimated: RocksDB's memtable estimate spreads
// the average entry (outbox frames, marks) over every key, far from a key
// group's few large values.
template <class Visit>
rocksdb::Status scan_memtables(rocksdb::DB& db, rocksdb::ReadOptions options, const key_range& kind,
                               Visit&& visit) {
    options.read_tier = rocksdb::kMemtableTier;
    const rocksdb::Slice upper(kind.upper);
    options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(options));
    for (it->Seek(kind.lower); it->Valid(); it->Next()) {
        if (!visit(view(it->key()), it->key().size() + it->value().size())) {
            break;
        }
    }
    return it->status();
}

}  // namespace

struct rocksdb_store::impl {
    std::filesystem::path dir;
    std::unique_ptr<rocksdb::DB> db;
    rocksdb::WriteOptions write_options;
    rocksdb::ReadOptions read_options;
    // overwrite_key: the index keeps one entry per key, as the merged
    // iterator over batch and database expects.
    rocksdb::WriteBatchWithIndex batch{rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true};
    std::string key_buffer;  // reused by get/put/erase of state
    // The values `get` returned since the last modifying call: a deque, so
    // that adding one moves none (views into short strings would dangle).
    // Buffers are reused after the next modifying call.
    std::deque<std::string> read_values;
    std::size_t reads_in_use = 0;
    std::uint64_t commits = 0;  // non-empty commits written
    // With rocksdb_options::changelog_dir (changelog.hpp); outlives the
    // syncers, which sync it. A failed append leaves the store failed for
    // commits: the local write cannot be taken back; a reopen reconciles.
    std::unique_ptr<changelog> log;
    std::optional<std::string> log_failure;
    std::chrono::milliseconds backup_interval{0};
    std::chrono::steady_clock::time_point next_backup;
    // Last: stopped before the database closes.
    std::unique_ptr<detail::periodic_sync> syncer;
    std::unique_ptr<detail::group_sync> group_syncer;

    [[nodiscard]] tl::unexpected<error<state_errc>> failed(std::string_view operation,
                                                           const rocksdb::Status& status) const {
        const state_errc kind =
            status.IsCorruption() ? state_errc::corrupted : state_errc::io_error;
        return fail(kind, "state store {}: {} failed: {}", dir.string(), operation,
                    status.ToString());
    }

    [[nodiscard]] tl::unexpected<error<state_errc>> undecodable(std::string_view what,
                                                                std::string_view key) const {
        return fail(state_errc::corrupted,
                    "state store {}: a stored {} key of {} bytes does not decode", dir.string(),
                    what, key.size());
    }

    // Appends the commit just written locally to the changelog (synced at
    // once under every_commit).
    [[nodiscard]] state_result<void> log_commit(const rocksdb::WriteBatch& written) {
        auto logged = log->append(db->GetLatestSequenceNumber(), written.Data());
        if (logged && write_options.sync) {
            logged = log->sync();
        }
        if (!logged) {
            log_failure = fmt::format("state store {}: the changelog failed, reopen the store: {}",
                                      dir.string(), logged.error().message);
            return fail(state_errc::io_error, "{}", *log_failure);
        }
        return {};
    }

    // After a commit: a backup of the changelog when one is due. A failure
    // is logged, and the next one tried an interval later.
    void back_up_when_due() {
        if (const auto now = std::chrono::steady_clock::now(); log && now >= next_backup) {
            if (auto backed_up = log->backup(detail::rocksdb_ref{*db}); !backed_up) {
                eddy::log().warn("state store {}: {}", dir.string(), backed_up.error().message);
            }
            next_backup = now + backup_interval;
        }
    }

    // A write of any kind: views `get` returned may now be reused.
    void modified() { reads_in_use = 0; }

    [[nodiscard]] state_result<void> put(std::string_view operation, std::string_view key,
                                         std::string_view value) {
        modified();
        const rocksdb::Status status = batch.Put(key, value);
        if (!status.ok()) {
            return failed(operation, status);
        }
        return {};
    }

    [[nodiscard]] state_result<void> erase(std::string_view operation, std::string_view key) {
        modified();
        const rocksdb::Status status = batch.Delete(key);
        if (!status.ok()) {
            return failed(operation, status);
        }
        return {};
    }

    // The value under `key`, batch first, then the database.
    [[nodiscard]] state_result<bool> read(std::string_view operation, std::string_view key,
                                          std::string& value) {
        const rocksdb::Status status = batch.GetFromBatchAndDB(db.get(), read_options, key, &value);
        if (status.IsNotFound()) {
            return false;
        }
        if (!status.ok()) {
            return failed(operation, status);
        }
        return true;
    }

    // Calls visit(key, value) for the keys of `range` in order, batch merged
    // over the database; visit returns false to stop. Visiting must not write.
    template <class Visit>
    [[nodiscard]] state_result<void> for_each(std::string_view operation, const key_range& range,
                                              Visit&& visit) {
        rocksdb::ReadOptions options = read_options;
        const rocksdb::Slice upper(range.upper);
        if (!range.upper.empty()) {
            options.iterate_upper_bound = &upper;
        }
        std::unique_ptr<rocksdb::Iterator> it(batch.NewIteratorWithBase(
            db->DefaultColumnFamily(), db->NewIterator(options), &options));
        for (it->Seek(range.lower); it->Valid(); it->Next()) {
            const std::string_view key = view(it->key());
            if (!range.upper.empty() && key >= range.upper) {
                break;  // checked here too: the bound is only given to the database's side
            }
            if (!visit(key, view(it->value()))) {
                break;
            }
        }
        if (!it->status().ok()) {
            return failed(operation, it->status());
        }
        return {};
    }

    [[nodiscard]] state_result<void> scan_timers(
        const key_range& range, const std::function<void(const stored_timer&)>& visit) {
        state_result<void> decoded;
        auto scanned =
            for_each("scan_timers", range, [&](std::string_view stored, std::string_view value) {
                const auto address = detail::decode_timer_key(stored);
                const auto time = detail::decode_u64_value(value);
                if (!address || !time) {
                    decoded = undecodable("timer", stored);
                    return false;
                }
                visit(stored_timer{address->group, address->key, address->tag, address->domain,
                                   static_cast<time_micros>(*time)});
                return true;
            });
        return scanned ? decoded : scanned;
    }

    // Deletes every key of `range`: WriteBatchWithIndex has no DeleteRange,
    // and the keys are collected first because writing to the batch under its
    // own iterator is unsafe.
    [[nodiscard]] state_result<void> erase_all(std::string_view operation, const key_range& range) {
        std::vector<std::string> keys;
        auto listed = for_each(operation, range, [&](std::string_view key, std::string_view) {
            keys.emplace_back(key);
            return true;
        });
        if (!listed) {
            return listed;
        }
        for (const std::string& key : keys) {
            if (auto erased = erase(operation, key); !erased) {
                return erased;
            }
        }
        modified();
        return {};
    }
};

rocksdb_store::rocksdb_store(std::unique_ptr<impl> impl) : _impl(std::move(impl)) {}

rocksdb_store::~rocksdb_store() {
    // Pending writes are dropped: only commit makes them durable.
    _impl->syncer.reset();
    _impl->group_syncer.reset();
    if (!_impl->write_options.sync) {
        (void)_impl->db->SyncWAL();  // a clean close leaves nothing unsynced
    }
    if (_impl->log) {
        (void)_impl->log->sync();
    }
    (void)_impl->db->Close();
}

state_result<std::unique_ptr<rocksdb_store>> rocksdb_store::open(const std::filesystem::path& dir,
                                                                 rocksdb_options options) {
    auto self = std::make_unique<impl>();
    self->dir = dir;
    if (options.create_if_missing) {
        std::error_code failure;
        std::filesystem::create_directories(dir, failure);
        if (failure) {
            return fail(state_errc::io_error, "state store {}: cannot create the directory: {}",
                        dir.string(), failure.message());
        }
    }
    if (!options.changelog_dir.empty()) {
        // Restores an absent (or stale) local database from the changelog.
        if (auto prepared = prepare_local_state(options.changelog_dir, dir); !prepared) {
            return tl::unexpected(std::move(prepared.error()));
        }
    }
    // Referenced so that the hardware CRC32C is linked into every program
    // that opens a store (detail/rocksdb_crc32c.cpp).
    static const bool hardware_checksums = detail::hardware_crc32c();
    (void)hardware_checksums;
    rocksdb::Options db_options;
    db_options.create_if_missing = options.create_if_missing;
    // Let the OS write the WAL out in the background as it grows, so that a
    // sync (every commit group, or every interval) finds little left to
    // write and blocks the next commit's write for less.
    db_options.wal_bytes_per_sync = 256 * 1024;
    db_options.bytes_per_sync = 1024 * 1024;
    // A durable instance's writes are mostly outbox frames that are erased
    // again within milliseconds, so what a flush writes is the few frames
    // still unacknowledged then, whatever the memtable's size: 32 MiB
    // memtables flush (and compact) a quarter as often as 8 MiB ones, which
    // cut the exactly-once executors' CPU by about a tenth. Four may wait for
    // their flush before writes slow down.
    db_options.write_buffer_size = 32U << 20U;
    db_options.max_write_buffer_number = 4;
    // A memtable's WAL is deleted after its flush. Unlinking a 32 MiB file in
    // one go held ext4's journal for 15-20 ms, and every WAL sync of the
    // instance waited behind it (strace: fdatasync 8 ms beside a 15 ms
    // unlink; half-load p99 15-20 ms). RocksDB's delete scheduler instead
    // renames the file to trash and truncates it 1 MiB at a time, at up to
    // 512 MiB/s (more than one instance's WAL grows at on one disk); the
    // trash ratio is set so high that WAL files, large beside a small
    // instance's tables, still go through it. Trash left by a crash is
    // deleted at the next open.
    db_options.sst_file_manager.reset(rocksdb::NewSstFileManager(
        rocksdb::Env::Default(), nullptr, "", delete_bytes_per_second,
        /*delete_existing_trash=*/true, nullptr, /*max_trash_db_ratio=*/1000.0,
        /*bytes_max_delete_chunk=*/1U << 20U));
    // No compression at any level (Kafka Streams' RocksDB store makes the
    // same choice): most bytes that reach the files of a durable instance are
    // outbox frames on their way out, which the next compaction drops again.
    // Snappy on every flush cost some 3% of the machine in the exactly-once
    // benchmark, LZ4 on the compactions into the last level about 5% of the
    // executors' CPU. Compressing lasting state alone needs the outbox in a
    // column family of its own.
    db_options.compression = rocksdb::kNoCompression;
    db_options.bottommost_compression = rocksdb::kNoCompression;
    rocksdb::DB* db = nullptr;
    const rocksdb::Status status = rocksdb::DB::Open(db_options, dir.string(), &db);
    if (!status.ok()) {
        return self->failed("open", status);
    }
    self->db.reset(db);
    if (!options.changelog_dir.empty()) {
        auto attached = attach_changelog(options.changelog_dir, dir, detail::rocksdb_ref{*db});
        if (!attached) {
            return tl::unexpected(std::move(attached.error()));
        }
        self->log = std::move(*attached);
        self->backup_interval = options.backup_interval;
        self->next_backup = std::chrono::steady_clock::now() + options.backup_interval;
    }
    changelog* const log = self->log.get();
    self->write_options.sync = options.sync == sync_policy::every_commit;
    if (options.sync == sync_policy::periodic) {
        rocksdb::DB* const synced = db;
        self->syncer = std::make_unique<detail::periodic_sync>(
            options.sync_interval,
            [synced, log, path = dir.string()]() -> std::optional<std::string> {
                const rocksdb::Status synced_status = synced->SyncWAL();
                if (synced_status.ok()) {
                    auto log_synced = log != nullptr ? log->sync() : state_result<void>{};
                    return log_synced ? std::nullopt
                                      : std::optional<std::string>(log_synced.error().message);
                }
                return fmt::format("state store {}: periodic WAL sync failed: {}", path,
                                   synced_status.ToString());
            });
    }
    if (options.sync == sync_policy::group) {
        rocksdb::DB* const synced = db;
        self->group_syncer = std::make_unique<detail::group_sync>(
            [synced, log, path = dir.string()]() -> std::optional<std::string> {
                const rocksdb::Status synced_status = synced->SyncWAL();
                if (synced_status.ok()) {
                    auto log_synced = log != nullptr ? log->sync() : state_result<void>{};
                    return log_synced ? std::nullopt
                                      : std::optional<std::string>(log_synced.error().message);
                }
                return fmt::format("state store {}: WAL sync failed: {}", path,
                                   synced_status.ToString());
            });
    }
    return std::unique_ptr<rocksdb_store>(new rocksdb_store(std::move(self)));
}

std::uint64_t rocksdb_store::last_commit() const {
    return _impl->commits;
}

std::uint64_t rocksdb_store::synced_commit() const {
    return _impl->group_syncer ? _impl->group_syncer->synced() : _impl->commits;
}

state_result<void> rocksdb_store::wait_synced(std::uint64_t commit) {
    if (!_impl->group_syncer || _impl->group_syncer->wait_synced(commit)) {
        return {};
    }
    return fail(state_errc::io_error, "{}",
                _impl->group_syncer->take_error().value_or("state store: WAL sync failed"));
}

void rocksdb_store::set_on_synced(std::function<void()> on_synced) {
    if (_impl->group_syncer) {
        _impl->group_syncer->set_on_synced(std::move(on_synced));
    }
}

const std::filesystem::path& rocksdb_store::directory() const {
    return _impl->dir;
}

state_result<std::optional<std::string_view>> rocksdb_store::get(key_group group,
                                                                 std::string_view key,
                                                                 std::string_view name) {
    impl& self = *_impl;
    detail::encode_state_key(self.key_buffer, group, key, name);
    if (self.reads_in_use == self.read_values.size()) {
        self.read_values.emplace_back();
    }
    std::string& value = self.read_values[self.reads_in_use];
    auto found = self.read("get", self.key_buffer, value);
    if (!found) {
        return tl::unexpected(std::move(found.error()));
    }
    if (!*found) {
        return std::optional<std::string_view>{};
    }
    ++self.reads_in_use;
    return std::optional<std::string_view>{value};
}

state_result<void> rocksdb_store::put(key_group group, std::string_view key, std::string_view name,
                                      std::string_view value) {
    detail::encode_state_key(_impl->key_buffer, group, key, name);
    return _impl->put("put", _impl->key_buffer, value);
}

state_result<void> rocksdb_store::erase(key_group group, std::string_view key,
                                        std::string_view name) {
    detail::encode_state_key(_impl->key_buffer, group, key, name);
    return _impl->erase("erase", _impl->key_buffer);
}

state_result<void> rocksdb_store::scan(key_group_range range,
                                       const std::function<void(const state_entry&)>& visit) {
    if (range.last < range.first) {
        return fail(state_errc::invalid_argument, "key group range [{}, {}) is reversed",
                    range.first, range.last);
    }
    state_result<void> decoded;
    auto scanned = _impl->for_each(
        "scan", state_range(range), [&](std::string_view stored, std::string_view value) {
            const auto address = detail::decode_state_key(stored);
            if (!address) {
                decoded = _impl->undecodable("state", stored);
                return false;
            }
            visit(state_entry{address->group, address->key, address->name, value});
            return true;
        });
    return scanned ? decoded : scanned;
}

state_result<void> rocksdb_store::erase_range(key_group_range range) {
    if (range.last < range.first) {
        return fail(state_errc::invalid_argument, "key group range [{}, {}) is reversed",
                    range.first, range.last);
    }
    return _impl->erase_all("erase_range", state_range(range));
}

state_result<void> rocksdb_store::commit() {
    impl& self = *_impl;
    self.modified();
    if (self.syncer) {
        if (auto sync_error = self.syncer->take_error()) {
            return fail(state_errc::io_error, "{}", *sync_error);
        }
    }
    if (self.group_syncer) {
        if (auto sync_error = self.group_syncer->take_error()) {
            return fail(state_errc::io_error, "{}", *sync_error);
        }
    }
    if (self.log_failure) {
        return fail(state_errc::io_error, "{}", *self.log_failure);
    }
    rocksdb::WriteBatch* const pending = self.batch.GetWriteBatch();
    if (pending->Count() == 0) {
        return {};
    }
    const rocksdb::Status status = self.db->Write(self.write_options, pending);
    if (!status.ok()) {
        return self.failed("commit", status);
    }
    if (self.log) {
        auto logged = self.log_commit(*pending);
        if (!logged) {
            self.batch.Clear();  // written locally: it must not be written twice
            return logged;
        }
    }
    self.batch.Clear();
    ++self.commits;
    if (self.group_syncer) {
        self.group_syncer->written(self.commits);
    }
    self.back_up_when_due();
    return {};
}

state_result<void> rocksdb_store::put_timer(key_group group, std::string_view key,
                                            std::string_view tag, time_domain domain,
                                            time_micros time) {
    return _impl->put("put_timer", detail::encode_timer_key(group, key, tag, domain),
                      detail::encode_u64_value(static_cast<std::uint64_t>(time)));
}

state_result<void> rocksdb_store::erase_timer(key_group group, std::string_view key,
                                              std::string_view tag, time_domain domain) {
    return _impl->erase("erase_timer", detail::encode_timer_key(group, key, tag, domain));
}

state_result<void> rocksdb_store::scan_timers(
    key_group_range range, const std::function<void(const stored_timer&)>& visit) {
    if (range.last < range.first) {
        return fail(state_errc::invalid_argument, "key group range [{}, {}) is reversed",
                    range.first, range.last);
    }
    return _impl->scan_timers(timer_range(range), visit);
}

state_result<void> rocksdb_store::scan_timers(
    const std::function<void(const stored_timer&)>& visit) {
    return _impl->scan_timers(prefix_range(std::string(1, detail::timer_kind)), visit);
}

state_result<void> rocksdb_store::erase_timer_range(key_group_range range) {
    if (range.last < range.first) {
        return fail(state_errc::invalid_argument, "key group range [{}, {}) is reversed",
                    range.first, range.last);
    }
    return _impl->erase_all("erase_timer_range", timer_range(range));
}

state_result<std::vector<std::uint64_t>> rocksdb_store::approximate_sizes(key_group_range range) {
    if (range.last < range.first) {
        return fail(state_errc::invalid_argument, "key group range [{}, {}) is reversed",
                    range.first, range.last);
    }
    impl& self = *_impl;
    const std::uint32_t groups = range.size();
    std::vector<std::uint64_t> bytes(groups, 0);
    if (groups == 0) {
        return bytes;
    }
    // The files: RocksDB's estimate for the state and the timers of each group.
    std::vector<std::string> bounds;
    bounds.reserve(4 * static_cast<std::size_t>(groups));
    for (std::uint32_t g = range.first.value(); g < range.last.value(); ++g) {
        bounds.push_back(detail::state_group_prefix(key_group(g)));
        bounds.push_back(detail::state_group_prefix(key_group(g + 1)));
        bounds.push_back(detail::timer_group_prefix(key_group(g)));
        bounds.push_back(detail::timer_group_prefix(key_group(g + 1)));
    }
    std::vector<rocksdb::Range> ranges;
    ranges.reserve(bounds.size() / 2);
    for (std::size_t i = 0; i < bounds.size(); i += 2) {
        ranges.emplace_back(bounds[i], bounds[i + 1]);
    }
    std::vector<std::uint64_t> in_files(ranges.size(), 0);
    rocksdb::SizeApproximationOptions files_only;
    files_only.include_files = true;
    files_only.include_memtables = false;
    const rocksdb::Status estimated =
        self.db->GetApproximateSizes(files_only, self.db->DefaultColumnFamily(), ranges.data(),
                                     static_cast<int>(ranges.size()), in_files.data());
    if (!estimated.ok()) {
        return self.failed("approximate_sizes", estimated);
    }
    for (std::size_t i = 0; i < in_files.size(); ++i) {
        bytes[i / 2] += in_files[i];
    }
    // The memtables, counted (scan_memtables).
    for (const key_range& kind : {state_range(range), timer_range(range)}) {
        std::optional<std::string> bad_key;
        const auto scanned = scan_memtables(
            *self.db, self.read_options, kind, [&](std::string_view key, std::size_t size) {
                std::string_view rest = key;
                rest.remove_prefix(std::min<std::size_t>(rest.size(), 1));  // the kind byte
                const auto group = detail::take_u32(rest);
                if (!group || *group < range.first.value() || *group >= range.last.value()) {
                    bad_key = std::string(key);
                    return false;
                }
                bytes[*group - range.first.value()] += size;
                return true;
            });
        if (bad_key) {
            return self.undecodable("state or timer", *bad_key);
        }
        if (!scanned.ok()) {
            return self.failed("approximate_sizes", scanned);
        }
    }
    return bytes;
}

std::uint64_t rocksdb_store::approximate_bytes() {
    impl& self = *_impl;
    const key_group_range all{key_group(0), key_group(UINT32_MAX)};
    const key_range kinds[] = {state_range(all), timer_range(all)};
    const rocksdb::Range ranges[] = {{kinds[0].lower, kinds[0].upper},
                                     {kinds[1].lower, kinds[1].upper}};
    std::uint64_t in_files[2] = {0, 0};
    rocksdb::SizeApproximationOptions files_only;
    files_only.include_files = true;
    files_only.include_memtables = false;
    if (!self.db
             ->GetApproximateSizes(files_only, self.db->DefaultColumnFamily(), ranges, 2, in_files)
             .ok()) {
        return 0;
    }
    // The memtables, counted (scan_memtables), as approximate_sizes does.
    std::uint64_t bytes = in_files[0] + in_files[1];
    for (const key_range& kind : kinds) {
        (void)scan_memtables(*self.db, self.read_options, kind,
                             [&](std::string_view, std::size_t size) {
                                 bytes += size;
                                 return true;
                             });
    }
    return bytes;
}

state_result<void> rocksdb_store::put_outbox(channel_key channel, sequence_number sequence,
                                             std::string_view frame) {
    return _impl->put("put_outbox",
                      detail::encode_outbox_key(channel.peer, channel.epoch, sequence), frame);
}

state_result<void> rocksdb_store::erase_outbox(channel_key channel, sequence_number sequence) {
    return _impl->erase("erase_outbox",
                        detail::encode_outbox_key(channel.peer, channel.epoch, sequence));
}

state_result<void> rocksdb_store::erase_outbox_through(channel_key channel,
                                                       sequence_number through) {
    key_range range = prefix_range(detail::outbox_channel_prefix(channel.peer, channel.epoch));
    if (through.value() != UINT64_MAX) {
        range.upper = detail::encode_outbox_key(channel.peer, channel.epoch,
                                                sequence_number(through.value() + 1));
    }
    return _impl->erase_all("erase_outbox_through", range);
}

state_result<void> rocksdb_store::scan_outbox(
    channel_key channel, sequence_number after,
    const std::function<void(sequence_number, std::string_view)>& visit) {
    if (after.value() == UINT64_MAX) {
        return {};
    }
    key_range range = prefix_range(detail::outbox_channel_prefix(channel.peer, channel.epoch));
    range.lower =
        detail::encode_outbox_key(channel.peer, channel.epoch, sequence_number(after.value() + 1));
    state_result<void> decoded;
    auto scanned =
        _impl->for_each("scan_outbox", range, [&](std::string_view stored, std::string_view frame) {
            const auto address = detail::decode_outbox_key(stored);
            if (!address) {
                decoded = _impl->undecodable("outbox", stored);
                return false;
            }
            visit(address->sequence, frame);
            return true;
        });
    return scanned ? decoded : scanned;
}

state_result<std::vector<channel_key>> rocksdb_store::outbox_channels() {
    // One seek per channel: after the first entry of a channel, skip past
    // the channel's prefix.
    impl& self = *_impl;
    std::vector<channel_key> channels;
    key_range range = prefix_range(std::string(1, detail::outbox_kind));
    while (true) {
        std::optional<detail::outbox_address> first;
        state_result<void> decoded;
        auto scanned =
            self.for_each("outbox_channels", range, [&](std::string_view stored, std::string_view) {
                first = detail::decode_outbox_key(stored);
                if (!first) {
                    decoded = self.undecodable("outbox", stored);
                }
                return false;
            });
        if (!scanned) {
            return tl::unexpected(std::move(scanned.error()));
        }
        if (!decoded) {
            return tl::unexpected(std::move(decoded.error()));
        }
        if (!first) {
            return channels;
        }
        channels.push_back(channel_key{first->receiver, first->epoch});
        range.lower =
            detail::prefix_successor(detail::outbox_channel_prefix(first->receiver, first->epoch));
        if (range.lower.empty() || range.lower >= range.upper) {
            return channels;
        }
    }
}

state_result<void> rocksdb_store::put_input_mark(channel_key channel, sequence_number sequence) {
    return _impl->put("put_input_mark", detail::encode_mark_key(channel.peer, channel.epoch),
                      detail::encode_u64_value(sequence.value()));
}

state_result<std::map<channel_key, sequence_number>> rocksdb_store::input_marks() {
    std::map<channel_key, sequence_number> marks;
    state_result<void> decoded;
    auto scanned = _impl->for_each(
        "input_marks", prefix_range(std::string(1, detail::mark_kind)),
        [&](std::string_view stored, std::string_view value) {
            const auto address = detail::decode_mark_key(stored);
            const auto sequence = detail::decode_u64_value(value);
            if (!address || !sequence) {
                decoded = _impl->undecodable("input mark", stored);
                return false;
            }
            marks.emplace(channel_key{address->sender, address->epoch}, sequence_number(*sequence));
            return true;
        });
    if (!scanned) {
        return tl::unexpected(std::move(scanned.error()));
    }
    if (!decoded) {
        return tl::unexpected(std::move(decoded.error()));
    }
    return marks;
}

state_result<void> rocksdb_store::put_position(std::string_view name, std::string_view bytes) {
    return _impl->put("put_position", detail::encode_position_key(name), bytes);
}

state_result<std::optional<std::string>> rocksdb_store::position(std::string_view name) {
    std::string value;
    auto found = _impl->read("position", detail::encode_position_key(name), value);
    if (!found) {
        return tl::unexpected(std::move(found.error()));
    }
    if (!*found) {
        return std::optional<std::string>{};
    }
    return std::optional<std::string>{std::move(value)};
}

}  // namespace eddy::state
