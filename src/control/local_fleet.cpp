#include "local_fleet.hpp"

#include "base/files.hpp"
#include "base/log.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace eddy::control {

namespace {

using namespace std::chrono_literals;

// The token executors require on their admin interface: kept across
// coordinator restarts so adopted executors still answer.
std::string load_or_make_token(const std::filesystem::path& path) {
    if (auto existing = read_file_or_empty(path); !existing.empty()) {
        return existing.substr(0, existing.find('\n'));
    }
    auto token = random_token();
    write_file_atomically(path, token + "\n", private_file);
    return token;
}

bool is_our_executor(pid_t pid, std::uint32_t id) {
    if (pid <= 0 || ::kill(pid, 0) != 0) {
        return false;
    }
    auto cmdline = read_file_or_empty("/proc/" + std::to_string(pid) + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    return cmdline.find("eddy-executor") != std::string::npos &&
           cmdline.find("/" + std::to_string(id) + ".port") != std::string::npos;
}

}  // namespace

local_fleet::local_fleet(local_fleet_options options)
    : _home(std::move(options.home)),
      _executor_path(std::move(options.executor_path)),
      _admin_host(std::move(options.admin_host)),
      _token(options.token.empty() ? load_or_make_token(_home / "executor.token")
                                   : std::move(options.token)),
      _handoff_dir(options.handoff_dir.empty() ? _home / "handoff"
                                               : std::move(options.handoff_dir)),
      _changelog_root(std::move(options.changelog_root)),
      _lease_file(std::move(options.lease_file)),
      _lease_timeout(options.lease_timeout),
      _supervisor(agent::supervisor_options{},
                  [this, forward = std::move(options.on_change)](const agent::process_status& s) {
                      if (s.state == agent::process_state::finished) {
                          // Remembered across coordinator restarts.
                          std::ofstream(run_dir() / (s.id + ".finished")) << "0\n";
                      }
                      if (forward) {
                          forward(s);
                      }
                  }) {
    std::filesystem::create_directories(_home / "run");
    std::filesystem::create_directories(_home / "logs");
    if (read_file_or_empty(_home / "executor.token") != _token + "\n") {
        write_file_atomically(_home / "executor.token", _token + "\n", private_file);
    }
}

void local_fleet::write_document(const std::string& document) {
    write_file_atomically(_home / "topology.json", document);
}

std::string local_fleet::place(const computation_record& /*computation*/,
                               std::uint32_t instance_id) {
    // Short names: a Unix socket path must fit in 107 bytes.
    return "unix:" + (run_dir() / (std::to_string(instance_id) + ".sock")).string();
}

std::filesystem::path local_fleet::log_path(std::string_view computation,
                                            std::uint32_t index) const {
    return _home / "logs" / (std::string(computation) + "-" + std::to_string(index) + ".log");
}

agent::process_spec local_fleet::spec_for(const computation_record& computation,
                                          const instance_record& instance) const {
    const auto run = run_dir();
    agent::process_spec spec;
    spec.id = process_id(instance);
    spec.args = {_executor_path, "--topology", (_home / "topology.json").string(), "--computation",
                 computation.spec.name, "--index", std::to_string(instance.index),
                 "--admin-port-file", (run / (std::to_string(instance.id) + ".port")).string(),
                 "--admin-token-file", (_home / "executor.token").string(),
                 // Kept by instance id, which scaling never reuses: an
                 // update restarts the instance on the same state.
                 "--state-dir", (_home / "state" / std::to_string(instance.id)).string(),
                 "--handoff-dir", handoff_dir().string(), "--admin-host", _admin_host,
                 // The coordinator scrapes every second: a finished instance
                 // waits for it, so that its final counts are kept.
                 "--final-scrape-wait-ms", "3000",
                 // Read when this process was adopted and ends (the marker
                 // the supervisor's callback writes for its own children).
                 "--finished-file", finished_marker(instance).string()};
    if (!_lease_file.empty()) {
        spec.args.insert(spec.args.end(), {"--lease-file", _lease_file.string(), "--lease-ms",
                                           std::to_string(_lease_timeout.count())});
    }
    if (!_changelog_root.empty()) {
        spec.args.insert(
            spec.args.end(),
            {"--changelog-dir", (_changelog_root / std::to_string(instance.id)).string()});
    }
    for (const auto& [name, value] : computation.spec.environment) {
        spec.env.emplace(name, value);
    }
    spec.log_path = log_path(computation.spec.name, instance.index);
    spec.pid_path = run / (std::to_string(instance.id) + ".pid");
    spec.finished_path = finished_marker(instance);
    return spec;
}

std::optional<int> local_fleet::admin_port(std::uint32_t instance_id) const {
    std::ifstream in(run_dir() / (std::to_string(instance_id) + ".port"));
    int port = 0;
    if (in >> port && port > 0) {
        return port;
    }
    return std::nullopt;
}

std::optional<admin_address> local_fleet::admin_of(const instance_record& instance) const {
    if (const auto port = admin_port(instance.id)) {
        return admin_address{_admin_host, *port};
    }
    return std::nullopt;
}

std::optional<agent::process_status> local_fleet::status(const instance_record& instance) const {
    if (auto s = _supervisor.status(process_id(instance))) {
        return s;
    }
    if (std::filesystem::exists(finished_marker(instance))) {
        return agent::process_status{process_id(instance), agent::process_state::finished, -1, 0,
                                     ""};
    }
    return std::nullopt;
}

bool local_fleet::wait_ready(const instance_record& instance, std::chrono::milliseconds timeout) {
    return wait_healthy(instance, timeout, [&] {
        const auto s = status(instance);
        return !s || s->state == agent::process_state::running ||
               s->state == agent::process_state::backing_off;
    });
}

void local_fleet::ensure_running(const computation_record& computation,
                                 const instance_record& instance,
                                 std::chrono::milliseconds timeout) {
    if (const auto s = status(instance); s && s->state == agent::process_state::running) {
        return;
    }
    if (std::filesystem::exists(finished_marker(instance))) {
        return;  // its bounded input ended earlier: running it again would repeat it
    }
    auto spec = spec_for(computation, instance);
    bool adopted = false;
    if (auto pid_text = read_file_or_empty(spec.pid_path); !pid_text.empty()) {
        const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
        if (is_our_executor(pid, instance.id)) {
            _supervisor.forget(spec.id);
            adopted = _supervisor.adopt(spec, pid);
            if (adopted) {
                eddy::log().info("adopted {}[{}] (instance {}, pid {})", computation.spec.name,
                                 instance.index, instance.id, pid);
            }
        }
    }
    if (!adopted) {
        std::filesystem::remove(run_dir() / (std::to_string(instance.id) + ".port"));
        _supervisor.forget(spec.id);
        _supervisor.start(std::move(spec));
    }
    if (!wait_ready(instance, timeout)) {
        eddy::log().warn("{}[{}] (instance {}) is not serving its admin interface yet",
                         computation.spec.name, instance.index, instance.id);
    }
}

void local_fleet::stop(const instance_record& instance, std::chrono::milliseconds grace) {
    _supervisor.stop(process_id(instance), grace);
    _supervisor.forget(process_id(instance));
    std::filesystem::remove(run_dir() / (std::to_string(instance.id) + ".port"));
    std::filesystem::remove(run_dir() / (std::to_string(instance.id) + ".pid"));
}

void local_fleet::restart(const computation_record& computation, const instance_record& instance,
                          std::chrono::milliseconds timeout) {
    std::filesystem::remove(run_dir() / (std::to_string(instance.id) + ".port"));
    _supervisor.replace(spec_for(computation, instance), std::chrono::seconds(10));
    if (!wait_ready(instance, timeout)) {
        eddy::log().warn("{}[{}] did not come back within the timeout", computation.spec.name,
                         instance.index);
    }
}

}  // namespace eddy::control
