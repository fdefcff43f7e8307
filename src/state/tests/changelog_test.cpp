#include "state/changelog.hpp"

#include "state/detail/changelog_record.hpp"
#include "state/detail/rocksdb_ref.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace eddy::state {
namespace {

namespace fs = std::filesystem;

using contents = std::map<std::string, std::string>;

// The changelog on its own, over a raw RocksDB database: what rocksdb_store
// does with it, spelled out, so that each ordering and each damage can be
// produced by hand.
class changelog_test : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "eddy-changelog-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        _root = pattern;
        _db_dir = _root / "host-a" / "state";
        _log_dir = _root / "shared" / "7" / "1";
    }
    void TearDown() override {
        _log.reset();
        _db.reset();
        std::error_code ignored;
        fs::remove_all(_root, ignored);
    }

    static std::unique_ptr<rocksdb::DB> open_db(const fs::path& dir) {
        fs::create_directories(dir.parent_path());
        rocksdb::Options options;
        options.create_if_missing = true;
        rocksdb::DB* db = nullptr;
        const rocksdb::Status status = rocksdb::DB::Open(options, dir.string(), &db);
        EXPECT_TRUE(status.ok()) << status.ToString();
        return std::unique_ptr<rocksdb::DB>(db);
    }

    static contents dump(rocksdb::DB& db) {
        contents seen;
        std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            seen[it->key().ToString()] = it->value().ToString();
        }
        EXPECT_TRUE(it->status().ok()) << it->status().ToString();
        return seen;
    }

    static contents dump(const fs::path& dir) {
        auto db = open_db(dir);
        return db ? dump(*db) : contents{};
    }

    // Opens the database and the changelog and reconciles them.
    void open_both() {
        _db = open_db(_db_dir);
        ASSERT_TRUE(_db);
        auto log = changelog::open(_log_dir);
        ASSERT_TRUE(log) << log.error().message;
        _log = std::move(*log);
        auto reconciled = _log->reconcile(ref());
        ASSERT_TRUE(reconciled) << reconciled.error().message;
        _reconciled = *reconciled;
    }

    void close_both() {
        _log.reset();
        _db.reset();
    }

    detail::rocksdb_ref ref() { return detail::rocksdb_ref{*_db}; }

    // One commit as rocksdb_store makes it: the local write (synced), then
    // the append, then (when `synced`) the log's sync.
    void commit(int i, bool synced = true) {
        rocksdb::WriteBatch batch;
        ASSERT_TRUE(batch.Put("key" + std::to_string(i % 7), "value" + std::to_string(i)).ok());
        ASSERT_TRUE(batch.Put("count", std::to_string(i)).ok());
        if (i % 5 == 0) {
            ASSERT_TRUE(batch.Delete("key" + std::to_string((i + 3) % 7)).ok());
        }
        rocksdb::WriteOptions options;
        options.sync = true;
        ASSERT_TRUE(_db->Write(options, &batch).ok());
        auto appended = _log->append(_db->GetLatestSequenceNumber(), batch.Data());
        ASSERT_TRUE(appended) << appended.error().message;
        if (synced) {
            auto done = _log->sync();
            ASSERT_TRUE(done) << done.error().message;
        }
    }

    void commits(int from, int to) {
        for (int i = from; i < to; ++i) {
            ASSERT_NO_FATAL_FAILURE(commit(i));
        }
    }

    void backup() {
        auto done = _log->backup(ref());
        ASSERT_TRUE(done) << done.error().message;
    }

    std::vector<fs::path> segments() const {
        std::vector<fs::path> found;
        for (const auto& entry : fs::directory_iterator(_log_dir / "log")) {
            found.push_back(entry.path());
        }
        std::sort(found.begin(), found.end());
        return found;
    }

    state_result<changelog_restore_report> restore_into(const fs::path& target) {
        return changelog::restore({_root / "shared" / "7" / "2", _log_dir}, target);
    }

    fs::path _root;
    fs::path _db_dir;
    fs::path _log_dir;
    std::unique_ptr<rocksdb::DB> _db;
    std::unique_ptr<changelog> _log;
    changelog_reconcile_report _reconciled;
};

