#include "state/rocksdb_store.hpp"

#include "state/open_state_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace eddy::state {
namespace {

namespace fs = std::filesystem;

class rocksdb_store_test : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "eddy-rocksdb-store-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        _root = pattern;
        _dir = _root / "instance" / "state";
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(_root, ignored);
    }

    std::unique_ptr<rocksdb_store> open(rocksdb_options options = {}) {
        auto store = rocksdb_store::open(_dir, options);
        EXPECT_TRUE(store) << store.error().message;
        return store ? std::move(*store) : nullptr;
    }

    // Runs `work` in a forked child that then ends with _exit(0), closing
    // nothing: what a kill -9 after `work` leaves on disk. `work` returns
    // false on failure (no GoogleTest assertions in the child).
    template <class Work>
    void in_child_that_dies(Work work) {
        const pid_t pid = ::fork();
        ASSERT_NE(pid, -1);
        if (pid == 0) {
            ::_exit(work() ? 0 : 3);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
    }

    fs::path _root;
    fs::path _dir;
};

std::optional<std::string> read(state_store& store, key_group group, std::string_view key,
                                std::string_view name) {
    auto value = store.get(group, key, name);
    EXPECT_TRUE(value) << value.error().message;
    if (!value || !*value) {
        return std::nullopt;
    }
    return std::string(**value);
}

std::map<std::tuple<std::uint32_t, std::string, std::string>, std::string> scan_all(
    state_store& store, key_group_range range) {
    std::map<std::tuple<std::uint32_t, std::string, std::string>, std::string> seen;
    auto scanned = store.scan(range, [&](const state_entry& entry) {
        seen[{entry.group.value(), std::string(entry.key), std::string(entry.name)}] =
            std::string(entry.value);
    });
    EXPECT_TRUE(scanned) << scanned.error().message;
    return seen;
}

std::map<std::uint64_t, std::string> outbox_of(rocksdb_store& store, channel_key channel,
                                               std::uint64_t after = 0) {
    std::map<std::uint64_t, std::string> frames;
    std::vector<std::uint64_t> order;
    auto scanned = store.scan_outbox(channel, sequence_number(after),
                                     [&](sequence_number s, std::string_view f) {
                                         frames[s.value()] = std::string(f);
                                         order.push_back(s.value());
                                     });
    EXPECT_TRUE(scanned) << scanned.error().message;
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
    return frames;
}

using timer_row = std::tuple<std::uint32_t, std::string, std::string, time_domain, time_micros>;

std::vector<timer_row> timers_of(rocksdb_store& store) {
    std::vector<timer_row> rows;
    auto scanned = store.scan_timers([&](const stored_timer& t) {
        rows.emplace_back(t.group.value(), std::string(t.key), std::string(t.tag), t.domain,
                          t.time);
    });
    EXPECT_TRUE(scanned) << scanned.error().message;
    return rows;
}

const channel_key to_b{instance_id(2), topology_epoch(1)};
const channel_key to_c{instance_id(3), topology_epoch(1)};
const channel_key to_b_later{instance_id(2), topology_epoch(2)};

TEST_F(rocksdb_store_test, put_get_erase_before_and_after_commit) {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), std::nullopt);
    ASSERT_TRUE(store->put(key_group(1), "k", "n", "uncommitted"));
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), "uncommitted");
    ASSERT_TRUE(store->commit());
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), "uncommitted");
    ASSERT_TRUE(store->put(key_group(1), "k", "n", "second"));
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), "second");
    ASSERT_TRUE(store->erase(key_group(1), "k", "n"));
    ASSERT_TRUE(store->erase(key_group(1), "never", "there"));
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), std::nullopt);  // erased in the batch
    ASSERT_TRUE(store->commit());
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), std::nullopt);
    // Boundaries and binary bytes.
    const std::string key("\0k\xff", 3);
    ASSERT_TRUE(store->put(key_group(7), key, "n", std::string("\0\1", 2)));
    ASSERT_TRUE(store->put(key_group(7), "ab", "c", "ab.c"));
    EXPECT_EQ(read(*store, key_group(7), key, "n"), std::string("\0\1", 2));
    EXPECT_EQ(read(*store, key_group(7), "a", "bc"), std::nullopt);
}

