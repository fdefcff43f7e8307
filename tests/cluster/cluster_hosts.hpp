#pragma once

// The fixture of the cluster tests: a real cluster on one machine.
//
//   - three hosts in network namespaces (network_namespaces), linked by a
//     bridge whose address is "the machine outside the hosts";
//   - a 3-node ZooKeeper ensemble on the bridge address;
//   - coordinators (`eddy coordinator`) on the bridge address, and one agent
//     (`eddy agent`) per host, inside its namespace, each with its own home;
//   - the `eddy` CLI pointed at a coordinator with the cluster's token.
//
// Teardown stops agents with SIGTERM (they drain and stop their executors),
// then kills whatever still runs from the test's directory, so nothing leaks
// into the next test. Every wait is a condition with a deadline.

#include "support/network_namespaces.hpp"
#include "support/process.hpp"
#include "support/zookeeper_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace eddy::testing {

struct cli_run {
    int exit_code = -1;  // -1: killed or timed out
    std::string out;
    std::string err;
};

std::ostream& operator<<(std::ostream& os, const cli_run& r);

class cluster_hosts : public ::testing::Test {
protected:
    static constexpr std::chrono::milliseconds session_timeout{4000};

    cluster_hosts();
    void TearDown() override;

    // Starts coordinator number `n` (its API on the bridge address).
    void start_coordinator(std::size_t n);
    // Starts the agent of host `h`.
    void start_agent(std::size_t h);
    // The URL of coordinator `n`'s API.
    [[nodiscard]] std::string coordinator_url(std::size_t n) const;
    [[nodiscard]] child_process& coordinator(std::size_t n) { return *_coordinators.at(n); }
    [[nodiscard]] child_process& agent(std::size_t h) { return *_agents.at(h); }

    // `eddy --coordinator <url of coordinator n> --token-file ... args...`.
    cli_run eddy(const std::vector<std::string>& args, std::size_t via = 0,
                 std::chrono::milliseconds timeout = std::chrono::seconds(90));
    // `eddy ls --instances --json`, the array; empty on failure.
    nlohmann::json instances(std::size_t via = 0);
    // Waits until a coordinator answers as the leader on its health route.
    [[nodiscard]] std::optional<std::size_t> wait_leader(std::chrono::milliseconds timeout);
    // Waits until `count` agents are registered.
    [[nodiscard]] bool wait_agents(std::size_t count, std::chrono::milliseconds timeout);

    std::filesystem::path write_file(const std::string& name, const std::string& text);
    [[nodiscard]] std::filesystem::path path(const std::string& name) const {
        return _dir.path() / name;
    }
    [[nodiscard]] std::string logs() const;  // every service's log, for failure messages

    temp_dir _dir;
    network_namespaces _hosts{3};
    std::unique_ptr<zookeeper_ensemble> _zookeeper;
    std::filesystem::path _token_file;
    std::vector<int> _coordinator_ports;
    std::vector<std::unique_ptr<child_process>> _coordinators;
    std::vector<std::unique_ptr<child_process>> _agents;
    int _runs = 0;
};

}  // namespace eddy::testing
