#include "user_process.hpp"

#include "base/log.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace eddy::executor {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kept_stderr_lines = 20;

std::string describe_status(int status) {
    if (WIFEXITED(status)) {
        return fmt::format("exited with status {}", WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        const int signal = WTERMSIG(status);
        const char* name = sigabbrev_np(signal);
        return fmt::format("killed by signal {} ({})", signal, name != nullptr ? name : "?");
    }
    return fmt::format("ended with wait status {}", status);
}

// The file execve() should run for `program`: as given when it holds a
// slash (relative to the working directory), else the first match on PATH.
std::filesystem::path resolve_program(const std::string& program,
                                      const std::filesystem::path& workdir) {
    if (program.find('/') != std::string::npos) {
        const std::filesystem::path path(program);
        return path.is_absolute() ? path : workdir / path;
    }
    const char* path_variable = std::getenv("PATH");
    std::string_view search = path_variable != nullptr ? path_variable : "/usr/bin:/bin";
    while (!search.empty()) {
        const auto colon = search.find(':');
        const std::string_view dir = search.substr(0, colon);
        const auto candidate =
            std::filesystem::path(dir.empty() ? "." : std::string(dir)) / program;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        search = colon == std::string_view::npos ? std::string_view{} : search.substr(colon + 1);
    }
    throw std::runtime_error("program '" + program + "' is not on PATH");
}

}  // namespace

user_connection::~user_connection() {
    if (_fd >= 0) {
        ::close(_fd);
    }
}

