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
// Threading: every method is safe from any thread. One internal thread
// reaps and restarts; `on_change` runs on it and must not call back into the
// supervisor synchronously... except `list()`, which is safe.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace eddy::agent {

struct process_spec {
    std::string id;                           // unique among this supervisor's processes
    std::vector<std::string> args;            // args[0]: the program's path
    std::map<std::string, std::string> env;   // added to the supervisor's environment
    std::filesystem::path log_path;           // stdout and stderr, appended
    std::filesystem::path pid_path;           // written with the pid; empty: none
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
    pid_t pid = -1;
    std::uint32_t restarts = 0;
    std::string last_error;  // "exited with status 3", "killed by signal 9", ...
};

struct supervisor_options {
    // First and longest wait before a restart. Defaults 200 ms, 10 s.
    std::chrono::milliseconds backoff_min{200};
    std::chrono::milliseconds backoff_max{10'000};
    // This many crashes within the window mark the process failed. Defaults 5 in 60 s.
    std::uint32_t max_crashes = 5;
    std::chrono::milliseconds crash_window{60'000};
};

class supervisor {
public:
    using change_callback = std::function<void(const process_status&)>;
    explicit supervisor(supervisor_options options = {}, change_callback on_change = {});
    // Stops supervising; the processes keep running.
    ~supervisor();
    supervisor(const supervisor&) = delete;
    supervisor& operator=(const supervisor&) = delete;

    // Starts and supervises a new process. Throws std::invalid_argument for a
    // duplicate id, std::runtime_error when the program cannot be started.
    void start(process_spec spec);
    // Supervises a process an earlier supervisor started (`pid` from its pid
    // file). False if that pid is not alive (then nothing is adopted).
    [[nodiscard]] bool adopt(process_spec spec, pid_t pid);
    // SIGTERM, then SIGKILL after `grace`; waits until it is gone. Not
    // restarted. Unknown ids are ignored.
    void stop(const std::string& id, std::chrono::milliseconds grace);
    // Stops the process and starts `spec` (same id) in its place.
    void replace(process_spec spec, std::chrono::milliseconds grace);
    // Forgets a stopped, finished or failed process.
    void forget(const std::string& id);

    [[nodiscard]] std::vector<process_status> list() const;

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

[[nodiscard]] std::string_view to_string(process_state state);

}  // namespace eddy::agent
