#include "executor_fleet.hpp"

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

double sum_metric(const std::string& page, std::string_view name) {
    double total = 0;
    std::istringstream lines(page);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind(name, 0) == 0 && line.size() > name.size() &&
            (line[name.size()] == '{' || line[name.size()] == ' ')) {
            total += std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return total;
}

}  // namespace

executor_fleet::executor_fleet(std::filesystem::path home, std::string executor_path,
                               agent::supervisor::change_callback on_change)
    : _home(std::move(home)),
      _executor_path(std::move(executor_path)),
      _token(load_or_make_token(_home / "executor.token")),
      _supervisor(agent::supervisor_options{},
                  [this, forward = std::move(on_change)](const agent::process_status& s) {
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
}

void executor_fleet::write_document(const std::string& document) {
    write_file_atomically(_home / "topology.json", document);
}

std::filesystem::path executor_fleet::log_path(std::string_view computation,
                                               std::uint32_t index) const {
    return _home / "logs" / (std::string(computation) + "-" + std::to_string(index) + ".log");
}

agent::process_spec executor_fleet::spec_for(const computation_record& computation,
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
                 "--handoff-dir", handoff_dir().string()};
    for (const auto& [name, value] : computation.spec.environment) {
        spec.env.emplace(name, value);
    }
    spec.log_path = log_path(computation.spec.name, instance.index);
    spec.pid_path = run / (std::to_string(instance.id) + ".pid");
    return spec;
}

std::optional<int> executor_fleet::admin_port(const instance_record& instance) const {
    std::ifstream in(run_dir() / (std::to_string(instance.id) + ".port"));
    int port = 0;
    if (in >> port && port > 0) {
        return port;
    }
    return std::nullopt;
}

std::optional<agent::process_status> executor_fleet::status(const instance_record& instance) const {
    if (auto s = _supervisor.status(process_id(instance))) {
        return s;
    }
    if (std::filesystem::exists(finished_marker(instance))) {
        return agent::process_status{process_id(instance), agent::process_state::finished, -1, 0,
                                     ""};
    }
    return std::nullopt;
}

bool executor_fleet::wait_ready(const instance_record& instance,
                                std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = 2ms;
    while (std::chrono::steady_clock::now() < deadline) {
        if (const auto port = admin_port(instance)) {
            httplib::Client client("127.0.0.1", *port);
            client.set_connection_timeout(1, 0);
            if (auto res = client.Get("/health", {{"Authorization", "Bearer " + _token}});
                res && res->status == 200) {
                return true;
            }
        }
        const auto s = status(instance);
        if (s && s->state != agent::process_state::running &&
            s->state != agent::process_state::backing_off) {
            return false;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, 100ms);
    }
    return false;
}

void executor_fleet::ensure_running(const computation_record& computation,
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

bool executor_fleet::push(const instance_record& instance, const std::string& document) {
    const auto port = admin_port(instance);
    if (!port) {
        return false;
    }
    httplib::Client client("127.0.0.1", *port);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(20, 0);
    auto res = client.Put("/topology", {{"Authorization", "Bearer " + _token}}, document,
                          "application/json");
    if (!res || res->status != 200) {
        eddy::log().warn("instance {} did not take the new topology: {}", instance.id,
                         res ? res->body : httplib::to_string(res.error()));
        return false;
    }
    return true;
}

tl::expected<nlohmann::json, std::string> executor_fleet::handoff(
    const instance_record& instance, const std::string& action, const nlohmann::json& body,
    std::chrono::milliseconds timeout) {
    const auto port = admin_port(instance);
    if (!port) {
        return tl::unexpected(
            fmt::format("instance {} has no admin port (not running)", instance.id));
    }
    httplib::Client client("127.0.0.1", *port);
    client.set_connection_timeout(2, 0);
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
    client.set_read_timeout(static_cast<time_t>(std::max<std::int64_t>(1, seconds)), 0);
    auto res = client.Post("/handoff/" + action, {{"Authorization", "Bearer " + _token}},
                           body.dump(), "application/json");
    if (!res) {
        return tl::unexpected(fmt::format("instance {}: handoff/{}: {}", instance.id, action,
                                          httplib::to_string(res.error())));
    }
    auto answer = nlohmann::json::parse(res->body, nullptr, false);
    if (res->status != 200 || answer.is_discarded()) {
        return tl::unexpected(
            fmt::format("instance {}: handoff/{}: {}", instance.id, action, res->body));
    }
    return answer;
}

void executor_fleet::stop(const instance_record& instance, std::chrono::milliseconds grace) {
    _supervisor.stop(process_id(instance), grace);
    _supervisor.forget(process_id(instance));
    std::filesystem::remove(run_dir() / (std::to_string(instance.id) + ".port"));
    std::filesystem::remove(run_dir() / (std::to_string(instance.id) + ".pid"));
}

void executor_fleet::restart(const computation_record& computation, const instance_record& instance,
                             std::chrono::milliseconds timeout) {
    std::filesystem::remove(run_dir() / (std::to_string(instance.id) + ".port"));
    _supervisor.replace(spec_for(computation, instance), std::chrono::seconds(10));
    if (!wait_ready(instance, timeout)) {
        eddy::log().warn("{}[{}] did not come back within the timeout", computation.spec.name,
                         instance.index);
    }
}

std::optional<instance_counters> executor_fleet::scrape(const instance_record& instance) {
    const auto port = admin_port(instance);
    if (!port) {
        return std::nullopt;
    }
    httplib::Client client("127.0.0.1", *port);
    client.set_connection_timeout(0, 300'000);
    client.set_read_timeout(1, 0);
    auto res = client.Get("/metrics", {{"Authorization", "Bearer " + _token}});
    if (!res || res->status != 200) {
        return std::nullopt;
    }
    return instance_counters{sum_metric(res->body, "eddy_records_in_total"),
                             sum_metric(res->body, "eddy_records_out_total"),
                             sum_metric(res->body, "eddy_records_dropped_total"),
                             sum_metric(res->body, "eddy_queue_depth_batches"),
                             sum_metric(res->body, "eddy_blocked_on_credit_seconds_total")};
}

}  // namespace eddy::control