user_process::user_process(user_process_spec spec) : _spec(std::move(spec)) {
    std::string dir_template =
        (std::filesystem::temp_directory_path() / "eddy-sdk-XXXXXX").string();
    if (::mkdtemp(dir_template.data()) == nullptr) {
        throw std::runtime_error(
            fmt::format("cannot create a socket directory: {}", std::strerror(errno)));
    }
    _socket_dir = dir_template;
    _socket_path = _socket_dir / "sdk.sock";

    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (_socket_path.string().size() >= sizeof address.sun_path) {
        throw std::runtime_error("socket path '" + _socket_path.string() + "' is too long");
    }
    std::strncpy(address.sun_path, _socket_path.c_str(), sizeof address.sun_path - 1);
    _listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (_listen_fd < 0 ||
        ::bind(_listen_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(_listen_fd, 4) != 0) {
        throw std::runtime_error(
            fmt::format("cannot listen on '{}': {}", _socket_path.string(), std::strerror(errno)));
    }
    if (!_spec.attach) {
        start();
    }
}

user_process::~user_process() {
    kill();
    if (_listen_fd >= 0) {
        ::close(_listen_fd);
    }
    std::error_code ignored;
    std::filesystem::remove_all(_socket_dir, ignored);
    if (_stderr_reader.joinable()) {
        _stderr_reader.join();
    }
}

void user_process::start() {
    if (_spec.command.empty()) {
        throw std::runtime_error("no command to start");
    }
    const auto program = resolve_program(_spec.command[0], _spec.workdir);

    // Everything the child needs is built before fork: between fork and exec
    // only async-signal-safe calls are allowed in a threaded process.
    std::vector<std::string> env_strings;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto name = text.substr(0, text.find('='));
        // The admin token is the executor's, not the user program's.
        if (name != "EDDY_ADMIN_TOKEN" && !_spec.environment.contains(std::string(name))) {
            env_strings.emplace_back(text);
        }
    }
    for (const auto& [name, value] : _spec.environment) {
        env_strings.push_back(name + "=" + value);
    }
    env_strings.push_back("EDDY_SOCKET=" + _socket_path.string());
    std::vector<char*> envp;
    for (auto& text : env_strings) {
        envp.push_back(text.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> args = _spec.command;
    std::vector<char*> argv;
    for (auto& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    const std::string workdir = _spec.workdir.string();

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        throw std::runtime_error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        throw std::runtime_error(fmt::format("cannot fork: {}", std::strerror(errno)));
    }
    if (pid == 0) {
        // The child: die with the executor, default signal handling, stderr
        // into the pipe, nothing else inherited.
        ::setpgid(0, 0);  // its own group: a kill reaches what it started too
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        struct sigaction default_action {};
        default_action.sa_handler = SIG_DFL;
        ::sigaction(SIGPIPE, &default_action, nullptr);
        ::dup2(pipe_fds[1], STDERR_FILENO);
        ::close_range(3, ~0U, 0);
        if (!workdir.empty() && ::chdir(workdir.c_str()) != 0) {
            static constexpr char message[] = "eddy: cannot enter the working directory\n";
            (void)!::write(STDERR_FILENO, message, sizeof message - 1);
            ::_exit(127);
        }
        ::execve(program.c_str(), argv.data(), envp.data());
        static constexpr char message[] = "eddy: cannot execute the program\n";
        (void)!::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(127);
    }
    ::close(pipe_fds[1]);
    _pid = pid;
    _pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    _ended.reset();
    if (_stderr_reader.joinable()) {
        _stderr_reader.join();
    }
    _stderr_reader = std::thread([this, fd = pipe_fds[0]] { read_stderr(fd); });
    eddy::log().info("started '{}' (pid {}) in {}", program.string(), pid, workdir);
}

void user_process::read_stderr(int fd) {
    std::string partial;
    char chunk[4096];
    for (;;) {
        const ssize_t got = ::read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        (void)!::write(STDERR_FILENO, chunk, static_cast<std::size_t>(got));
        partial.append(chunk, static_cast<std::size_t>(got));
        std::size_t newline;
        while ((newline = partial.find('\n')) != std::string::npos) {
            std::lock_guard lock(_tail_mu);
            _tail.push_back(partial.substr(0, newline));
            if (_tail.size() > kept_stderr_lines) {
                _tail.pop_front();
            }
            partial.erase(0, newline + 1);
        }
    }
    if (!partial.empty()) {
        std::lock_guard lock(_tail_mu);
        _tail.push_back(partial);
        if (_tail.size() > kept_stderr_lines) {
            _tail.pop_front();
        }
    }
    ::close(fd);
}

std::string user_process::stderr_tail() const {
    std::lock_guard lock(_tail_mu);
    std::string text;
    for (const auto& line : _tail) {
        text += text.empty() ? "" : "\n";
        text += line;
    }
    return text;
}

std::optional<std::string> user_process::exit_status() {
    if (_ended) {
        return _ended;
    }
    if (_pid <= 0) {
        return std::nullopt;
    }
    int status = 0;
    const pid_t reaped = ::waitpid(_pid, &status, WNOHANG);
    if (reaped != _pid) {
        return std::nullopt;
    }
    _pid = -1;
    close_pidfd();
    _ended = describe_status(status);
    // The reader sees end of file now that the last writer is gone: join it
    // so that the tail holds everything the program wrote.
    if (_stderr_reader.joinable()) {
        _stderr_reader.join();
    }
    return _ended;
}

user_process_result<std::unique_ptr<user_connection>> user_process::accept(
    std::optional<std::chrono::milliseconds> deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline.value_or(0ms);
    for (;;) {
        pollfd ready[2] = {{_listen_fd, POLLIN, 0}, {_pidfd, POLLIN, 0}};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        // Slices of 200 ms at most, to notice a stop request.
        const int wait_ms =
            static_cast<int>(deadline ? std::clamp<long>(left.count(), 0, 200) : 200);
        const int polled = ::poll(ready, _pidfd >= 0 ? 2 : 1, wait_ms);
        if (polled > 0 && (ready[0].revents & POLLIN) != 0) {
            const int fd = ::accept4(_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                return std::make_unique<user_connection>(fd);
            }
        }
        if (auto status = exit_status()) {
            return fail(user_process_errc::exited, "the program {} before connecting", *status);
        }
        if (_spec.cancelled != nullptr && _spec.cancelled->load(std::memory_order_acquire)) {
            return fail(user_process_errc::exited, "the executor is stopping");
        }
        if (deadline && std::chrono::steady_clock::now() >= until) {
            return fail(user_process_errc::timed_out,
                        "the program did not connect to {} within {} ms", _socket_path.string(),
                        deadline->count());
        }
    }
}

void user_process::stop(std::chrono::milliseconds grace) {
    if (_pidfd >= 0) {
        pollfd exited{_pidfd, POLLIN, 0};
        (void)::poll(&exited, 1, static_cast<int>(grace.count()));
    }
    if (!exit_status()) {
        kill();
    }
}

void user_process::close_pidfd() {
    if (_pidfd >= 0) {
        ::close(_pidfd);
        _pidfd = -1;
    }
}

void user_process::kill() {
    if (_pid > 0) {
        ::kill(-_pid, SIGKILL);
        ::kill(_pid, SIGKILL);
        int status = 0;
        ::waitpid(_pid, &status, 0);
        _ended = describe_status(status);
        _pid = -1;
        close_pidfd();
    }
    if (_stderr_reader.joinable()) {
        _stderr_reader.join();
    }
}

}  // namespace eddy::executor
