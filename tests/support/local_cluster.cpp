#include "local_cluster.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#ifndef EDDY_EXECUTOR_PATH
#error "EDDY_EXECUTOR_PATH must be defined by the build"
#endif

namespace eddy::testing {

namespace {

std::string random_token() {
    std::random_device device;
    std::ostringstream out;
    for (int i = 0; i < 4; ++i) {
        out << std::hex << device();
    }
    return out.str();
}

}  // namespace

std::string local_cluster::executor_path() {
    if (const char* path = std::getenv("EDDY_EXECUTOR")) {
        return path;
    }
    return EDDY_EXECUTOR_PATH;
}

local_cluster::local_cluster(std::filesystem::path dir, link kind)
    : _dir(std::move(dir)), _link(kind), _token(random_token()) {}

local_cluster::~local_cluster() {
    for (auto& i : _instances) {
        if (i.process) {
            i.process->signal(SIGKILL);
        }
    }
}

void local_cluster::add(executor_spec spec) {
    _specs.push_back(std::move(spec));
}

std::string local_cluster::endpoint(const std::string& name, std::uint32_t index) const {
    return find(name, index).endpoint;
}

const local_cluster::instance& local_cluster::find(const std::string& name,
                                                   std::uint32_t index) const {
    for (const auto& i : _instances) {
        if (i.name == name && i.index == index) {
            return i;
        }
    }
    throw std::invalid_argument("no instance " + name + "[" + std::to_string(index) + "]");
}

child_process& local_cluster::process(const std::string& name, std::uint32_t index) {
    return *find(name, index).process;
}

void local_cluster::start(std::chrono::milliseconds timeout) {
    nlohmann::json computations = nlohmann::json::array();
    for (const auto& spec : _specs) {
        nlohmann::json item;
        item["name"] = spec.name;
        if (!spec.builtin.empty()) {
            item["run"] = nlohmann::json{{"builtin", spec.builtin}};
        } else if (!spec.library.empty()) {
            item["run"] = nlohmann::json{{"library", spec.library}, {"class", spec.class_name}};
        } else {
            item["run"] =
                nlohmann::json{{"command", spec.command},
                               {"workdir", spec.workdir.empty() ? _dir.string() : spec.workdir},
                               {"attach", spec.attach},
                               {"timeout_ms", spec.timeout_ms}};
        }
        item["instances"] = spec.instances;
        nlohmann::json inputs = nlohmann::json::array();
        for (const auto& [stream, by] : spec.inputs) {
            inputs.push_back({{"stream", stream}, {"grouping", by}});
        }
        item["inputs"] = inputs;
        item["outputs"] = spec.outputs;
        item["config"] = spec.config;
        item["delivery"] = spec.delivery;
        nlohmann::json endpoints = nlohmann::json::array();
        for (std::uint32_t n = 0; n < spec.instances; ++n) {
            const std::string address =
                _link == link::unix_socket
                    ? "unix:" + (_dir / (spec.name + "-" + std::to_string(n) + ".sock")).string()
                    : "tcp://127.0.0.1:" + std::to_string(free_port());
            endpoints.push_back(address);
            _instances.push_back({spec.name, n, address, spec.extra_args, nullptr, 0});
        }
        item["endpoints"] = endpoints;
        computations.push_back(std::move(item));
    }
    std::ofstream(topology_path())
        << nlohmann::json{{"epoch", 1}, {"computations", computations}}.dump(2);
    std::ofstream token_file(_dir / "admin.token");
    token_file << _token << "\n";
    token_file.close();
    // Downstream first: upstream channels then connect at once (they would
    // wait for their receivers anyway; this only makes starts quicker).
    for (auto it = _instances.rbegin(); it != _instances.rend(); ++it) {
        launch(*it, timeout);
    }
}

void local_cluster::launch(instance& which, std::chrono::milliseconds timeout) {
    const auto stem = which.name + "-" + std::to_string(which.index);
    const auto port_file = _dir / (stem + ".port");
    std::filesystem::remove(port_file);
    which.admin_port = 0;  // a restart that fails must not pass for the last run's port
    child_process::options opts;
    opts.args = {executor_path(),
                 "--topology",
                 topology_path(),
                 "--computation",
                 which.name,
                 "--index",
                 std::to_string(which.index),
                 "--admin-port-file",
                 port_file.string(),
                 "--admin-token-file",
                 (_dir / "admin.token").string(),
                 "--state-dir",
                 (_dir / "state" / stem).string(),
                 "--handoff-dir",
                 handoff_dir().string()};
    opts.args.insert(opts.args.end(), which.extra_args.begin(), which.extra_args.end());
    opts.stdout_path = _dir / (stem + ".out");
    opts.stderr_path = _dir / (stem + ".log");
    which.process = std::make_unique<child_process>(std::move(opts));
    const bool listening = wait_until(
        [&] {
            std::ifstream in(port_file);
            int port = 0;
            if (in >> port && port > 0) {
                which.admin_port = port;
                return true;
            }
            return !which.process->running();
        },
        timeout);
    if (!listening || which.admin_port == 0) {
        throw std::runtime_error("executor " + stem +
                                 " did not start: " + which.process->stderr_text());
    }
}

void local_cluster::restart(const std::string& name, std::uint32_t index,
                            std::chrono::milliseconds timeout) {
    for (auto& i : _instances) {
        if (i.name == name && i.index == index) {
            if (i.process && i.process->running()) {
                i.process->signal(SIGKILL);
                (void)i.process->wait_exit(timeout);
            }
            launch(i, timeout);
            return;
        }
    }
    throw std::invalid_argument("no instance " + name);
}

int local_cluster::admin_port(const std::string& name, std::uint32_t index) const {
    return find(name, index).admin_port;
}

std::optional<std::string> local_cluster::metrics(const std::string& name,
                                                  std::uint32_t index) const {
    const auto& which = find(name, index);
    httplib::Client client("127.0.0.1", which.admin_port);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(5, 0);
    auto response = client.Get("/metrics", {{"Authorization", "Bearer " + _token}});
    if (!response || response->status != 200) {
        return std::nullopt;
    }
    return response->body;
}

std::optional<double> local_cluster::metric(const std::string& name, std::uint32_t index,
                                            const std::string& metric) const {
    const auto page = metrics(name, index);
    if (!page) {
        return std::nullopt;
    }
    std::istringstream lines(*page);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind(metric, 0) == 0 && line.size() > metric.size() &&
            (line[metric.size()] == '{' || line[metric.size()] == ' ')) {
            return std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return std::nullopt;
}

bool local_cluster::wait_exit_all(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool all_zero = true;
    for (auto& i : _instances) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const auto status = i.process->wait_exit(std::max(left, std::chrono::milliseconds(1)));
        if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
            all_zero = false;
        }
    }
    return all_zero;
}

std::string local_cluster::logs() const {
    std::string all;
    for (const auto& i : _instances) {
        all += "---- " + i.name + "[" + std::to_string(i.index) + "]\n";
        all += i.process ? i.process->stderr_text() : "(not started)\n";
    }
    return all;
}

}  // namespace eddy::testing