TEST_F(rocksdb_store_test, views_from_get_stay_valid_until_a_write) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put(key_group(1), "a", "n", "short a"));
    ASSERT_TRUE(store->put(key_group(1), "b", "n", std::string(100, 'b')));
    auto a = store->get(key_group(1), "a", "n");
    auto missing = store->get(key_group(1), "zz", "n");
    auto b = store->get(key_group(1), "b", "n");
    ASSERT_TRUE(a && *a && missing && !*missing && b && *b);
    EXPECT_EQ(**a, "short a");
    EXPECT_EQ(**b, std::string(100, 'b'));
}

TEST_F(rocksdb_store_test, scan_and_erase_a_key_group_range_across_batch_and_disk) {
    auto store = open();
    ASSERT_TRUE(store);
    for (std::uint32_t group = 0; group < 10; ++group) {
        ASSERT_TRUE(store->put(key_group(group), "k" + std::to_string(group), "n", "v"));
    }
    ASSERT_TRUE(store->put(key_group(256), "k256", "n", "v"));  // 256 > 9 numerically
    ASSERT_TRUE(store->commit());
    // Uncommitted: a new entry, an overwrite and an erase inside the range.
    ASSERT_TRUE(store->put(key_group(4), "k4b", "n", "new"));
    ASSERT_TRUE(store->put(key_group(3), "k3", "n", "over"));
    ASSERT_TRUE(store->erase(key_group(5), "k5", "n"));
    using row = std::tuple<std::uint32_t, std::string, std::string>;
    const auto seen = scan_all(*store, {key_group(3), key_group(6)});
    EXPECT_EQ(seen,
              (std::map<row, std::string>{
                  {{3, "k3", "n"}, "over"}, {{4, "k4", "n"}, "v"}, {{4, "k4b", "n"}, "new"}}));
    EXPECT_EQ(scan_all(*store, {key_group(10), key_group(300)}).size(), 1u);
    EXPECT_TRUE(scan_all(*store, {key_group(6), key_group(6)}).empty());

    ASSERT_TRUE(store->erase_range({key_group(3), key_group(6)}));
    EXPECT_TRUE(scan_all(*store, {key_group(3), key_group(6)}).empty());
    EXPECT_EQ(scan_all(*store, {key_group(0), key_group(1000)}).size(), 8u);
    ASSERT_TRUE(store->commit());
    store.reset();
    store = open();
    ASSERT_TRUE(store);
    EXPECT_TRUE(scan_all(*store, {key_group(3), key_group(6)}).empty());
    EXPECT_EQ(read(*store, key_group(2), "k2", "n"), "v");
    EXPECT_EQ(read(*store, key_group(6), "k6", "n"), "v");
}

// Random bytes: what neither RocksDB's compression nor anything else shrinks.
std::string random_bytes(std::size_t size, std::uint64_t seed) {
    std::string out(size, '\0');
    std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (auto& c : out) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x);
    }
    return out;
}