TEST_F(changelog_test, restore_replays_every_commit_after_the_first_backup) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    EXPECT_EQ(_reconciled.what, changelog_reconciled::first_backup);
    ASSERT_NO_FATAL_FAILURE(commits(1, 51));
    const contents expected = dump(*_db);
    EXPECT_EQ(expected.at("count"), "50");
    close_both();
    fs::remove_all(_root / "host-a");  // the host is lost

    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->source, _log_dir);  // the missing newer directory was skipped
    EXPECT_EQ(report->backup_sequence, 0u);
    EXPECT_EQ(report->records_replayed, 50u);
    EXPECT_EQ(report->torn_tail_bytes, 0u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, restore_replays_only_what_follows_the_newest_backup) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 20));
    ASSERT_NO_FATAL_FAILURE(backup());
    ASSERT_NO_FATAL_FAILURE(commits(20, 40));
    ASSERT_NO_FATAL_FAILURE(backup());
    const std::uint64_t backed_up = _db->GetLatestSequenceNumber();
    ASSERT_NO_FATAL_FAILURE(commits(40, 240));
    const contents expected = dump(*_db);
    close_both();

    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->backup_sequence, backed_up);
    EXPECT_EQ(report->records_replayed, 200u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, a_torn_last_record_is_ignored) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 30));
    const contents before_last = dump(*_db);
    ASSERT_NO_FATAL_FAILURE(commit(30));
    close_both();
    const fs::path newest = segments().back();
    fs::resize_file(newest, fs::file_size(newest) - 5);  // the crash cut the last append

    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->records_replayed, 29u);
    EXPECT_GT(report->torn_tail_bytes, 0u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), before_last);
}

TEST_F(changelog_test, zeros_a_crash_left_after_the_last_record_are_ignored) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 12));
    const contents expected = dump(*_db);
    close_both();
    std::ofstream(segments().back(), std::ios::app | std::ios::binary) << std::string(4096, '\0');

    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->records_replayed, 11u);
    EXPECT_EQ(report->torn_tail_bytes, 4096u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, a_damaged_synced_record_in_the_middle_fails_naming_file_and_offset) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 21));
    close_both();
    const fs::path newest = segments().back();
    const auto decoded = [&] {
        std::ifstream in(newest, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    const auto records = detail::decode_segment(decoded, detail::segment_role::newest).records;
    ASSERT_EQ(records.size(), 20u);
    const std::uint64_t offset = records[9].offset;
    {
        std::fstream out(newest, std::ios::in | std::ios::out | std::ios::binary);
        out.seekp(static_cast<std::streamoff>(offset + detail::record_header_bytes + 14));
        out.put('#');
    }

    const fs::path target = _root / "host-b" / "state";
    auto report = restore_into(target);
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().kind, state_errc::corrupted);
    EXPECT_NE(report.error().message.find(newest.string()), std::string::npos)
        << report.error().message;
    EXPECT_NE(report.error().message.find("offset " + std::to_string(offset)), std::string::npos)
        << report.error().message;
    EXPECT_FALSE(fs::exists(target));  // nothing half applied is left to open
    EXPECT_FALSE(fs::exists(_root / "host-b" / "state.restoring"));
}

