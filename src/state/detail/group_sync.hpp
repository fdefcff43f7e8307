#pragma once

// A small owned thread that syncs RocksDB's WAL as soon as commits are
// waiting for it: rocksdb_store's sync_policy::group. The owner writes each
// commit without a sync and calls `written(n)` with the commit's number; the
// thread runs `sync` once for every commit written meanwhile (one disk sync
// covers a whole group of commits, however many the owner made while the
// previous sync ran) and then publishes the highest commit it covered. What
// depends on a commit being on disk (sending its outputs, acknowledging its
// inputs) waits until `synced()` reaches it; `on_synced` tells the owner.
//
// `sync` returns an error message or nullopt; the first error is kept until
// the owner takes it, and nothing is published as synced after it.
//
// Lifecycle: the thread starts in the constructor; the destructor stops it
// and joins it (a sync in progress finishes first). Threading: written,
// take_error and wait_synced from the owner; synced from any thread;
// `sync` and `on_synced` run on the owned thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace eddy::state::detail {

class group_sync {
public:
    explicit group_sync(std::function<std::optional<std::string>()> sync);
    ~group_sync();
    group_sync(const group_sync&) = delete;
    group_sync& operator=(const group_sync&) = delete;

    // Called on the owned thread after each sync that published progress.
    // Set before the first commit.
    void set_on_synced(std::function<void()> on_synced);

    // Commit number `commit` (growing) is in the WAL, not yet on disk.
    void written(std::uint64_t commit);
    // The highest commit number known to be on disk.
    [[nodiscard]] std::uint64_t synced() const { return _synced.load(std::memory_order_acquire); }
    // Waits until commit `commit` is on disk; false if a sync failed first.
    [[nodiscard]] bool wait_synced(std::uint64_t commit);
    // The first sync error since the last call, or nullopt.
    [[nodiscard]] std::optional<std::string> take_error();

private:
    void run();

    const std::function<std::optional<std::string>()> _sync;
    std::function<void()> _on_synced;  // REQUIRES: _mu held to change
    std::mutex _mu;
    std::condition_variable _wake;      // the thread: something to sync, or stop
    std::condition_variable _progress;  // the owner: a sync finished
    std::uint64_t _written = 0;         // REQUIRES: _mu held
    bool _failed = false;               // REQUIRES: _mu held
    bool _stopping = false;             // REQUIRES: _mu held
    std::optional<std::string> _error;  // REQUIRES: _mu held
    std::atomic<std::uint64_t> _synced{0};
    std::thread _thread;  // last: starts once the rest exists
};

}  // namespace eddy::state::detail
