#pragma once

// Ends the executor when its agent's lease lapses (cluster mode; see
// base/lease.hpp): a thread reads the lease file every eighth of the
// timeout, and once the lease is older than the timeout (or gone) it logs
// why and ends the process at once (`_Exit(fenced_exit_code)`: nothing more
// is committed, acknowledged or sent), since the coordinator is about to run
// the instance elsewhere.
//
//     if (auto why = lease_watchdog::check(file, timeout)) { refuse to start }
//     lease_watchdog watchdog(file, timeout);   // from then on
//
// Lifecycle: watches from construction to destruction.
// Threading: one thread of its own.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace eddy::executor {

// The exit status of an executor that ended itself because its lease lapsed.
inline constexpr int fenced_exit_code = 4;

class lease_watchdog {
public:
    lease_watchdog(std::filesystem::path file, std::chrono::milliseconds timeout);
    ~lease_watchdog();
    lease_watchdog(const lease_watchdog&) = delete;
    lease_watchdog& operator=(const lease_watchdog&) = delete;

    // Why the lease at `file` does not hold now (missing, or older than
    // `timeout`), or nullopt when it holds.
    [[nodiscard]] static std::optional<std::string> check(const std::filesystem::path& file,
                                                          std::chrono::milliseconds timeout);

private:
    void watch();

    std::filesystem::path _file;
    std::chrono::milliseconds _timeout;
    std::mutex _mu;
    std::condition_variable _wake;
    bool _stopping = false;  // GUARDED_BY(_mu)
    std::thread _thread;
};

}  // namespace eddy::executor
