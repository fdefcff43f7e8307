#pragma once

// The agent's process supervisor: starts executor processes, watches them,
// and restarts the ones that crash, with exponential backoff. A process that
// exits 0 has finished (a bounded input ended, or it was drained) and is not
// restarted. A process that keeps crashing (`max_crashes` within
// `crash_window`) is marked failed with its last error and left alone; the
// others are untouched.
//
// Processes outlive the supervisor: if the agent (the coordinator in local
// mode) dies, its executors keep running, and a new supervisor adopts them
// from their pid files (`adopt`), watching them through pidfds.
//
//     supervisor sup(options, [](const process_status& s) { ... });  // on every change
//     sup.start({.id = "counter-0", .args = {executor, "--topology", ...},
//                .log_path = home / "logs/counter-0.log"});
//     sup.stop("counter-0", std::chrono::seconds(10));  // SIGTERM, SIGKILL after grace
//
// Each process runs in its own process group (so a Ctrl-C on the agent's
// terminal does not reach it), with stdin on /dev/null, stdout and stderr
// appended to its log, the supervisor's environment plus `spec.env`, and no
// other file descriptor of the supervisor. A process is its group: when the
// leader of a group the supervisor created ends, whatever it left in the
// group is killed, so a restart never runs beside a leftover of the last run.
//
// Lifecycle: construct, then any calls, then destroy. The destructor stops
// the internal thread and leaves every process running; it must not race
// with another call.
//
// Threading: every method is safe from any thread. One internal thread
// reaps, restarts and kills after a grace period, sleeping in poll() on one
// pidfd per process and an eventfd. `on_change` runs on that thread, in the
// order the transitions happened, never under the supervisor's lock. It may
// call `list`, `start`, `adopt` and `forget`; it must not call `stop` or
// `replace`, which wait for that same thread (asserted). Requires Linux >= 5.4.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::agent {

struct process_spec {
    std::string id;                          // unique among this supervisor's processes
    std::vector<std::string> args;           // args[0]: the program's path (not searched in PATH)
    std::map<std::string, std::string> env;  // added to the supervisor's environment (wins)
    std::filesystem::path log_path;  // stdout and stderr, appended; 0644, parent dirs created;
                                     // empty: /dev/null
    std::filesystem::path pid_path;  // written atomically with the pid while the process
                                     // runs, removed when it ends; empty: none
    // A file the process writes itself when it finishes its work (exit 0):
    // how the end of an adopted process, whose exit status goes to its real
    // parent, is told from a crash. Empty: every adopted end is a crash.
    std::filesystem::path finished_path;
};

enum class process_state {
    running,      // started (or adopted) and alive
    backing_off,  // crashed; waiting to be restarted
    failed,       // crashed too often; not restarted
    finished,     // exited 0; not restarted
    stopped,      // stopped on request
};

struct process_status {
    std::string id;
    process_state state = process_state::running;
    pid_t pid = -1;              // the running process; -1 when none runs
    std::uint32_t restarts = 0;  // restarts after crashes since start (or replace)
    std::string last_error;      // "exited with status 3", "killed by signal 9 (KILL)", ...
};

struct supervisor_options {
    // First and longest wait before a restart; the wait doubles after each
    // crash. Defaults 200 ms, 10 s.
    std::chrono::milliseconds backoff_min{200};
    std::chrono::milliseconds backoff_max{10'000};
    // A run that lasted at least this long before crashing was healthy: the
    // wait starts again from backoff_min. Default 30 s.
    std::chrono::milliseconds backoff_reset_after{30'000};
    // This many crashes within the window mark the process failed (0: never).
    // Defaults 5 in 60 s.
    std::uint32_t max_crashes = 5;
    std::chrono::milliseconds crash_window{60'000};
};

class supervisor {
public:
    using change_callback = std::function<void(const process_status&)>;
    // Throws std::invalid_argument for inconsistent options, std::runtime_error
    // when the internal thread's eventfd cannot be created.
    explicit supervisor(supervisor_options options = {}, change_callback on_change = {});
    // Stops supervising; the processes keep running (a later supervisor adopts them).
    ~supervisor();
    supervisor(const supervisor&) = delete;
    supervisor& operator=(const supervisor&) = delete;

    // Starts and supervises a new process. Throws std::invalid_argument for a
    // duplicate id (also of a stopped, finished or failed one: `forget` or
    // `replace` it) or an empty id or args, std::runtime_error naming the
    // program when it cannot be started.
    void start(process_spec spec);
    // Supervises a process an earlier supervisor started (`pid` from its pid
    // file). False if that pid is not alive (then nothing is adopted). Its
    // exit status can be known only if it is a child of this process; the
    // death of any other adopted process counts as a crash ("adopted process
    // exited") unless a stop was requested. Throws like `start` for the id.
    [[nodiscard]] bool adopt(process_spec spec, pid_t pid);
    // SIGTERM to the process, then SIGKILL to its group after `grace`; waits
    // until it is gone. Not restarted; never counted as a crash. A process
    // backing off is stopped at once. Unknown ids and processes that already
    // ended are ignored.
    void stop(const std::string& id, std::chrono::milliseconds grace);
    // Stops the process (as `stop`) and starts `spec` (same id) in its place,
    // with restarts and crash history reset: a rolling update. An unknown id
    // is simply started. Throws like `start`; the old process is then stopped.
    void replace(process_spec spec, std::chrono::milliseconds grace);
    // Forgets a stopped, finished or failed process; running or backing-off
    // processes and unknown ids are ignored.
    void forget(const std::string& id);

    // Every supervised process, ordered by id.
    [[nodiscard]] std::vector<process_status> list() const;
    // One id's status as `list` gives it, or nullopt if the id is unknown.
    [[nodiscard]] std::optional<process_status> status(const std::string& id) const;

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

[[nodiscard]] std::string_view to_string(process_state state);

}  // namespace eddy::agent
