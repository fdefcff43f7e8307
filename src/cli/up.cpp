// `eddy up`: runs the coordinator of a home, in the foreground or detached.

#include "api_client.hpp"
#include "commands.hpp"
#include "control/coordinator_main.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

namespace eddy::cli {

namespace fs = std::filesystem;

namespace {

constexpr auto probe_timeout = std::chrono::seconds(2);
constexpr std::size_t log_tail_lines = 30;

// The status of the coordinator answering for `home`, if one does.
std::optional<api_answer> running_coordinator(const fs::path& home) {
    auto client = connect(home, probe_timeout);
    if (!client) {
        return std::nullopt;
    }
    auto status = client->get("/api/v1/status");
    return status ? std::optional<api_answer>(std::move(*status)) : std::nullopt;
}

std::string ready_message(int port, const fs::path& home) {
    return fmt::format("eddy is up: http://127.0.0.1:{} (home {})", port, home.string());
}

// The last lines of `log` written since byte `from`: what this start said.
std::string log_tail(const fs::path& log, std::streamoff from) {
    std::ifstream in(log);
    in.seekg(from);
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(std::move(line));
        if (lines.size() > log_tail_lines) {
            lines.pop_front();
        }
    }
    std::string out;
    for (const auto& line : lines) {
        out += "  " + line + "\n";
    }
    return out.empty() ? "  (nothing)\n" : out;
}

// In the child of --detach: a session of its own (no terminal to hang up
// on it), stdin from /dev/null, stdout and stderr to the log.
[[noreturn]] void run_detached_child(const control::coordinator_options& options,
                                     const fs::path& log) {
    ::setsid();
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (null_fd < 0 || log_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 ||
        ::dup2(log_fd, STDOUT_FILENO) < 0 || ::dup2(log_fd, STDERR_FILENO) < 0) {
        std::_Exit(exit_failed);
    }
    ::close(null_fd);
    ::close(log_fd);
    const int code = control::run_coordinator(options);
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(code);
}

int start_detached(const global_options& global, control::coordinator_options options,
                   std::chrono::seconds ready_timeout) {
    const auto log = global.home / "coordinator.log";
    std::error_code ec;
    const auto log_start = fs::exists(log, ec) ? std::streamoff(fs::file_size(log, ec)) : 0;
    options.on_ready = [home = global.home](int port) {
        std::cout << ready_message(port, home) << std::endl;
    };
    std::cout.flush();
    std::cerr.flush();
    const pid_t child = ::fork();
    if (child < 0) {
        return report({cli_errc::failed, fmt::format("fork: {}", std::strerror(errno))});
    }
    if (child == 0) {
        run_detached_child(options, log);
    }
    // The coordinator is up when its API answers with the token it wrote and
    // says it is our child: an api.port left by an earlier run proves nothing.
    const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(child, &status, WNOHANG) == child) {
            const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return report({cli_errc::failed,
                           fmt::format("the coordinator exited (code {}) before its API answered; "
                                       "the end of {}:\n{}",
                                       code, log.string(), log_tail(log, log_start))});
        }
        if (const auto answer = running_coordinator(global.home);
            answer && answer->document.value("pid", 0) == child) {
            auto endpoint = find_api(global.home);
            std::cout << ready_message(endpoint ? endpoint->port : 0, global.home) << '\n';
            return exit_ok;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // Do not leave a coordinator behind that nobody knows is starting.
    ::kill(child, SIGTERM);
    return report(
        {cli_errc::failed,
         fmt::format("the coordinator (pid {}) did not answer within {} s, so it was "
                     "stopped; the end of {}:\n{}",
                     child, ready_timeout.count(), log.string(), log_tail(log, log_start))});
}

}  // namespace

// $EDDY_EXECUTOR, else the eddy-executor installed beside this binary (the
// build and `make install` put both in the same bin/).
cli_result<std::string> executor_path() {
    fs::path path;
    if (const char* given = std::getenv("EDDY_EXECUTOR"); given != nullptr && *given != '\0') {
        path = given;
    } else {
        std::error_code ec;
        const auto self = fs::read_symlink("/proc/self/exe", ec);
        if (ec) {
            return fail(cli_errc::failed,
                        "cannot find this program's path (/proc/self/exe: {}); "
                        "set $EDDY_EXECUTOR to the eddy-executor binary",
                        ec.message());
        }
        path = self.parent_path() / "eddy-executor";
    }
    if (::access(path.c_str(), X_OK) != 0) {
        return fail(cli_errc::failed,
                    "no executable eddy-executor at {}; set $EDDY_EXECUTOR to "
                    "its path",
                    path.string());
    }
    return path.string();
}

int run_up(const global_options& global, const up_options& up) {
    if (const auto running = running_coordinator(global.home)) {
        return report({cli_errc::failed,
                       fmt::format("a coordinator already runs for home {} (pid {}); "
                                   "`eddy down` stops it",
                                   global.home.string(), running->document.value("pid", 0))});
    }
    auto executor = executor_path();
    if (!executor) {
        return report(executor.error());
    }
    std::error_code ec;
    fs::create_directories(global.home, ec);
    if (ec) {
        return report({cli_errc::failed, fmt::format("cannot create the home {}: {}",
                                                     global.home.string(), ec.message())});
    }
    control::coordinator_options options;
    options.home = global.home;
    options.port = up.port;
    options.executor_path = std::move(*executor);
    options.trace_export = up.trace_export;
    if (up.mode == up_mode::detach) {
        return start_detached(global, std::move(options), up.ready_timeout);
    }
    options.on_ready = [home = global.home](int port) {
        std::cout << ready_message(port, home) << "\n(Ctrl-C or `eddy down` stops it)" << std::endl;
    };
    return control::run_coordinator(options);
}

}  // namespace eddy::cli