TEST_F(rocksdb_store_test, approximate_sizes_by_key_group_in_memtables_and_files) {
    auto store = open();
    ASSERT_TRUE(store);
    constexpr std::uint64_t value_bytes = 64 << 10;
    for (int n = 0; n < 16; ++n) {  // group 3: 1 MiB
        ASSERT_TRUE(store->put(key_group(3), "big", "part." + std::to_string(n),
                               random_bytes(value_bytes, n)));
    }
    ASSERT_TRUE(store->put(key_group(4), "small", "n", "0123456789"));
    ASSERT_TRUE(store->put_timer(key_group(4), "small", "tick", time_domain::event_time, 5));
    // Other kinds between and around do not count.
    ASSERT_TRUE(store->put_outbox({instance_id(1), topology_epoch(1)}, sequence_number(1),
                                  random_bytes(512 << 10, 99)));
    ASSERT_TRUE(store->put_position("source", random_bytes(256 << 10, 98)));
    ASSERT_TRUE(store->commit());
    // Uncommitted writes are not counted.
    ASSERT_TRUE(store->put(key_group(5), "pending", "n", random_bytes(value_bytes, 77)));

    const auto in_memory = store->approximate_sizes({key_group(2), key_group(6)});
    ASSERT_TRUE(in_memory) << in_memory.error().message;
    ASSERT_EQ(in_memory->size(), 4u);
    EXPECT_EQ((*in_memory)[0], 0u);
    EXPECT_GE((*in_memory)[1], 16 * value_bytes);
    EXPECT_LT((*in_memory)[1], 17 * value_bytes);
    EXPECT_GT((*in_memory)[2], 10u);  // the value, the timer and their keys, exactly
    EXPECT_LT((*in_memory)[2], 200u);
    EXPECT_EQ((*in_memory)[3], 0u);

    // Reopened, the log is replayed into a file: RocksDB's estimate, to a
    // block (a block of group 3's last value may count for group 4).
    ASSERT_TRUE(store->commit());
    store.reset();
    store = open();
    ASSERT_TRUE(store);
    const auto on_disk = store->approximate_sizes({key_group(2), key_group(6)});
    ASSERT_TRUE(on_disk) << on_disk.error().message;
    ASSERT_EQ(on_disk->size(), 4u);
    EXPECT_LT((*on_disk)[0], 8u << 10);
    EXPECT_GT((*on_disk)[1], 15 * value_bytes);
    EXPECT_LT((*on_disk)[1], 18 * value_bytes);
    EXPECT_LT((*on_disk)[2], value_bytes + (8u << 10));
    EXPECT_LT((*on_disk)[3], value_bytes + (8u << 10));

    const auto reversed = store->approximate_sizes({key_group(5), key_group(2)});
    ASSERT_FALSE(reversed);
    EXPECT_EQ(reversed.error().kind, state_errc::invalid_argument);
    EXPECT_TRUE(store->approximate_sizes({key_group(7), key_group(7)})->empty());
}

TEST_F(rocksdb_store_test, reversed_ranges_are_invalid) {
    auto store = open();
    ASSERT_TRUE(store);
    auto scanned = store->scan({key_group(5), key_group(2)}, [](const state_entry&) {});
    ASSERT_FALSE(scanned);
    EXPECT_EQ(scanned.error().kind, state_errc::invalid_argument);
    auto erased = store->erase_range({key_group(5), key_group(2)});
    ASSERT_FALSE(erased);
    EXPECT_EQ(erased.error().kind, state_errc::invalid_argument);
}

TEST_F(rocksdb_store_test, committed_writes_survive_reopen_and_uncommitted_are_lost) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put(key_group(1), "k", "count", "1"));
    ASSERT_TRUE(store->commit());
    ASSERT_TRUE(store->put(key_group(1), "k", "count", "2"));
    ASSERT_TRUE(store->put(key_group(2), "other", "n", "x"));
    store.reset();  // closes with a pending batch
    store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(read(*store, key_group(1), "k", "count"), "1");
    EXPECT_EQ(read(*store, key_group(2), "other", "n"), std::nullopt);
}

TEST_F(rocksdb_store_test, a_crash_after_commit_keeps_exactly_the_committed_data) {
    for (const sync_policy policy :
         {sync_policy::every_commit, sync_policy::periodic, sync_policy::group}) {
        SCOPED_TRACE(static_cast<int>(policy));
        std::error_code ignored;
        fs::remove_all(_dir, ignored);
        in_child_that_dies([&] {
            auto store = rocksdb_store::open(_dir, {.sync = policy});
            if (!store) {
                return false;
            }
            rocksdb_store& s = **store;
            const bool ok = s.put(key_group(1), "k", "n", "committed").has_value() &&
                            s.put_position("kafka", "offset 10").has_value() &&
                            s.commit().has_value() &&
                            s.put(key_group(1), "k", "n", "pending").has_value() &&
                            s.put(key_group(2), "k", "n", "pending").has_value();
            [[maybe_unused]] const auto* leaked = store->release();  // never closed: dies open
            return ok;
        });
        auto store = open();
        ASSERT_TRUE(store);
        EXPECT_EQ(read(*store, key_group(1), "k", "n"), "committed");
        EXPECT_EQ(read(*store, key_group(2), "k", "n"), std::nullopt);
        auto position = store->position("kafka");
        ASSERT_TRUE(position);
        EXPECT_EQ(*position, "offset 10");
    }
}