TEST_F(changelog_test, a_damaged_record_never_synced_ends_the_log_there) {
    // Group or periodic syncing: several appends wait for one sync, and a
    // crash may keep later ones while losing an earlier one.
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 4));
    const contents expected = dump(*_db);
    for (int i = 4; i < 9; ++i) {
        ASSERT_NO_FATAL_FAILURE(commit(i, /*synced=*/false));
    }
    close_both();
    const fs::path newest = segments().back();
    std::string bytes = [&] {
        std::ifstream in(newest, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    const auto records = detail::decode_segment(bytes, detail::segment_role::newest).records;
    ASSERT_EQ(records.size(), 8u);
    bytes[records[3].offset + detail::record_header_bytes + 3] ^= 1;  // commit 4
    std::ofstream(newest, std::ios::trunc | std::ios::binary) << bytes;

    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->records_replayed, 3u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, restoring_again_ends_the_same) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 10));
    ASSERT_NO_FATAL_FAILURE(backup());
    ASSERT_NO_FATAL_FAILURE(commits(10, 60));
    const contents expected = dump(*_db);
    close_both();

    auto first = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(first) << first.error().message;
    // A restore that crashed half way left its work behind; the next attempt
    // starts over and ends the same.
    const fs::path crashed = _root / "host-c" / "state.restoring";
    fs::create_directories(crashed);
    std::ofstream(crashed / "CURRENT") << "MANIFEST-999999\n";
    std::ofstream(crashed / "000123.sst") << "half a file";
    auto second = restore_into(_root / "host-c" / "state");
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->records_replayed, first->records_replayed);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
    EXPECT_EQ(dump(_root / "host-c" / "state"), expected);
    EXPECT_FALSE(fs::exists(crashed));

    // A target that holds files is refused, not overwritten.
    auto over = restore_into(_root / "host-b" / "state");
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().kind, state_errc::invalid_argument);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, backups_keep_two_and_drop_the_segments_the_older_covers) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    std::vector<std::uint64_t> taken = {0};
    for (int round = 0; round < 4; ++round) {
        ASSERT_NO_FATAL_FAILURE(commits(round * 10 + 1, round * 10 + 11));
        ASSERT_NO_FATAL_FAILURE(backup());
        taken.push_back(_db->GetLatestSequenceNumber());
    }
    const std::vector<std::uint64_t> kept = {taken[3], taken[4]};
    EXPECT_EQ(_log->backup_sequences(), kept);
    // The segment of the older kept backup stays, so that it can be replayed forward.
    const std::vector<fs::path> kept_segments = {
        _log_dir / "log" / detail::segment_file_name(kept[0]),
        _log_dir / "log" / detail::segment_file_name(kept[1])};
    EXPECT_EQ(segments(), kept_segments);
    // Nothing new to back up: no new backup, no new segment.
    ASSERT_NO_FATAL_FAILURE(backup());
    EXPECT_EQ(_log->backup_sequences(), kept);
    EXPECT_EQ(segments(), kept_segments);
    ASSERT_NO_FATAL_FAILURE(commits(41, 45));
    const contents expected = dump(*_db);
    close_both();

    auto reopened = changelog::open(_log_dir);  // what BackupEngine itself keeps
    ASSERT_TRUE(reopened) << reopened.error().message;
    EXPECT_EQ((*reopened)->backup_sequences(), kept);
    reopened->reset();
    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->backup_sequence, kept[1]);
    EXPECT_EQ(report->records_replayed, 4u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, an_unreadable_newest_backup_falls_back_to_the_older_one) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 15));
    ASSERT_NO_FATAL_FAILURE(backup());
    const std::uint64_t older = _db->GetLatestSequenceNumber();
    ASSERT_NO_FATAL_FAILURE(commits(15, 30));
    ASSERT_NO_FATAL_FAILURE(backup());
    ASSERT_NO_FATAL_FAILURE(commits(30, 40));
    const contents expected = dump(*_db);
    close_both();
    // Damage every file private to the newest backup (its MANIFEST among them).
    std::vector<fs::path> private_dirs;
    for (const auto& entry : fs::directory_iterator(_log_dir / "backups" / "private")) {
        private_dirs.push_back(entry.path());
    }
    std::sort(private_dirs.begin(), private_dirs.end());
    ASSERT_FALSE(private_dirs.empty());
    for (const auto& file : fs::directory_iterator(private_dirs.back())) {
        std::fstream out(file.path(), std::ios::in | std::ios::out | std::ios::binary);
        out.seekp(0);
        out.put('\xff');
    }

    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->backups_skipped, 1u);
    EXPECT_EQ(report->backup_sequence, older);
    EXPECT_EQ(report->records_replayed, 25u);  // across both kept segments
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, reopening_with_the_local_database_ahead_takes_a_backup) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 10));
    // A crash between the local write and the append: written, never logged.
    rocksdb::WriteBatch lost;
    ASSERT_TRUE(lost.Put("count", "local only").ok());
    rocksdb::WriteOptions synced;
    synced.sync = true;
    ASSERT_TRUE(_db->Write(synced, &lost).ok());
    const contents expected = dump(*_db);
    close_both();

    ASSERT_NO_FATAL_FAILURE(open_both());
    EXPECT_EQ(_reconciled.what, changelog_reconciled::local_ahead);
    EXPECT_EQ(_log->last_sequence(), _db->GetLatestSequenceNumber());
    close_both();
    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->records_replayed, 0u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, reopening_with_the_log_ahead_replays_it_locally) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 10));
    close_both();
    // The database as it was then: what a machine crash leaves of a WAL
    // synced only periodically, while the log kept the later commits.
    const fs::path saved = _root / "saved";
    fs::copy(_db_dir, saved, fs::copy_options::recursive);
    ASSERT_NO_FATAL_FAILURE(open_both());
    EXPECT_EQ(_reconciled.what, changelog_reconciled::in_step);
    ASSERT_NO_FATAL_FAILURE(commits(10, 25));
    const contents expected = dump(*_db);
    close_both();
    fs::remove_all(_db_dir);
    fs::rename(saved, _db_dir);

    ASSERT_NO_FATAL_FAILURE(open_both());
    EXPECT_EQ(_reconciled.what, changelog_reconciled::log_ahead);
    EXPECT_EQ(_reconciled.records_replayed, 15u);
    EXPECT_EQ(dump(*_db), expected);
    EXPECT_EQ(_log->last_sequence(), _db->GetLatestSequenceNumber());
    // The log goes on from there, and a restore sees one unbroken history.
    ASSERT_NO_FATAL_FAILURE(commits(25, 30));
    const contents later = dump(*_db);
    close_both();
    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->records_replayed, 29u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), later);
}

