#pragma once

// The user process of a computation written in another language, seen from
// its executor: the Unix socket it connects to, the process itself (started
// here, or by hand in attach mode), and the last lines of its standard error.
//
//     user_process child(spec);              // listens; starts the program unless attached
//     auto connection = child.accept(10s);   // the program's connection, or an error
//     ... framed requests and transactions over connection->fd() ...
//     child.kill();
//
// The child gets SIGKILL when the executor's thread that started it dies
// (PR_SET_PDEATHSIG), so a killed executor leaves no orphan behind. Its
// standard error is copied to the executor's standard error (the instance
// log) by a reader thread that keeps the last lines for error messages.
//
// Threading: one owner thread (the instance thread); the stderr reader is
// internal and joined on destruction.

#include "base/error.hpp"

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace eddy::executor {

enum class user_process_errc {
    start_failed,  // the program could not be started
    exited,        // the program exited or closed its connection
    timed_out,     // no connection or no answer within the deadline
    protocol,      // it sent something malformed or unexpected
};

template <class T>
using user_process_result = eddy::result<T, user_process_errc>;

struct user_process_spec {
    std::vector<std::string> command;  // program and arguments; empty in attach mode
    std::filesystem::path workdir;     // where it runs; relative programs resolve here
    std::map<std::string, std::string> environment;  // added to the executor's own
    bool attach = false;  // start nothing: wait for a program started by hand
    // Set when the executor is stopping: waits for a connection give up.
    const std::atomic<bool>* cancelled = nullptr;
};

// A connected socket, closed on destruction.
class user_connection {
public:
    explicit user_connection(int fd) : _fd(fd) {}
    ~user_connection();
    user_connection(const user_connection&) = delete;
    user_connection& operator=(const user_connection&) = delete;
    [[nodiscard]] int fd() const { return _fd; }

private:
    int _fd;
};

class user_process {
public:
    // Creates the socket (in a fresh private directory) and, unless
    // attaching, starts the program. Throws std::runtime_error naming the
    // program when it cannot be started.
    explicit user_process(user_process_spec spec);
    ~user_process();
    user_process(const user_process&) = delete;
    user_process& operator=(const user_process&) = delete;

    [[nodiscard]] const std::filesystem::path& socket_path() const { return _socket_path; }

    // Waits for the program to connect. No deadline (nullopt) in attach mode.
    // Fails early when the started program exits first.
    [[nodiscard]] user_process_result<std::unique_ptr<user_connection>> accept(
        std::optional<std::chrono::milliseconds> deadline);

    // The program's exit status if it has ended ("exited with status 3",
    // "killed by signal 9"), reaping it; nullopt while it runs or when
    // nothing was started.
    [[nodiscard]] std::optional<std::string> exit_status();
    // Waits up to `grace` for the program to exit by itself, then kills it.
    void stop(std::chrono::milliseconds grace);
    // SIGKILL and reap.
    void kill();

    // The last lines the program wrote to its standard error, newest last.
    [[nodiscard]] std::string stderr_tail() const;

private:
    void start();
    void read_stderr(int fd);
    void close_pidfd();

    user_process_spec _spec;
    std::filesystem::path _socket_dir;
    std::filesystem::path _socket_path;
    int _listen_fd = -1;
    pid_t _pid = -1;
    int _pidfd = -1;                    // readable once the program has exited
    std::optional<std::string> _ended;  // how the program ended, once reaped
    std::thread _stderr_reader;
    mutable std::mutex _tail_mu;
    std::deque<std::string> _tail;  // GUARDED_BY(_tail_mu)
};

}  // namespace eddy::executor