TEST_F(rocksdb_store_test, a_crash_without_commit_keeps_nothing) {
    in_child_that_dies([&] {
        auto store = rocksdb_store::open(_dir, {});
        if (!store) {
            return false;
        }
        rocksdb_store& s = **store;
        const bool ok = s.put(key_group(1), "k", "n", "pending").has_value() &&
                        s.put_outbox(to_b, sequence_number(1), "frame").has_value() &&
                        s.put_input_mark(to_c, sequence_number(5)).has_value();
        [[maybe_unused]] const auto* leaked = store->release();
        return ok;
    });
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), std::nullopt);
    auto channels = store->outbox_channels();
    ASSERT_TRUE(channels);
    EXPECT_TRUE(channels->empty());
    auto marks = store->input_marks();
    ASSERT_TRUE(marks);
    EXPECT_TRUE(marks->empty());
}

TEST_F(rocksdb_store_test, one_commit_holds_every_kind_atomically) {
    // The child commits one batch of every kind, then writes a second batch
    // of every kind and dies before committing it: the parent sees all of
    // the first and none of the second.
    in_child_that_dies([&] {
        auto store = rocksdb_store::open(_dir, {});
        if (!store) {
            return false;
        }
        rocksdb_store& s = **store;
        const auto write_all = [&](std::string_view v, std::uint64_t seq) {
            return s.put(key_group(1), "k", "n", v).has_value() &&
                   s.put_timer(key_group(1), "k", "expire", time_domain::event_time,
                               static_cast<time_micros>(seq))
                       .has_value() &&
                   s.put_outbox(to_b, sequence_number(seq), v).has_value() &&
                   s.put_input_mark(to_c, sequence_number(seq)).has_value() &&
                   s.put_position("file", v).has_value();
        };
        const bool ok = write_all("first", 1) && s.commit().has_value() && write_all("second", 2);
        [[maybe_unused]] const auto* leaked = store->release();
        return ok;
    });
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), "first");
    EXPECT_EQ(timers_of(*store),
              (std::vector<timer_row>{{1, "k", "expire", time_domain::event_time, 1}}));
    EXPECT_EQ(outbox_of(*store, to_b), (std::map<std::uint64_t, std::string>{{1, "first"}}));
    auto marks = store->input_marks();
    ASSERT_TRUE(marks);
    EXPECT_EQ(*marks, (std::map<channel_key, sequence_number>{{to_c, sequence_number(1)}}));
    auto position = store->position("file");
    ASSERT_TRUE(position);
    EXPECT_EQ(*position, "first");
}

TEST_F(rocksdb_store_test, timers_round_trip_and_survive_reopen) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put_timer(key_group(2), "k", "flush", time_domain::processing_time, 100));
    ASSERT_TRUE(store->put_timer(key_group(2), "k", "flush", time_domain::event_time, -5));
    ASSERT_TRUE(store->put_timer(key_group(1), "a", "t", time_domain::event_time, 7));
    ASSERT_TRUE(store->put_timer(key_group(9), "z", "t", time_domain::event_time, 8));
    ASSERT_TRUE(store->put_timer(key_group(2), "k", "flush", time_domain::processing_time, 200));
    ASSERT_TRUE(store->erase_timer(key_group(9), "z", "t", time_domain::event_time));
    ASSERT_TRUE(store->erase_timer(key_group(9), "none", "t", time_domain::event_time));
    const std::vector<timer_row> expected{
        {1, "a", "t", time_domain::event_time, 7},
        {2, "k", "flush", time_domain::event_time, -5},
        {2, "k", "flush", time_domain::processing_time, 200},
    };
    EXPECT_EQ(timers_of(*store), expected);  // uncommitted, already visible
    ASSERT_TRUE(store->commit());
    store.reset();
    store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(timers_of(*store), expected);

    std::vector<std::uint32_t> groups;
    ASSERT_TRUE(store->scan_timers({key_group(2), key_group(3)}, [&](const stored_timer& t) {
        groups.push_back(t.group.value());
    }));
    EXPECT_EQ(groups, (std::vector<std::uint32_t>{2, 2}));
    ASSERT_TRUE(store->erase_timer_range({key_group(2), key_group(3)}));
    EXPECT_EQ(timers_of(*store),
              (std::vector<timer_row>{{1, "a", "t", time_domain::event_time, 7}}));
}

