#pragma once

// The state behind `supervisor`, shared by its two sides:
// supervisor.cpp (the public calls, on the callers' threads) and
// supervisor_loop.cpp (the internal thread: reaping, restarts, SIGKILL after
// grace, delivering changes). Everything in `_entries` is guarded by `_mu`;
// helpers that need it take the held lock as proof and check it.

#include "agent/detail/log_watch.hpp"
#include "agent/detail/restart_policy.hpp"
#include "agent/supervisor.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace eddy::agent {

namespace detail {

using steady = std::chrono::steady_clock;
using lock_type = std::unique_lock<std::mutex>;

// Whether a process leads its own process group (those we spawn do), so that
// SIGKILL can reach everything it started.
enum class process_group { own, shared };

// One supervised id: its spec, what callers see, and the bookkeeping of the
// process currently behind it (if any).
struct entry {
    process_spec spec;
    process_status status;
    restart_policy policy;
    int pidfd = -1;  // open exactly while a process runs; closed only by the thread
    process_group group = process_group::shared;
    bool stop_requested = false;
    steady::time_point started_at{};
    std::optional<steady::time_point> kill_at;     // SIGKILL deadline of a stop
    std::optional<steady::time_point> restart_at;  // set while backing_off
    // Errors the running process logs (list() reads on; hence mutable).
    mutable log_watch errors;
};

}  // namespace detail

struct supervisor::impl {
    using entry = detail::entry;
    using lock_type = detail::lock_type;
    using steady = detail::steady;
    using process_group = detail::process_group;

    impl(supervisor_options options, change_callback on_change);
    ~impl();
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    // The public calls (supervisor.cpp), from any thread.
    void start(process_spec spec);
    bool adopt(process_spec spec, pid_t pid);
    void stop(const std::string& id, std::chrono::milliseconds grace);
    void replace(process_spec spec, std::chrono::milliseconds grace);
    void forget(const std::string& id);
    std::vector<process_status> list() const;
    std::optional<process_status> status(const std::string& id) const;
    // What callers see of `e`: its status, with a running process's fresh
    // logged error as last_error. Requires _mu.
    static process_status reported(const entry& e, steady::time_point now);

private:
    // The internal thread (supervisor_loop.cpp).
    void run();
    // Hands queued transitions to on_change in order, with the lock released.
    void deliver_changes(lock_type& lock);  // REQUIRES: _mu held
    // Milliseconds until the next restart or SIGKILL is due; -1 if none.
    int poll_timeout(const lock_type& lock) const;                        // REQUIRES: _mu held
    void fire_due_timers(const lock_type& lock, steady::time_point now);  // REQUIRES: _mu held
    // Starts the spec of a backed-off process again; a failure is a crash.
    void restart(const lock_type& lock, entry& e, steady::time_point now);  // REQUIRES: _mu held
    // The process behind e.pidfd ended: reap it, then finished, stopped or crash.
    void on_process_end(const lock_type& lock, entry& e);  // REQUIRES: _mu held
    // Backs off before a restart, or fails when the policy gives up.
    void on_crash(const lock_type& lock, entry& e, const std::string& how, steady::time_point now,
                  steady::duration ran_for);  // REQUIRES: _mu held
    // SIGKILL to the process and, when it is safe, to its whole group.
    void kill_group(const lock_type& lock, const entry& e);  // REQUIRES: _mu held

    // Shared helpers (supervisor.cpp).
    entry& insert(const lock_type& lock, process_spec spec);  // REQUIRES: _mu held
    // Records that `pid` now runs for `e` (pid file, state, change).
    void run_process(const lock_type& lock, entry& e, pid_t pid, int pidfd,
                     process_group group);  // REQUIRES: _mu held
    // Sets the state and queues the change for on_change.
    void transition(const lock_type& lock, entry& e, process_state state);  // REQUIRES: _mu held
    void check_held(const lock_type& lock) const;
    void wake() const;  // makes the thread recompute what it waits for

    const supervisor_options _options;
    const change_callback _on_change;
    mutable std::mutex _mu;
    std::condition_variable _ended;         // a process ended (stop waits on it)
    std::map<std::string, entry> _entries;  // GUARDED_BY(_mu)
    std::vector<process_status> _changes;   // GUARDED_BY(_mu); not yet delivered
    bool _quitting = false;                 // GUARDED_BY(_mu)
    int _wake_fd = -1;                      // eventfd: new work, new timers, quit
    std::thread _thread;                    // started last, joined first
};

}  // namespace eddy::agent
