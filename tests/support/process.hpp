#pragma once

// Test support: child processes, temporary directories, free ports and
// waiting on conditions with deadlines. Integration, e2e and chaos tests use
// these so that every process a test starts is stopped when it ends, and no
// test sleeps and hopes.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace eddy::testing {

// A directory under $TMPDIR (or /tmp) removed with everything in it on
// destruction, unless EDDY_KEEP_TEST_DIRS is set (for post-mortems).
class temp_dir {
public:
    explicit temp_dir(std::string_view prefix = "eddy-test");
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return _path; }
    [[nodiscard]] std::filesystem::path operator/(std::string_view name) const {
        return _path / name;
    }

private:
    std::filesystem::path _path;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound, read, closed).
[[nodiscard]] int free_port();

// A child process started with posix_spawn, its stdout and stderr sent to
// files. The destructor sends SIGKILL and reaps it if it still runs, so a
// failing test leaves nothing behind. One thread owns a child_process.
class child_process {
public:
    struct options {
        std::vector<std::string> args;                 // args[0] is the program path
        std::map<std::string, std::string> extra_env;  // added to the current environment
        std::filesystem::path stdout_path;             // empty: inherit
        std::filesystem::path stderr_path;             // empty: inherit
    };
    explicit child_process(options opts);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    child_process(child_process&& other) noexcept;

    [[nodiscard]] pid_t pid() const { return _pid; }
    void signal(int sig) const;
    // Waits until the process exits; its exit status (as from waitpid) or
    // nullopt on timeout.
    [[nodiscard]] std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    [[nodiscard]] bool running();
    // Resident set size in bytes, from /proc/<pid>/status.
    [[nodiscard]] std::size_t resident_bytes() const;
    [[nodiscard]] std::string stderr_text() const;
    [[nodiscard]] std::string stdout_text() const;

private:
    options _opts;
    pid_t _pid = -1;
    std::optional<int> _status;
};

// Polls `condition` every few milliseconds until it holds or `timeout`
// passes; true if it held.
[[nodiscard]] bool wait_until(const std::function<bool()>& condition,
                              std::chrono::milliseconds timeout);

// The whole content of a file, or empty if it cannot be read.
[[nodiscard]] std::string read_file(const std::filesystem::path& path);

}  // namespace eddy::testing