TEST_F(rocksdb_store_test, outbox_by_channel_in_sequence_order) {
    auto store = open();
    ASSERT_TRUE(store);
    for (std::uint64_t s : {1, 2, 3, 255, 256, 257}) {
        ASSERT_TRUE(store->put_outbox(to_b, sequence_number(s), "b" + std::to_string(s)));
    }
    ASSERT_TRUE(store->put_outbox(to_c, sequence_number(1), "c1"));
    ASSERT_TRUE(store->put_outbox(to_b_later, sequence_number(1), "b'1"));
    ASSERT_TRUE(store->commit());

    EXPECT_EQ(outbox_of(*store, to_b, 2),
              (std::map<std::uint64_t, std::string>{
                  {3, "b3"}, {255, "b255"}, {256, "b256"}, {257, "b257"}}));
    auto channels = store->outbox_channels();
    ASSERT_TRUE(channels);
    EXPECT_EQ(*channels, (std::vector<channel_key>{to_b, to_b_later, to_c}));

    ASSERT_TRUE(store->erase_outbox_through(to_b, sequence_number(255)));  // inclusive
    EXPECT_EQ(outbox_of(*store, to_b),
              (std::map<std::uint64_t, std::string>{{256, "b256"}, {257, "b257"}}));
    EXPECT_EQ(outbox_of(*store, to_b_later), (std::map<std::uint64_t, std::string>{{1, "b'1"}}));
    ASSERT_TRUE(store->erase_outbox_through(to_c, sequence_number(UINT64_MAX)));
    ASSERT_TRUE(store->commit());
    store.reset();
    store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(outbox_of(*store, to_b),
              (std::map<std::uint64_t, std::string>{{256, "b256"}, {257, "b257"}}));
    channels = store->outbox_channels();
    ASSERT_TRUE(channels);
    EXPECT_EQ(*channels, (std::vector<channel_key>{to_b, to_b_later}));
    EXPECT_TRUE(outbox_of(*store, to_b, UINT64_MAX).empty());
}

TEST_F(rocksdb_store_test, input_marks_and_positions_round_trip_and_survive_reopen) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put_input_mark(to_b, sequence_number(10)));
    ASSERT_TRUE(store->put_input_mark(to_c, sequence_number(1ULL << 40)));
    ASSERT_TRUE(store->put_input_mark(to_b, sequence_number(11)));
    ASSERT_TRUE(store->put_position("kafka:topic/0", "42"));
    ASSERT_TRUE(store->put_position("file:/data/in", std::string("\0\1", 2)));
    const std::map<channel_key, sequence_number> expected{{to_b, sequence_number(11)},
                                                          {to_c, sequence_number(1ULL << 40)}};
    auto marks = store->input_marks();
    ASSERT_TRUE(marks);
    EXPECT_EQ(*marks, expected);
    ASSERT_TRUE(store->commit());
    store.reset();
    store = open();
    ASSERT_TRUE(store);
    marks = store->input_marks();
    ASSERT_TRUE(marks);
    EXPECT_EQ(*marks, expected);
    auto kafka = store->position("kafka:topic/0");
    ASSERT_TRUE(kafka);
    EXPECT_EQ(*kafka, "42");
    auto file = store->position("file:/data/in");
    ASSERT_TRUE(file);
    EXPECT_EQ(*file, std::string("\0\1", 2));
    auto none = store->position("kafka:other/0");
    ASSERT_TRUE(none);
    EXPECT_EQ(*none, std::nullopt);
}

