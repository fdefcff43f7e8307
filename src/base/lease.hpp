#pragma once

// A host-local lease between an agent and the executors it runs (cluster
// mode). The agent renews it, by rewriting one small file with the
// host's monotonic clock, each time ZooKeeper answers it; an executor given
// the file (`--lease-file`) runs only while the lease is younger than its
// timeout (`--lease-ms`), and ends itself at once when it is not. A paused
// (SIGSTOP) or wedged agent renews nothing, so its executors stop on their
// own before its session can expire and the coordinator start their
// instances on other hosts: no instance ever runs twice.
//
//     renew_lease(home / "run" / "agent.lease");          // the agent
//     lease_age(path) > timeout                            // the executor
//
// The clock is CLOCK_MONOTONIC, which every process of a host shares and
// which wall-clock changes do not move; it runs on while a process is
// stopped.
//
// Threading: free functions; a renewal replaces the file atomically, so a
// reader never sees half of one.

#include <chrono>
#include <filesystem>
#include <optional>

namespace eddy {

// Writes now's monotonic time to `path` (atomically). Throws
// std::runtime_error naming the file when it cannot.
void renew_lease(const std::filesystem::path& path);

// How long ago the lease at `path` was last renewed; nullopt when there is
// no readable lease there.
[[nodiscard]] std::optional<std::chrono::nanoseconds> lease_age(const std::filesystem::path& path);

}  // namespace eddy
