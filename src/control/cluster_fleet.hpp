#pragma once

// The fleet of cluster mode: the leading coordinator's hands on executors
// that agents run on other hosts (cluster.hpp has the metadata layout).
//
//   - place: picks a live agent for a new instance, spreading each
//     computation's instances over the hosts (fewest of that computation,
//     then fewest in all), and a free data port in the agent's range;
//   - ensure_running / restart / stop: write the agent's placements node and
//     wait until the agent's status node for the instance says so;
//   - the executors' admin interfaces are reached at the agents' addresses.
//
// Every write goes through the store, whose fence (the leader's epoch) makes
// a deposed leader's writes fail.
//
// Threading: every method is safe from any thread.

#include "cluster.hpp"
#include "fleet.hpp"
#include "metadata_store.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace eddy::control {

struct cluster_fleet_options {
    std::filesystem::path home;  // the coordinator's own files (run markers)
    std::string token;           // the executors' admin token
    // The shared directory rescales use, as this coordinator sees it (it
    // removes a finished move's files); empty: <home>/handoff.
    std::filesystem::path handoff_dir;
};

class cluster_fleet final : public executor_fleet {
public:
    cluster_fleet(metadata_store& store, cluster_fleet_options options);

    // Reads the placements the store holds (after leadership was won).
    [[nodiscard]] metadata_result<void> load();
    // The agents registered now.
    [[nodiscard]] std::vector<cluster::agent_info> agents() const;
    // The agent an instance is placed on, if any.
    [[nodiscard]] std::optional<std::string> agent_of(std::uint32_t instance_id) const;

    void write_document(const std::string& document) override;
    [[nodiscard]] std::string place(const computation_record& computation,
                                    std::uint32_t instance_id) override;
    void discard_placements(const std::vector<std::uint32_t>& instance_ids) override;
    void ensure_running(const computation_record& computation, const instance_record& instance,
                        std::chrono::milliseconds timeout) override;
    void restart(const computation_record& computation, const instance_record& instance,
                 std::chrono::milliseconds timeout) override;
    void stop(const instance_record& instance, std::chrono::milliseconds grace) override;
    [[nodiscard]] std::vector<agent::process_status> processes() const override;
    [[nodiscard]] std::optional<agent::process_status> status(
        const instance_record& instance) const override;
    [[nodiscard]] std::filesystem::path log_path(std::string_view computation,
                                                 std::uint32_t index) const override;
    [[nodiscard]] tl::expected<nlohmann::json, std::string> read_log(
        std::string_view computation, const instance_record& instance,
        std::uint64_t offset) const override;
    [[nodiscard]] std::filesystem::path handoff_dir() const override { return _handoff_dir; }
    [[nodiscard]] std::filesystem::path run_dir() const override { return _home / "run"; }
    [[nodiscard]] std::filesystem::path finished_marker(
        const instance_record& instance) const override {
        return run_dir() / (process_id(instance) + ".finished");
    }

    [[nodiscard]] std::string host_of(const instance_record& instance) const override {
        return agent_of(instance.id).value_or("");
    }
    [[nodiscard]] nlohmann::json describe_hosts() const override;

protected:
    [[nodiscard]] std::optional<admin_address> admin_of(
        const instance_record& instance) const override;
    [[nodiscard]] std::string admin_token() const override { return _token; }

private:
    struct placement {
        std::string agent;
        cluster::placed_instance instance;
    };
    [[nodiscard]] std::optional<cluster::instance_status> read_status(
        std::uint32_t instance_id) const;
    // Writes one agent's placements node from _placements. REQUIRES: _mu.
    [[nodiscard]] bool write_placements(const std::string& agent);
    // Waits until `done` holds of the instance's status, or the timeout.
    bool wait_for(const instance_record& instance, std::chrono::milliseconds timeout,
                  const std::function<bool(const std::optional<cluster::instance_status>&)>& done);

    metadata_store& _store;
    std::filesystem::path _home;
    std::string _token;
    std::filesystem::path _handoff_dir;

    mutable std::mutex _mu;
    std::map<std::uint32_t, placement> _placements;  // GUARDED_BY(_mu): by instance id
    std::map<std::uint32_t, placement> _pending;     // GUARDED_BY(_mu): placed, not started
};

}  // namespace eddy::control
