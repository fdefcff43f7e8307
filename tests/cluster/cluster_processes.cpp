#include "cluster_processes.hpp"

#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

namespace eddy::testing {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

}  // namespace

std::ostream& operator<<(std::ostream& os, const cli_run& r) {
    return os << "exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err;
}

cluster_processes::cluster_processes(cluster_options options)
    : _options(std::move(options)), _dir(_options.directory_prefix), _hosts(_options.hosts) {
    _zookeeper = std::make_unique<zookeeper_ensemble>(
        zookeeper_ensemble_options{.nodes = 3, .address = _hosts.bridge_address()});
    _token_file = write_file("token", "cluster-test-token-0123456789abcdef\n");
    std::filesystem::create_directories(_dir / "shared");
    _coordinators.resize(_options.coordinators);
    _agents.resize(_hosts.size());
    for (std::size_t n = 0; n < _coordinators.size(); ++n) {
        _coordinator_ports.push_back(free_port());
    }
}

cluster_processes::~cluster_processes() {
    stop();
}

void cluster_processes::stop() {
    if (_stopped) {
        return;
    }
    _stopped = true;
    for (auto& a : _agents) {
        if (a && a->running()) {
            a->signal(SIGTERM);
        }
    }
    for (auto& a : _agents) {
        if (a) {
            (void)a->wait_exit(20s);
        }
    }
    for (auto& c : _coordinators) {
        if (c && c->running()) {
            c->signal(SIGTERM);
            (void)c->wait_exit(10s);
        }
    }
    // Executors of agents that could not stop them (a cut host, a kill):
    // everything still running from this cluster's own directory.
    const auto command = "pkill -9 -f '" + _dir.path().string() + "/' >/dev/null 2>&1";
    (void)std::system(command.c_str());
}

std::string cluster_processes::coordinator_url(std::size_t n) const {
    return "http://" + _hosts.bridge_address() + ":" + std::to_string(_coordinator_ports.at(n));
}

void cluster_processes::start_coordinator(std::size_t n) {
    const auto home = _dir / ("coordinator-" + std::to_string(n));
    child_process::options o;
    o.args = {EDDY_CLI_PATH,
              "--home",
              home.string(),
              "--token-file",
              _token_file.string(),
              "coordinator",
              "--zookeeper",
              _zookeeper->hosts(),
              "--listen",
              _hosts.bridge_address() + ":" + std::to_string(_coordinator_ports.at(n)),
              "--session-timeout-ms",
              std::to_string(_options.session_timeout.count()),
              "--handoff-dir",
              (_dir / "shared" / "handoff").string()};
    o.stdout_path = _dir / ("coordinator-" + std::to_string(n) + ".log");
    o.stderr_path = o.stdout_path;
    o.extra_env = {{"EDDY_EXECUTOR", EDDY_EXECUTOR_PATH}};
    _coordinators.at(n) = std::make_unique<child_process>(std::move(o));
}

void cluster_processes::start_agent(std::size_t h) {
    const auto name = "host" + std::to_string(h);
    const auto home = _dir / ("agent-" + std::to_string(h));
    child_process::options o;
    o.args = _hosts.run_on(
        h, {EDDY_CLI_PATH, "--home", home.string(), "--token-file", _token_file.string(), "agent",
            "--zookeeper", _zookeeper->hosts(), "--name", name, "--address", _hosts.address(h),
            "--backup-dir", (_dir / "shared").string(), "--session-timeout-ms",
            std::to_string(_options.session_timeout.count()), "--cpu",
            std::to_string(_options.cores_per_host)});
    o.stdout_path = _dir / ("agent-" + std::to_string(h) + ".log");
    o.stderr_path = o.stdout_path;
    o.extra_env = {{"EDDY_EXECUTOR", EDDY_EXECUTOR_PATH}};
    _agents.at(h) = std::make_unique<child_process>(std::move(o));
}

bool cluster_processes::stop_agent(std::size_t h) {
    auto& a = _agents.at(h);
    if (!a || !a->running()) {
        return true;
    }
    a->signal(SIGTERM);
    return a->wait_exit(20s).has_value();
}

cli_run cluster_processes::eddy(const std::vector<std::string>& args, std::size_t via,
                                std::chrono::milliseconds timeout) {
    const auto run = ++_runs;
    child_process::options o;
    o.args = {EDDY_CLI_PATH,        "--home",       (_dir / "cli-home").string(), "--coordinator",
              coordinator_url(via), "--token-file", _token_file.string()};
    o.args.insert(o.args.end(), args.begin(), args.end());
    o.stdout_path = _dir / ("cli-" + std::to_string(run) + ".out");
    o.stderr_path = _dir / ("cli-" + std::to_string(run) + ".err");
    child_process cli(std::move(o));
    cli_run result;
    if (const auto status = cli.wait_exit(timeout); status && WIFEXITED(*status)) {
        result.exit_code = WEXITSTATUS(*status);
    }
    result.out = cli.stdout_text();
    result.err = cli.stderr_text();
    return result;
}

json cluster_processes::instances(std::size_t via) {
    const auto result = eddy({"ls", "--instances", "--json"}, via, 20s);
    if (result.exit_code != 0) {
        return json::array();
    }
    auto document = json::parse(result.out, nullptr, false);
    if (document.is_discarded()) {
        return json::array();
    }
    return document.contains("instances") ? document["instances"] : document;
}

std::optional<std::size_t> cluster_processes::wait_leader(std::chrono::milliseconds timeout) {
    std::optional<std::size_t> leader;
    (void)wait_until(
        [&] {
            for (std::size_t n = 0; n < _coordinators.size(); ++n) {
                if (!_coordinators[n] || !_coordinators[n]->running()) {
                    continue;
                }
                httplib::Client client(_hosts.bridge_address(), _coordinator_ports[n]);
                client.set_connection_timeout(0, 300'000);
                if (auto res = client.Get("/api/v1/health"); res && res->status == 200) {
                    auto health = json::parse(res->body, nullptr, false);
                    if (!health.is_discarded() && health.value("role", "") == "leader") {
                        leader = n;
                        return true;
                    }
                }
            }
            return false;
        },
        timeout);
    return leader;
}

std::optional<std::size_t> cluster_processes::registered_agents(std::size_t via) {
    const auto result = eddy({"status", "--json"}, via, 10s);
    auto document = json::parse(result.out, nullptr, false);
    if (result.exit_code != 0 || document.is_discarded() || !document.contains("agents")) {
        return std::nullopt;
    }
    return document["agents"].size();
}

bool cluster_processes::wait_agents(std::size_t count, std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
            const auto agents = registered_agents();
            return agents && *agents >= count;
        },
        timeout);
}

std::filesystem::path cluster_processes::write_file(const std::string& name,
                                                    const std::string& text) {
    const auto file = _dir / name;
    std::ofstream(file) << text;
    return file;
}

std::string cluster_processes::logs() const {
    std::string out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(_dir.path())) {
        const auto& p = entry.path();
        if (entry.is_regular_file() && p.extension() == ".log" &&
            p.string().find("zookeeper") == std::string::npos) {
            auto text = read_file(p);
            if (text.size() > 6000) {
                text = "..." + text.substr(text.size() - 6000);
            }
            out += "==== " + p.string() + "\n" + text + "\n";
        }
    }
    return out;
}

}  // namespace eddy::testing
