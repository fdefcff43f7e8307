#include "cluster_fixture.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <iostream>

namespace eddy::testing {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

std::ostream& operator<<(std::ostream& os, const cli_result& r) {
    return os << "exit " << r.exit_code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

bool process_alive(pid_t pid) {
    if (pid <= 0) {
        return false;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) {
        return false;
    }
    // The state follows the command name, which is in parentheses and may
    // itself hold spaces and parentheses: look after the last ')'.
    const auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

std::int64_t counter_of(const json& instance, const std::string& name) {
    if (instance.is_object() && instance.contains("counters") &&
        instance["counters"].contains(name)) {
        return instance["counters"][name].get<std::int64_t>();
    }
    return 0;
}

std::size_t count_lines(const fs::path& file) {
    const auto text = read_file(file);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

namespace {

// Only processes that are ours are killed at teardown: a pid read from the
// API long ago could in principle belong to someone else by now.
bool is_eddy_process(pid_t pid) {
    const auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    return cmdline.find("eddy") != std::string::npos;
}

}  // namespace

cluster_test::cluster_test() : _dir("eddy-e2e"), _home(_dir.path() / "home") {}

void cluster_test::TearDown() {
    if (fs::exists(_home / "api.port")) {
        if (const auto s = eddy({"status", "--json"}, 10s); s.exit_code == 0) {
            const auto document = json::parse(s.out, nullptr, false);
            if (!document.is_discarded() && document.contains("pid")) {
                _seen_pids.insert(document["pid"].get<pid_t>());
            }
            (void)instances();
            const auto down = eddy({"down", "--timeout", "30"}, 40s);
            EXPECT_EQ(down.exit_code, 0) << "eddy down\n" << down;
        }
    }
    // `eddy down` stops every executor before the coordinator exits; give
    // the kernel a moment to reap them, then kill what is left, loudly.
    const bool all_gone = wait_until(
        [&] {
            for (const auto pid : _seen_pids) {
                if (process_alive(pid) && is_eddy_process(pid)) {
                    return false;
                }
            }
            return true;
        },
        5s);
    if (!all_gone) {
        std::string left;
        for (const auto pid : _seen_pids) {
            if (process_alive(pid) && is_eddy_process(pid)) {
                left += " " + std::to_string(pid);
                ::kill(pid, SIGKILL);
            }
        }
        ADD_FAILURE() << "processes still running after teardown, killed:" << left;
    }
    if (HasFailure()) {
        std::cerr << "--- coordinator.log (end)\n" << coordinator_log() << "\n";
    }
}

cli_result cluster_test::eddy(const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout) {
    const auto run = ++_runs;
    child_process::options options;
    options.args = {EDDY_CLI_PATH, "--home", _home.string()};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.stdout_path = _dir.path() / ("cli-" + std::to_string(run) + ".out");
    options.stderr_path = _dir.path() / ("cli-" + std::to_string(run) + ".err");
    child_process cli(std::move(options));
    cli_result result;
    if (const auto status = cli.wait_exit(timeout); status && WIFEXITED(*status)) {
        result.exit_code = WEXITSTATUS(*status);
    }
    result.out = cli.stdout_text();
    result.err = cli.stderr_text();
    return result;
}

void cluster_test::up() {
    const auto result = eddy({"up", "--detach"}, 40s);
    ASSERT_EQ(result.exit_code, 0) << "eddy up --detach\n" << result;
    const auto s = status();
    if (s.contains("pid")) {
        _seen_pids.insert(s["pid"].get<pid_t>());
    }
}

json cluster_test::computations() {
    const auto result = eddy({"ls", "--json"}, 20s);
    EXPECT_EQ(result.exit_code, 0) << "eddy ls --json\n" << result;
    const auto document = json::parse(result.out, nullptr, false);
    if (result.exit_code != 0 || document.is_discarded() || !document.contains("computations")) {
        ADD_FAILURE() << "eddy ls --json gave no list\n" << result;
        return json::array();
    }
    return document["computations"];
}

json cluster_test::instances() {
    const auto result = eddy({"ls", "--instances", "--json"}, 20s);
    EXPECT_EQ(result.exit_code, 0) << "eddy ls --instances --json\n" << result;
    const auto document = json::parse(result.out, nullptr, false);
    if (result.exit_code != 0 || document.is_discarded() || !document.contains("instances")) {
        ADD_FAILURE() << "eddy ls --instances --json gave no list\n" << result;
        return json::array();
    }
    remember(document["instances"]);
    return document["instances"];
}

json cluster_test::status() {
    const auto result = eddy({"status", "--json"}, 20s);
    EXPECT_EQ(result.exit_code, 0) << "eddy status --json\n" << result;
    const auto document = json::parse(result.out, nullptr, false);
    return document.is_discarded() ? json::object() : document;
}

void cluster_test::remember(const json& list) {
    for (const auto& i : list) {
        if (i.contains("pid") && i["pid"].is_number_integer() && i["pid"].get<pid_t>() > 0) {
            _seen_pids.insert(i["pid"].get<pid_t>());
        }
    }
}

pid_map cluster_test::running_pids(const std::set<std::string>& names) {
    pid_map pids;
    for (const auto& i : instances()) {
        const auto name = i["computation"].get<std::string>();
        if ((names.empty() || names.contains(name)) && i["state"] == "running") {
            pids[{name, i["index"].get<std::uint32_t>()}] = i["pid"].get<pid_t>();
        }
    }
    return pids;
}

json cluster_test::instance(const std::string& computation, std::uint32_t index) {
    for (const auto& i : instances()) {
        if (i["computation"] == computation && i["index"] == index) {
            return i;
        }
    }
    return nullptr;
}

std::string cluster_test::status_of(const std::string& computation) {
    for (const auto& c : computations()) {
        if (c["name"] == computation) {
            return c["status"].get<std::string>();
        }
    }
    return "";
}

bool cluster_test::wait_running(const std::set<std::string>& names,
                                std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
            std::set<std::string> seen;
            for (const auto& i : instances()) {
                const auto name = i["computation"].get<std::string>();
                if (!names.contains(name)) {
                    continue;
                }
                if (i["state"] != "running" || i["pid"].get<pid_t>() <= 0) {
                    return false;
                }
                seen.insert(name);
            }
            return seen == names;
        },
        timeout);
}

bool cluster_test::wait_all_finished(std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
            const auto list = computations();
            return !list.empty() && std::all_of(list.begin(), list.end(), [](const json& c) {
                return c["status"] == "finished";
            });
        },
        timeout);
}

fs::path cluster_test::write_manifest(const std::string& file_name, const std::string& yaml) {
    const auto file = _dir.path() / file_name;
    std::ofstream(file, std::ios::trunc) << yaml;
    return file;
}

void cluster_test::copy_library(const fs::path& from, const std::string& file_name) {
    fs::copy_file(from, _dir.path() / file_name, fs::copy_options::overwrite_existing);
}

std::string cluster_test::coordinator_log() const {
    const auto text = read_file(_home / "coordinator.log");
    constexpr std::size_t tail = 8000;
    return text.size() > tail ? text.substr(text.size() - tail) : text;
}

}  // namespace eddy::testing
