#include "eddy_home.hpp"

#include "support/process.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace eddy::bench {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Alive, not a zombie, and an eddy program (a pid seen long ago could
// belong to someone else by now): /proc/<pid>/stat's state and cmdline.
bool running_eddy_process(pid_t pid) {
    if (pid <= 0) {
        return false;
    }
    const auto proc = fs::path("/proc") / std::to_string(pid);
    const auto stat = testing::read_file(proc / "stat");
    const auto name_end = stat.rfind(')');
    if (name_end == std::string::npos || name_end + 2 >= stat.size() || stat[name_end + 2] == 'Z') {
        return false;
    }
    return testing::read_file(proc / "cmdline").find("eddy") != std::string::npos;
}

std::string command_text(const std::vector<std::string>& args) {
    return fmt::format("eddy {}", fmt::join(args, " "));
}

}  // namespace

eddy_home::eddy_home(fs::path cli_path, fs::path dir)
    : _cli(std::move(cli_path)), _dir(std::move(dir)), _home(_dir / "home") {}

eddy_home::~eddy_home() {
    shut_down();
}

void eddy_home::shut_down() noexcept {
    try {
        if (fs::exists(_home / "api.port")) {
            if (const auto s = run({"--json", "status"}, 10s); s.exit_code == 0) {
                const auto document = nlohmann::json::parse(s.out, nullptr, false);
                if (document.is_object() && document.contains("pid")) {
                    _seen_pids.insert(document["pid"].get<pid_t>());
                }
                (void)instances();
            }
            if (const auto down = run({"down", "--timeout", "30"}, 40s); down.exit_code != 0) {
                std::fprintf(stderr, "scale_bench: eddy down exited %d: %s\n", down.exit_code,
                             down.err.c_str());
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scale_bench: stopping the home: %s\n", e.what());
    }
    const auto left = [&] {
        std::vector<pid_t> alive;
        for (const auto pid : _seen_pids) {
            if (running_eddy_process(pid)) {
                alive.push_back(pid);
            }
        }
        return alive;
    };
    if (testing::wait_until([&] { return left().empty(); }, 5s)) {
        return;
    }
    for (const auto pid : left()) {
        std::fprintf(stderr, "scale_bench: pid %d still runs after eddy down; killing it\n",
                     static_cast<int>(pid));
        ::kill(pid, SIGKILL);
    }
}

cli_result eddy_home::run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    const auto n = ++_runs;
    testing::child_process::options options;
    options.args = {_cli.string(), "--home", _home.string()};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.stdout_path = _dir / fmt::format("cli-{}.out", n);
    options.stderr_path = _dir / fmt::format("cli-{}.err", n);
    testing::child_process cli(std::move(options));
    cli_result result;
    if (const auto status = cli.wait_exit(timeout); status && WIFEXITED(*status)) {
        result.exit_code = WEXITSTATUS(*status);
    }
    result.out = cli.stdout_text();
    result.err = cli.stderr_text();
    return result;
}

nlohmann::json eddy_home::json(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout) {
    std::vector<std::string> with_json = {"--json"};
    with_json.insert(with_json.end(), args.begin(), args.end());
    const auto result = run(with_json, timeout);
    auto document = nlohmann::json::parse(result.out, nullptr, false);
    if (result.exit_code != 0 || !document.is_object()) {
        throw std::runtime_error(fmt::format(
            "{} {} (timeout {} ms)\n--- stdout\n{}--- stderr\n{}--- coordinator.log (end)\n{}",
            command_text(with_json),
            result.exit_code < 0 ? std::string("did not exit")
                                 : fmt::format("exited {}", result.exit_code),
            timeout.count(), result.out, result.err, coordinator_log_tail()));
    }
    return document;
}

void eddy_home::up() {
    const auto result = run({"up", "--detach"}, 40s);
    if (result.exit_code != 0) {
        throw std::runtime_error(fmt::format("eddy up --detach exited {}\n{}{}\n{}",
                                             result.exit_code, result.out, result.err,
                                             coordinator_log_tail()));
    }
    const auto status = json({"status"}, 20s);
    if (status.contains("pid")) {
        _seen_pids.insert(status["pid"].get<pid_t>());
    }
}

nlohmann::json eddy_home::instances() {
    auto document = json({"ls", "--instances"}, 20s);
    if (!document.contains("instances") || !document["instances"].is_array()) {
        throw std::runtime_error("eddy ls --instances --json has no \"instances\": " +
                                 document.dump());
    }
    remember(document["instances"]);
    return document["instances"];
}

nlohmann::json eddy_home::computations() {
    auto document = json({"ls"}, 20s);
    if (!document.contains("computations") || !document["computations"].is_array()) {
        throw std::runtime_error("eddy ls --json has no \"computations\": " + document.dump());
    }
    return document["computations"];
}

void eddy_home::remember(const nlohmann::json& list) {
    for (const auto& i : list) {
        if (i.contains("pid") && i["pid"].is_number_integer() && i["pid"].get<pid_t>() > 0) {
            _seen_pids.insert(i["pid"].get<pid_t>());
        }
    }
}

void eddy_home::wait_running(const std::vector<std::pair<std::string, std::uint32_t>>& names,
                             std::chrono::milliseconds timeout) {
    nlohmann::json last;
    const bool all = testing::wait_until(
        [&] {
            last = instances();
            for (const auto& [name, count] : names) {
                std::uint32_t running = 0;
                for (const auto& i : last) {
                    if (i["computation"] == name && i["state"] == "running" &&
                        i["pid"].get<pid_t>() > 0) {
                        ++running;
                    }
                }
                if (running != count) {
                    return false;
                }
            }
            return true;
        },
        timeout);
    if (!all) {
        throw std::runtime_error(fmt::format("the instances did not all run within {} ms:\n{}\n{}",
                                             timeout.count(), last.dump(2),
                                             coordinator_log_tail()));
    }
}

admin_endpoint eddy_home::admin(std::uint32_t instance_id) const {
    const auto port_file = _home / "run" / fmt::format("{}.port", instance_id);
    const auto token_file = _home / "executor.token";
    admin_endpoint endpoint;
    std::ifstream(port_file) >> endpoint.port;
    std::ifstream(token_file) >> endpoint.token;
    if (endpoint.port <= 0 || endpoint.token.empty()) {
        throw std::runtime_error(fmt::format("no admin port in {} or no token in {}",
                                             port_file.string(), token_file.string()));
    }
    return endpoint;
}

std::string eddy_home::coordinator_log_tail() const {
    const auto text = testing::read_file(_home / "coordinator.log");
    constexpr std::size_t tail = 6000;
    return text.size() > tail ? text.substr(text.size() - tail) : text;
}

}  // namespace eddy::bench
