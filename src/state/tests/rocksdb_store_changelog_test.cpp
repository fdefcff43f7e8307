#include "state/changelog_incarnations.hpp"
#include "state/rocksdb_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace eddy::state {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const channel_key to_receiver{instance_id(2), topology_epoch(1)};
const std::vector<std::string> position_names = {"kafka:t/0", "file:/in"};

// Everything a store holds, for exact comparison.
struct snapshot {
    std::map<std::tuple<std::uint32_t, std::string, std::string>, std::string> state;
    std::vector<std::tuple<std::uint32_t, std::string, std::string, int, time_micros>> timers;
    std::map<std::uint64_t, std::string> outbox;
    std::map<channel_key, sequence_number> marks;
    std::map<std::string, std::optional<std::string>> positions;
    bool operator==(const snapshot&) const = default;
};

snapshot snapshot_of(rocksdb_store& store) {
    snapshot out;
    EXPECT_TRUE(store.scan({key_group(0), key_group(4096)}, [&](const state_entry& e) {
        out.state[{e.group.value(), std::string(e.key), std::string(e.name)}] =
            std::string(e.value);
    }));
    EXPECT_TRUE(store.scan_timers([&](const stored_timer& t) {
        out.timers.emplace_back(t.group.value(), std::string(t.key), std::string(t.tag),
                                static_cast<int>(t.domain), t.time);
    }));
    EXPECT_TRUE(store.scan_outbox(to_receiver, sequence_number(0),
                                  [&](sequence_number s, std::string_view frame) {
                                      out.outbox[s.value()] = std::string(frame);
                                  }));
    auto marks = store.input_marks();
    EXPECT_TRUE(marks);
    if (marks) {
        out.marks = *marks;
    }
    for (const std::string& name : position_names) {
        auto position = store.position(name);
        EXPECT_TRUE(position);
        out.positions[name] = position ? *position : std::nullopt;
    }
    return out;
}

// Commit `i` of the workload: state, timers, outbox, marks and positions,
// with overwrites and erasures, so that replaying in the wrong order or
// missing a commit shows.
bool commit_round(rocksdb_store& store, int i) {
    const auto u = static_cast<std::uint64_t>(i);
    const key_group group(u % 13);
    const std::string key = "key" + std::to_string(i % 17);
    bool ok =
        store.put(group, key, "count", std::to_string(i)).has_value() &&
        store.put_timer(group, key, "expire", time_domain::event_time, i * 1000).has_value() &&
        store.put_outbox(to_receiver, sequence_number(u), "frame" + std::to_string(i))
            .has_value() &&
        store.put_input_mark({instance_id(3 + u % 2), topology_epoch(1)}, sequence_number(u))
            .has_value() &&
        store.put_position("kafka:t/0", std::to_string(i * 10)).has_value();
    if (i % 3 == 0) {
        ok = ok && store.put(key_group(4000), "user" + std::to_string(i), "seen", "x").has_value();
    }
    if (i % 7 == 0) {
        ok = ok &&
             store.erase(key_group((u + 5) % 13), "key" + std::to_string((i + 5) % 17), "count")
                 .has_value();
    }
    if (i % 4 == 0) {
        ok = ok && store.erase_timer(group, key, "expire", time_domain::event_time).has_value();
    }
    if (i % 5 == 0 && i > 3) {
        ok = ok && store.erase_outbox_through(to_receiver, sequence_number(u - 3)).has_value();
    }
    return ok && store.commit().has_value();
}

