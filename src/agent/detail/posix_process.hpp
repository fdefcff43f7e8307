#pragma once

// The system calls behind the supervisor: spawning a process as the
// supervisor's contract describes, pidfds, signals, exit statuses and pid
// files. Free functions without state; safe from any thread.

#include "agent/supervisor.hpp"

#include <signal.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace eddy::agent::detail {

struct spawned_process {
    pid_t pid = -1;
    int pidfd = -1;  // owned by the caller; O_CLOEXEC
};

// Starts `spec` in a new process group, stdin on /dev/null, stdout and stderr
// appended to spec.log_path, environment = ours + spec.env, signal mask empty
// and dispositions default, no fd of ours inherited. Creates the parent
// directories of the log and pid files. Throws std::runtime_error naming the
// id and the program (or the log file) when it cannot.
[[nodiscard]] spawned_process spawn_process(const process_spec& spec);

// A pidfd for `pid` (O_CLOEXEC), or -1 with errno set (ESRCH: no such process).
[[nodiscard]] int open_pidfd(pid_t pid);

// True when the process behind `pidfd` has ended (it may still be a zombie).
[[nodiscard]] bool has_ended(int pidfd);

// Sends `sig` to the process behind `pidfd`: never to a recycled pid.
void signal_process(int pidfd, int sig);

// How a process ended: from waitid() when it is our child, nullopt when it
// is not (its status went to its real parent). Reaps it.
[[nodiscard]] std::optional<siginfo_t> reap(int pidfd);

// True when `pidfd`'s process is our child and has ended but is not reaped
// yet: its pid, and so its process group id, cannot be recycled.
[[nodiscard]] bool is_unreaped_child(int pidfd);

// "exited with status 3", "killed by signal 9 (KILL)", ...
[[nodiscard]] std::string describe_exit(const siginfo_t& info);
[[nodiscard]] bool exited_cleanly(const siginfo_t& info);

// Writes "<pid>\n" to `path` through a temporary file and a rename, so a
// reader sees the old content or the new, never a part. False on failure
// (logged).
bool write_pid_file(const std::filesystem::path& path, pid_t pid);
void remove_pid_file(const std::filesystem::path& path);

}  // namespace eddy::agent::detail
