#include "process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace eddy::testing {

namespace fs = std::filesystem;

temp_dir::temp_dir(std::string_view prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
    }
    _path = pattern;
}

temp_dir::~temp_dir() {
    if (std::getenv("EDDY_KEEP_TEST_DIRS") != nullptr) {
        return;
    }
    std::error_code ignored;
    fs::remove_all(_path, ignored);
}

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error(std::string("bind/getsockname: ") + std::strerror(errno));
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

child_process::child_process(options opts) : _opts(std::move(opts)) {
    if (_opts.args.empty()) {
        throw std::invalid_argument("child_process: no program");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!_opts.stdout_path.empty()) {
        posix_spawn_file_actions_addopen(&actions, 1, _opts.stdout_path.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    if (!_opts.stderr_path.empty()) {
        posix_spawn_file_actions_addopen(&actions, 2, _opts.stderr_path.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        if (!_opts.extra_env.contains(name)) {
            env_strings.push_back(entry);
        }
    }
    for (const auto& [name, value] : _opts.extra_env) {
        env_strings.push_back(name + "=" + value);
    }
    std::vector<char*> argv;
    for (auto& a : _opts.args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    const int rc = ::posix_spawn(&_pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw std::runtime_error("spawn " + _opts.args[0] + ": " + std::strerror(rc));
    }
}

child_process::child_process(child_process&& other) noexcept
    : _opts(std::move(other._opts)), _pid(other._pid), _status(other._status) {
    other._pid = -1;
}

child_process::~child_process() {
    if (_pid > 0 && !_status) {
        ::kill(_pid, SIGKILL);
        int status = 0;
        ::waitpid(_pid, &status, 0);
    }
}

void child_process::signal(int sig) const {
    if (_pid > 0) {
        ::kill(_pid, sig);
    }
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
    if (_status) {
        return _status;
    }
    const bool exited = wait_until(
        [this] {
            int status = 0;
            const pid_t r = ::waitpid(_pid, &status, WNOHANG);
            if (r == _pid) {
                _status = status;
                return true;
            }
            return false;
        },
        timeout);
    return exited ? _status : std::nullopt;
}

bool child_process::running() {
    if (_status) {
        return false;
    }
    int status = 0;
    if (::waitpid(_pid, &status, WNOHANG) == _pid) {
        _status = status;
        return false;
    }
    return true;
}

std::size_t child_process::resident_bytes() const {
    std::ifstream in("/proc/" + std::to_string(_pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            std::istringstream fields(line.substr(6));
            std::size_t kib = 0;
            fields >> kib;
            return kib * 1024;
        }
    }
    return 0;
}

std::string child_process::stderr_text() const {
    return read_file(_opts.stderr_path);
}
std::string child_process::stdout_text() const {
    return read_file(_opts.stdout_path);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(1);
    while (true) {
        if (condition()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace eddy::testing