class rocksdb_store_changelog : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "eddy-store-changelog-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        _root = pattern;
        _shared = _root / "shared" / "state" / "7";
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(_root, ignored);
    }

    fs::path host(std::string_view name) const { return _root / name / "state"; }

    rocksdb_options with_changelog(std::chrono::milliseconds backup_interval = 1h,
                                   sync_policy policy = sync_policy::every_commit) const {
        rocksdb_options options;
        options.sync = policy;
        options.changelog_dir = _shared;
        options.backup_interval = backup_interval;
        return options;
    }

    static std::unique_ptr<rocksdb_store> open(const fs::path& dir, rocksdb_options options) {
        auto store = rocksdb_store::open(dir, std::move(options));
        EXPECT_TRUE(store) << store.error().message;
        return store ? std::move(*store) : nullptr;
    }

    // What the local database holds, read without the changelog (which a
    // reopen with it would reconcile).
    static snapshot local_snapshot(const fs::path& dir) {
        auto store = open(dir, {.create_if_missing = false});
        return store ? snapshot_of(*store) : snapshot{};
    }

    // Commits [from, to) in a forked child that then dies without closing
    // anything (kill -9 of the host's executor, the host lost with it).
    void commit_then_die(const fs::path& dir, const rocksdb_options& options, int from, int to) {
        const pid_t pid = ::fork();
        ASSERT_NE(pid, -1);
        if (pid == 0) {
            auto store = rocksdb_store::open(dir, options);
            bool ok = store.has_value();
            for (int i = from; ok && i < to; ++i) {
                ok = commit_round(**store, i);
            }
            if (ok && options.sync == sync_policy::group) {
                ok = (*store)->wait_synced((*store)->last_commit()).has_value();
            }
            if (store) {
                [[maybe_unused]] auto* leaked = store->release();
            }
            ::_exit(ok ? 0 : 3);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
    }

    void commit_and_close(const fs::path& dir, const rocksdb_options& options, int from, int to) {
        auto store = open(dir, options);
        ASSERT_TRUE(store);
        for (int i = from; i < to; ++i) {
            ASSERT_TRUE(commit_round(*store, i)) << "commit " << i;
        }
    }

    // The host's local state is gone with the host.
    static snapshot lose(const fs::path& dir) {
        snapshot last = local_snapshot(dir);
        fs::remove_all(dir.parent_path());
        return last;
    }

    // The values commit `last` (of a run from 1) must have left, spelled out.
    static void expect_last_commit(rocksdb_store& store, int last) {
        const auto u = static_cast<std::uint64_t>(last);
        auto value = store.get(key_group(u % 13), "key" + std::to_string(last % 17), "count");
        ASSERT_TRUE(value);
        EXPECT_EQ(*value, std::optional<std::string_view>(std::to_string(last)));
        auto marks = store.input_marks();
        ASSERT_TRUE(marks);
        EXPECT_EQ(
            *marks,
            (std::map<channel_key, sequence_number>{
                {{instance_id(3 + u % 2), topology_epoch(1)}, sequence_number(u)},
                {{instance_id(3 + (u - 1) % 2), topology_epoch(1)}, sequence_number(u - 1)}}));
        auto position = store.position("kafka:t/0");
        ASSERT_TRUE(position);
        EXPECT_EQ(*position, std::to_string(last * 10));
        std::uint64_t newest = 0;
        ASSERT_TRUE(
            store.scan_outbox(to_receiver, sequence_number(0),
                              [&](sequence_number s, std::string_view) { newest = s.value(); }));
        EXPECT_EQ(newest, u);
    }

    fs::path _root;
    fs::path _shared;
};

TEST_F(rocksdb_store_changelog, a_lost_host_comes_back_exactly_with_no_backup_after_the_first) {
    // 300 commits after the only backup (taken at the first open).
    ASSERT_NO_FATAL_FAILURE(commit_then_die(host("a"), with_changelog(1h), 1, 301));
    const snapshot expected = lose(host("a"));
    EXPECT_FALSE(expected.state.empty());

    auto store = open(host("b"), with_changelog());
    ASSERT_TRUE(store);
    EXPECT_EQ(snapshot_of(*store), expected);
    ASSERT_NO_FATAL_FAILURE(expect_last_commit(*store, 300));
    auto incarnation = recorded_incarnation(host("b"));
    ASSERT_TRUE(incarnation);
    EXPECT_EQ(*incarnation, std::optional<std::uint64_t>(2));
}

