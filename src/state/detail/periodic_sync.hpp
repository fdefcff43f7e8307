#pragma once

// A small owned thread that calls `sync` every `interval` until destroyed:
// rocksdb_store's sync_policy::periodic (RocksDB has no timed WAL sync of its
// own). `sync` returns an error message or nullopt; the first error is kept
// until the owner takes it, so that the next commit reports it.
//
// Lifecycle: the thread starts in the constructor; the destructor stops it
// (without waiting for the interval) and joins it. Threading: `sync` runs on
// the owned thread and must be safe against the owner's concurrent calls
// (DB::SyncWAL is); `take_error` is for the owner thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace eddy::state::detail {

class periodic_sync {
public:
    periodic_sync(std::chrono::milliseconds interval,
                  std::function<std::optional<std::string>()> sync);
    ~periodic_sync();
    periodic_sync(const periodic_sync&) = delete;
    periodic_sync& operator=(const periodic_sync&) = delete;

    // The first sync error since the last call, or nullopt.
    [[nodiscard]] std::optional<std::string> take_error();

private:
    void run();

    const std::chrono::milliseconds _interval;
    const std::function<std::optional<std::string>()> _sync;
    std::mutex _mu;
    std::condition_variable _wake;
    bool _stopping = false;             // REQUIRES: _mu held
    std::optional<std::string> _error;  // REQUIRES: _mu held
    std::thread _thread;                // last: starts once the rest exists
};

}  // namespace eddy::state::detail