TEST_F(changelog_test, a_crash_between_a_backup_and_its_segment_starts_the_segment_on_open) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 8));
    ASSERT_NO_FATAL_FAILURE(backup());
    const std::uint64_t backed_up = _db->GetLatestSequenceNumber();
    close_both();
    fs::remove(_log_dir / "log" / detail::segment_file_name(backed_up));

    ASSERT_NO_FATAL_FAILURE(open_both());
    EXPECT_EQ(_reconciled.what, changelog_reconciled::in_step);
    EXPECT_TRUE(fs::exists(_log_dir / "log" / detail::segment_file_name(backed_up)));
    ASSERT_NO_FATAL_FAILURE(commits(8, 12));
    const contents expected = dump(*_db);
    close_both();
    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->records_replayed, 4u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, reopening_cuts_a_torn_tail_before_appending) {
    ASSERT_NO_FATAL_FAILURE(open_both());
    ASSERT_NO_FATAL_FAILURE(commits(1, 6));
    close_both();
    const fs::path newest = segments().back();
    fs::resize_file(newest, fs::file_size(newest) - 3);

    // The local database has commit 5, the log lost it: local ahead, backed up.
    ASSERT_NO_FATAL_FAILURE(open_both());
    EXPECT_EQ(_reconciled.what, changelog_reconciled::local_ahead);
    ASSERT_NO_FATAL_FAILURE(commits(6, 9));
    const contents expected = dump(*_db);
    close_both();
    EXPECT_EQ(expected.at("count"), "8");
    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->torn_tail_bytes, 0u);
    EXPECT_EQ(report->records_replayed, 3u);
    EXPECT_EQ(dump(_root / "host-b" / "state"), expected);
}

TEST_F(changelog_test, appends_that_cannot_continue_the_log_are_refused) {
    _db = open_db(_db_dir);
    ASSERT_TRUE(_db);
    auto log = changelog::open(_log_dir);
    ASSERT_TRUE(log) << log.error().message;
    _log = std::move(*log);
    auto early = _log->append(1, "batch");
    ASSERT_FALSE(early);  // before any backup: nothing to replay it onto
    EXPECT_EQ(early.error().kind, state_errc::invalid_argument);
    ASSERT_NO_FATAL_FAILURE(backup());
    ASSERT_NO_FATAL_FAILURE(commit(1));
    auto repeated = _log->append(_db->GetLatestSequenceNumber(), "batch");
    ASSERT_FALSE(repeated);
    EXPECT_EQ(repeated.error().kind, state_errc::invalid_argument);
}

TEST_F(changelog_test, restoring_from_no_backup_at_all_is_an_error) {
    auto report = restore_into(_root / "host-b" / "state");
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().kind, state_errc::io_error);
    EXPECT_NE(report.error().message.find(_log_dir.string()), std::string::npos);
    auto present = changelog::has_backup(_log_dir);
    ASSERT_TRUE(present);
    EXPECT_FALSE(*present);
}

}  // namespace
}  // namespace eddy::state