TEST_F(rocksdb_store_changelog, a_lost_host_comes_back_exactly_with_backups_in_between) {
    // A backup after every commit for a while, then many commits after the last.
    ASSERT_NO_FATAL_FAILURE(commit_and_close(host("a"), with_changelog(0ms), 1, 31));
    ASSERT_NO_FATAL_FAILURE(commit_then_die(host("a"), with_changelog(1h), 31, 231));
    const snapshot expected = lose(host("a"));

    auto store = open(host("b"), with_changelog());
    ASSERT_TRUE(store);
    EXPECT_EQ(snapshot_of(*store), expected);
    ASSERT_NO_FATAL_FAILURE(expect_last_commit(*store, 230));
    // The instance goes on from there on its new host, and can be lost again.
    for (int i = 231; i < 241; ++i) {
        ASSERT_TRUE(commit_round(*store, i));
    }
    store.reset();
    const snapshot later = lose(host("b"));
    store = open(host("c"), with_changelog());
    ASSERT_TRUE(store);
    EXPECT_EQ(snapshot_of(*store), later);
    ASSERT_NO_FATAL_FAILURE(expect_last_commit(*store, 240));
}

TEST_F(rocksdb_store_changelog, every_sync_policy_logs_what_it_promises) {
    for (const sync_policy policy :
         {sync_policy::every_commit, sync_policy::group, sync_policy::periodic}) {
        SCOPED_TRACE(static_cast<int>(policy));
        std::error_code ignored;
        fs::remove_all(_root / "shared", ignored);
        ASSERT_NO_FATAL_FAILURE(commit_then_die(host("a"), with_changelog(1h, policy), 1, 61));
        const snapshot expected = lose(host("a"));
        auto store = open(host("b"), with_changelog(1h, policy));
        ASSERT_TRUE(store);
        EXPECT_EQ(snapshot_of(*store), expected);
        ASSERT_NO_FATAL_FAILURE(expect_last_commit(*store, 60));
        store.reset();
        fs::remove_all(host("b").parent_path());
    }
}

TEST_F(rocksdb_store_changelog, restoring_on_another_new_host_ends_the_same) {
    ASSERT_NO_FATAL_FAILURE(commit_then_die(host("a"), with_changelog(), 1, 81));
    const snapshot expected = lose(host("a"));
    {
        auto store = open(host("b"), with_changelog());
        ASSERT_TRUE(store);
        EXPECT_EQ(snapshot_of(*store), expected);
    }
    lose(host("b"));
    // A restore that crashed half way left its staging behind on host d.
    fs::create_directories(_root / "d" / "state.restored");
    std::ofstream(_root / "d" / "state.restored" / "CURRENT") << "MANIFEST-000777\n";
    fs::create_directories(_root / "d" / "state.restored.restoring");
    for (const char* name : {"c", "d"}) {
        auto store = open(host(name), with_changelog());
        ASSERT_TRUE(store);
        EXPECT_EQ(snapshot_of(*store), expected) << "host " << name;
    }
    EXPECT_FALSE(fs::exists(_root / "d" / "state.restored"));
}

TEST_F(rocksdb_store_changelog, a_local_database_ahead_of_the_log_is_backed_up_on_reopen) {
    ASSERT_NO_FATAL_FAILURE(commit_and_close(host("a"), with_changelog(), 1, 21));
    // A commit the log never saw (a crash between the local write and the
    // append does this): written without the changelog.
    ASSERT_NO_FATAL_FAILURE(commit_and_close(host("a"), {}, 21, 22));
    { ASSERT_TRUE(open(host("a"), with_changelog())); }  // reconciles: backs up
    const snapshot expected = lose(host("a"));

    auto store = open(host("b"), with_changelog());
    ASSERT_TRUE(store);
    EXPECT_EQ(snapshot_of(*store), expected);
    ASSERT_NO_FATAL_FAILURE(expect_last_commit(*store, 21));
}

