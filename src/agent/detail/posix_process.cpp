#include "agent/detail/posix_process.hpp"

#include "base/log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

extern char** environ;

namespace eddy::agent::detail {

namespace fs = std::filesystem;

namespace {

// Owns the posix_spawn attribute and file-action objects and one fd for the
// duration of a spawn, so every exit path releases them.
class spawn_setup {
public:
    spawn_setup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~spawn_setup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (log_fd >= 0) {
            ::close(log_fd);
        }
    }
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int log_fd = -1;
};

void create_parent_directories(const process_spec& spec, const fs::path& file) {
    if (file.empty() || !file.has_parent_path()) {
        return;
    }
    std::error_code error;
    fs::create_directories(file.parent_path(), error);
    if (error) {
        throw std::runtime_error(fmt::format("cannot start {}: cannot create {}: {}", spec.id,
                                             file.parent_path().string(), error.message()));
    }
}

// Opened here rather than by a file action in the child, so that a bad log
// path is reported as such and not as a failure of the program.
int open_log(const process_spec& spec) {
    int fd = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw std::runtime_error(fmt::format("cannot start {}: cannot open log file {}: {}",
                                             spec.id, spec.log_path.string(),
                                             std::strerror(errno)));
    }
    if (fd <= STDERR_FILENO) {  // our own stdio was closed: keep clear of the child's 0-2
        const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        ::close(fd);
        fd = moved;
    }
    return fd;
}

std::vector<std::string> environment_for(const process_spec& spec) {
    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto name = text.substr(0, text.find('='));
        if (spec.env.find(std::string(name)) == spec.env.end()) {
            env.emplace_back(text);
        }
    }
    for (const auto& [name, value] : spec.env) {
        env.push_back(name + "=" + value);
    }
    return env;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (auto& s : strings) {
        pointers.push_back(s.data());
    }
    pointers.push_back(nullptr);
    return pointers;
}

}  // namespace

spawned_process spawn_process(const process_spec& spec) {
    create_parent_directories(spec, spec.log_path);
    create_parent_directories(spec, spec.pid_path);

    spawn_setup setup;
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (spec.log_path.empty()) {
        posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    } else {
        setup.log_fd = open_log(spec);
        posix_spawn_file_actions_adddup2(&setup.actions, setup.log_fd, STDOUT_FILENO);
    }
    posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
    // Sockets and files of the agent (or the coordinator in local mode) are
    // not the executor's business, even those opened without O_CLOEXEC.
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);

    // Our threads may block signals (a signal thread waiting in sigwait);
    // the child must start with none blocked and none ignored, or SIGTERM
    // would not stop it.
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setflags(
        &setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&setup.attr, 0);
    posix_spawnattr_setsigmask(&setup.attr, &empty);
    posix_spawnattr_setsigdefault(&setup.attr, &all);

    auto args = spec.args;
    auto env = environment_for(spec);
    auto argv = pointers_to(args);
    auto envp = pointers_to(env);
    pid_t pid = -1;
    // glibc's posix_spawn returns only after the exec succeeded or failed,
    // so a missing program is reported here, not as an exit status.
    const int rc = ::posix_spawn(&pid, spec.args.at(0).c_str(), &setup.actions, &setup.attr,
                                 argv.data(), envp.data());
    if (rc != 0) {
        throw std::runtime_error(
            fmt::format("cannot start {}: {}: {}", spec.id, spec.args[0], std::strerror(rc)));
    }
    const int pidfd = open_pidfd(pid);
    if (pidfd < 0) {
        const int error = errno;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw std::runtime_error(fmt::format("cannot supervise {} ({}): pidfd_open: {}", spec.id,
                                             spec.args[0], std::strerror(error)));
    }
    return spawned_process{.pid = pid, .pidfd = pidfd};
}

int open_pidfd(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

bool has_ended(int pidfd) {
    pollfd p{.fd = pidfd, .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, 0) > 0;
}

void signal_process(int pidfd, int sig) {
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) != 0 && errno != ESRCH) {
        eddy::log().warn("agent: pidfd_send_signal({}): {}", sig, std::strerror(errno));
    }
}

std::optional<siginfo_t> reap(int pidfd) {
    siginfo_t info{};
    // P_PIDFD rather than waitpid(pid): exact even if the pid was recycled.
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info,
                 WEXITED | WNOHANG) == 0 &&
        info.si_pid != 0) {
        return info;
    }
    return std::nullopt;
}

bool is_unreaped_child(int pidfd) {
    siginfo_t info{};
    return ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info,
                    WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid != 0;
}

std::string describe_exit(const siginfo_t& info) {
    switch (info.si_code) {
        case CLD_EXITED:
            return fmt::format("exited with status {}", info.si_status);
        case CLD_KILLED:
        case CLD_DUMPED: {
            const char* name = ::sigabbrev_np(info.si_status);
            return fmt::format("killed by signal {} ({}){}", info.si_status,
                               name != nullptr ? name : "?",
                               info.si_code == CLD_DUMPED ? ", core dumped" : "");
        }
        default:
            return fmt::format("ended (si_code {}, status {})", info.si_code, info.si_status);
    }
}

bool exited_cleanly(const siginfo_t& info) {
    return info.si_code == CLD_EXITED && info.si_status == 0;
}

bool write_pid_file(const fs::path& path, pid_t pid) {
    const fs::path temporary = path.string() + fmt::format(".tmp.{}", ::getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        eddy::log().error("agent: cannot write pid file {}: {}", temporary.string(),
                          std::strerror(errno));
        return false;
    }
    const std::string text = fmt::format("{}\n", pid);
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
        eddy::log().error("agent: cannot write pid file {}: {}", path.string(),
                          std::strerror(errno));
        ::unlink(temporary.c_str());
        return false;
    }
    return true;
}

void remove_pid_file(const fs::path& path) {
    if (!path.empty()) {
        std::error_code ignored;  // already gone is fine
        fs::remove(path, ignored);
    }
}

}  // namespace eddy::agent::detail
