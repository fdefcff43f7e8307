#pragma once

// The coordinator's hands on the executors of this host: starts, adopts,
// restarts (through the agent's supervisor) and stops them, pushes new
// topology documents to running ones, and scrapes their counters. In local
// mode the agent is in process; cluster mode will put a network agent behind
// the same calls.
//
// Files under the home: `topology.json` (the current executor document, read
// by every executor that starts), `run/<id>.{sock,pid,port}`,
// `logs/<computation>-<index>.log`, `executor.token` (the executors' admin
// token, 0600).
//
// Threading: every method is safe from any thread; push and scrape do HTTP to
// the executors and may take up to their timeouts.

#include "agent/supervisor.hpp"
#include "topology_state.hpp"

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace eddy::control {

struct instance_counters {
    double records_in = 0;
    double records_out = 0;
    double records_dropped = 0;
    double queue_depth = 0;
    double blocked_seconds = 0;
};

class executor_fleet {
public:
    executor_fleet(std::filesystem::path home, std::string executor_path,
                   agent::supervisor::change_callback on_change);

    // Writes `document` as the home's topology.json (atomically).
    void write_document(const std::string& document);
    // Starts (or adopts, when its pid file names a live executor) the executor
    // of one instance; waits until it serves its admin interface.
    void ensure_running(const computation_record& computation, const instance_record& instance,
                        std::chrono::milliseconds timeout);
    // Sends the current document to a running instance and waits until it has
    // applied it. False if it did not answer or refused (logged).
    bool push(const instance_record& instance, const std::string& document);
    // A step of a rescale at one executor (POST /handoff/<action>): its JSON
    // answer, or why not (not running, refused, timed out).
    [[nodiscard]] tl::expected<nlohmann::json, std::string> handoff(
        const instance_record& instance, const std::string& action, const nlohmann::json& body,
        std::chrono::milliseconds timeout);
    [[nodiscard]] std::filesystem::path handoff_dir() const { return _home / "handoff"; }
    // Stops an instance's executor (SIGTERM: it drains; SIGKILL after grace).
    void stop(const instance_record& instance, std::chrono::milliseconds grace);
    // Restarts an instance on a new spec (update), waiting until it is back.
    void restart(const computation_record& computation, const instance_record& instance,
                 std::chrono::milliseconds timeout);
    // The executor's counters, or nullopt when it does not answer.
    [[nodiscard]] std::optional<instance_counters> scrape(const instance_record& instance);
    [[nodiscard]] std::vector<agent::process_status> processes() const {
        return _supervisor.list();
    }
    [[nodiscard]] std::optional<agent::process_status> status(
        const instance_record& instance) const;
    [[nodiscard]] std::filesystem::path log_path(std::string_view computation,
                                                 std::uint32_t index) const;
    [[nodiscard]] std::filesystem::path run_dir() const { return _home / "run"; }
    [[nodiscard]] static std::string process_id(const instance_record& instance) {
        return "instance-" + std::to_string(instance.id);
    }
    // Present once the instance has exited 0 (its bounded input ended).
    [[nodiscard]] std::filesystem::path finished_marker(const instance_record& instance) const {
        return run_dir() / (process_id(instance) + ".finished");
    }

private:
    [[nodiscard]] agent::process_spec spec_for(const computation_record& computation,
                                               const instance_record& instance) const;
    [[nodiscard]] std::optional<int> admin_port(const instance_record& instance) const;
    bool wait_ready(const instance_record& instance, std::chrono::milliseconds timeout);

    std::filesystem::path _home;
    std::string _executor_path;
    std::string _token;
    agent::supervisor _supervisor;
};

}  // namespace eddy::control