TEST_F(rocksdb_store_test, group_sync_numbers_commits_and_reports_them_on_disk) {
    auto store = open({.sync = sync_policy::group});
    ASSERT_TRUE(store);
    std::atomic<int> syncs{0};
    store->set_on_synced([&] { ++syncs; });
    EXPECT_EQ(store->last_commit(), 0u);
    ASSERT_TRUE(store->commit());  // empty: not a commit
    EXPECT_EQ(store->last_commit(), 0u);
    for (int i = 1; i <= 20; ++i) {
        ASSERT_TRUE(store->put(key_group(1), "k", "n", std::to_string(i)));
        ASSERT_TRUE(store->commit());
        EXPECT_EQ(store->last_commit(), static_cast<std::uint64_t>(i));
        EXPECT_LE(store->synced_commit(), store->last_commit());
    }
    ASSERT_TRUE(store->wait_synced(20));
    EXPECT_EQ(store->synced_commit(), 20u);
    // At least one sync, and no more than one per commit: the thread groups them.
    EXPECT_GE(syncs.load(), 1);
    EXPECT_LE(syncs.load(), 20);
    store.reset();
    store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), "20");
}

TEST_F(rocksdb_store_test, every_commit_and_periodic_count_a_commit_as_synced_once_written) {
    for (const sync_policy policy : {sync_policy::every_commit, sync_policy::periodic}) {
        std::error_code ignored;
        fs::remove_all(_dir, ignored);
        auto store = open({.sync = policy});
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->put(key_group(1), "k", "n", "v"));
        ASSERT_TRUE(store->commit());
        EXPECT_EQ(store->last_commit(), 1u);
        EXPECT_EQ(store->synced_commit(), 1u);
        EXPECT_TRUE(store->wait_synced(1));
    }
}

TEST_F(rocksdb_store_test, periodic_sync_commits_and_reopens) {
    auto store =
        open({.sync = sync_policy::periodic, .sync_interval = std::chrono::milliseconds(1)});
    ASSERT_TRUE(store);
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(store->put(key_group(1), "k", "n", std::to_string(i)));
        ASSERT_TRUE(store->commit());
    }
    store.reset();
    store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(read(*store, key_group(1), "k", "n"), "49");
}

TEST_F(rocksdb_store_test, a_bad_path_is_an_io_error_naming_it) {
    const fs::path file = _root / "a-file";
    std::ofstream(file) << "not a directory";
    auto under_file = rocksdb_store::open(file / "state", {});
    ASSERT_FALSE(under_file);
    EXPECT_EQ(under_file.error().kind, state_errc::io_error);
    EXPECT_NE(under_file.error().message.find((file / "state").string()), std::string::npos)
        << under_file.error().message;

    const fs::path missing = _root / "missing";
    auto not_created = rocksdb_store::open(missing, {.create_if_missing = false});
    ASSERT_FALSE(not_created);
    EXPECT_EQ(not_created.error().kind, state_errc::io_error);
    EXPECT_NE(not_created.error().message.find(missing.string()), std::string::npos)
        << not_created.error().message;
}

TEST_F(rocksdb_store_test, a_second_open_of_an_open_store_fails) {
    auto store = open();
    ASSERT_TRUE(store);
    auto second = rocksdb_store::open(_dir, {});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind, state_errc::io_error);
    EXPECT_NE(second.error().message.find(_dir.string()), std::string::npos);
}

TEST_F(rocksdb_store_test, open_state_store_picks_the_store_of_the_delivery_mode) {
    auto memory = open_state_store(delivery_mode::at_most_once, _dir);
    ASSERT_TRUE(memory);
    EXPECT_FALSE(fs::exists(_dir));
    {
        auto durable = open_state_store(delivery_mode::exactly_once, _dir);
        ASSERT_TRUE(durable) << durable.error().message;
        ASSERT_TRUE((*durable)->put(key_group(1), "k", "n", "v"));
        ASSERT_TRUE((*durable)->commit());
    }
    auto reopened = open_state_store(delivery_mode::at_least_once, _dir);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(read(**reopened, key_group(1), "k", "n"), "v");
}

}  // namespace
}  // namespace eddy::state
