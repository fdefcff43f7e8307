#pragma once

// The fleet of local mode, and the executors of one agent in cluster mode:
// starts, adopts, restarts (through the agent's supervisor) and stops the
// executors of this host, and reaches them on `admin_host`.
//
// Files under the home: `topology.json` (the current executor document, read
// by every executor that starts), `run/<id>.{sock,pid,port}`,
// `logs/<computation>-<index>.log`, `executor.token` (the executors' admin
// token, 0600, unless the options give one), `state/<id>/`.
//
// Threading: every method is safe from any thread.

#include "fleet.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace eddy::control {

struct local_fleet_options {
    std::filesystem::path home;
    std::string executor_path;  // the eddy-executor binary
    // Where executors serve their admin interface (and the fleet reaches them).
    std::string admin_host = "127.0.0.1";
    // The executors' admin token; empty: kept in <home>/executor.token.
    std::string token;
    // Where rescales put handoff files; empty: <home>/handoff.
    std::filesystem::path handoff_dir;
    // Cluster mode: the shared directory under which each instance's durable
    // state is also logged (<root>/<instance id>), so that another host can
    // restore it; empty: none (local mode).
    std::filesystem::path changelog_root;
    // Cluster mode: the agent's lease (base/lease.hpp) and how old it may
    // get before an executor ends itself; empty: no lease (local mode).
    std::filesystem::path lease_file;
    std::chrono::milliseconds lease_timeout{0};
    agent::supervisor::change_callback on_change;  // every process transition (may be empty)
};

class local_fleet final : public executor_fleet {
public:
    explicit local_fleet(local_fleet_options options);

    void write_document(const std::string& document) override;
    [[nodiscard]] std::string place(const computation_record& computation,
                                    std::uint32_t instance_id) override;
    void ensure_running(const computation_record& computation, const instance_record& instance,
                        std::chrono::milliseconds timeout) override;
    void restart(const computation_record& computation, const instance_record& instance,
                 std::chrono::milliseconds timeout) override;
    void stop(const instance_record& instance, std::chrono::milliseconds grace) override;
    [[nodiscard]] std::vector<agent::process_status> processes() const override {
        return _supervisor.list();
    }
    [[nodiscard]] std::optional<agent::process_status> status(
        const instance_record& instance) const override;
    [[nodiscard]] std::filesystem::path log_path(std::string_view computation,
                                                 std::uint32_t index) const override;
    [[nodiscard]] std::filesystem::path handoff_dir() const override { return _handoff_dir; }
    [[nodiscard]] std::filesystem::path run_dir() const override { return _home / "run"; }
    [[nodiscard]] std::filesystem::path finished_marker(
        const instance_record& instance) const override {
        return run_dir() / (process_id(instance) + ".finished");
    }
    [[nodiscard]] std::string host_of(const instance_record& /*instance*/) const override {
        return "local";
    }
    [[nodiscard]] nlohmann::json describe_hosts() const override { return {{"mode", "local"}}; }
    // The admin port the instance's executor wrote, if it runs.
    [[nodiscard]] std::optional<int> admin_port(std::uint32_t instance_id) const;

protected:
    [[nodiscard]] std::optional<admin_address> admin_of(
        const instance_record& instance) const override;
    [[nodiscard]] std::string admin_token() const override { return _token; }

private:
    [[nodiscard]] agent::process_spec spec_for(const computation_record& computation,
                                               const instance_record& instance) const;
    bool wait_ready(const instance_record& instance, std::chrono::milliseconds timeout);

    std::filesystem::path _home;
    std::string _executor_path;
    std::string _admin_host;
    std::string _token;
    std::filesystem::path _handoff_dir;
    std::filesystem::path _changelog_root;
    std::filesystem::path _lease_file;
    std::chrono::milliseconds _lease_timeout;
    agent::supervisor _supervisor;
};

}  // namespace eddy::control