TEST_F(rocksdb_store_changelog, a_log_ahead_of_the_local_database_is_replayed_on_reopen) {
    const auto periodic = with_changelog(1h, sync_policy::periodic);
    ASSERT_NO_FATAL_FAILURE(commit_and_close(host("a"), periodic, 1, 21));
    // What a machine crash leaves of a WAL synced every interval: the
    // database of 30 commits ago, while the changelog kept them.
    const fs::path saved = _root / "saved";
    fs::copy(host("a"), saved, fs::copy_options::recursive);
    ASSERT_NO_FATAL_FAILURE(commit_and_close(host("a"), periodic, 21, 51));
    const snapshot expected = local_snapshot(host("a"));
    fs::remove_all(host("a"));
    fs::rename(saved, host("a"));
    ASSERT_NE(local_snapshot(host("a")), expected);

    {
        auto store = open(host("a"), periodic);
        ASSERT_TRUE(store);
        EXPECT_EQ(snapshot_of(*store), expected);
        ASSERT_NO_FATAL_FAILURE(expect_last_commit(*store, 50));
        for (int i = 51; i < 61; ++i) {
            ASSERT_TRUE(commit_round(*store, i));
        }
    }
    const snapshot later = lose(host("a"));
    auto store = open(host("b"), periodic);
    ASSERT_TRUE(store);
    EXPECT_EQ(snapshot_of(*store), later);
    ASSERT_NO_FATAL_FAILURE(expect_last_commit(*store, 60));
}

TEST_F(rocksdb_store_changelog, a_stale_local_database_gives_way_to_the_newer_incarnation) {
    // Host a is cut off; the instance moves to host b and commits there; then
    // it is placed on host a again, where its old database still lies.
    ASSERT_NO_FATAL_FAILURE(commit_and_close(host("a"), with_changelog(), 1, 21));
    ASSERT_NO_FATAL_FAILURE(commit_and_close(host("b"), with_changelog(), 21, 41));
    const snapshot expected = local_snapshot(host("b"));
    fs::remove_all(host("b").parent_path());

    auto store = open(host("a"), with_changelog());
    ASSERT_TRUE(store);
    EXPECT_EQ(snapshot_of(*store), expected);
    ASSERT_NO_FATAL_FAILURE(expect_last_commit(*store, 40));
    auto incarnation = recorded_incarnation(host("a"));
    ASSERT_TRUE(incarnation);
    EXPECT_EQ(*incarnation, std::optional<std::uint64_t>(3));
    // Incarnations older than the previous one are dropped.
    EXPECT_FALSE(fs::exists(_shared / "1"));
    EXPECT_TRUE(fs::exists(_shared / "2"));
}

TEST_F(rocksdb_store_changelog, a_database_of_no_incarnation_beside_changelogs_is_refused) {
    ASSERT_NO_FATAL_FAILURE(commit_and_close(host("a"), with_changelog(), 1, 5));
    ASSERT_NO_FATAL_FAILURE(commit_and_close(host("c"), {}, 1, 3));
    auto refused = rocksdb_store::open(host("c"), with_changelog());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, state_errc::invalid_argument);
    EXPECT_NE(refused.error().message.find(_shared.string()), std::string::npos)
        << refused.error().message;
}

TEST_F(rocksdb_store_changelog, commit_rate_with_and_without_the_changelog) {
    // A figure for the report, not a check of speed: every_commit, the same
    // workload, one after the other in this run. What it checks is that the
    // run with the changelog restores exactly.
    constexpr int commits = 300;
    const auto rate = [&](const fs::path& dir, const rocksdb_options& options) {
        auto store = open(dir, options);
        EXPECT_TRUE(store);
        if (!store) {
            return 0.0;
        }
        const auto start = std::chrono::steady_clock::now();
        for (int i = 1; i <= commits; ++i) {
            EXPECT_TRUE(commit_round(*store, i));
        }
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        return commits / took.count();
    };
    const double without = rate(host("plain"), {});
    const double with = rate(host("a"), with_changelog());
    std::cout << "every_commit commits/s: without changelog " << static_cast<long>(without)
              << ", with changelog " << static_cast<long>(with) << ", ratio "
              << (without > 0 ? with / without : 0.0) << "\n";
    RecordProperty("commits_per_second_without_changelog", static_cast<int>(without));
    RecordProperty("commits_per_second_with_changelog", static_cast<int>(with));

    const snapshot expected = lose(host("a"));
    EXPECT_EQ(expected, local_snapshot(host("plain")));
    auto store = open(host("b"), with_changelog());
    ASSERT_TRUE(store);
    EXPECT_EQ(snapshot_of(*store), expected);
}

}  // namespace
}  // namespace eddy::state
