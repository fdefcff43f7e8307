#pragma once

// A real eddy cluster on one machine, for the cluster tests (through the
// cluster_hosts fixture) and the cluster bench:
//
//   - hosts in network namespaces (network_namespaces), linked by a bridge
//     whose address is "the machine outside the hosts";
//   - a 3-node ZooKeeper ensemble on the bridge address;
//   - coordinators (`eddy coordinator`) on the bridge address, and one agent
//     (`eddy agent`) per host, inside its namespace, each with its own home;
//   - the `eddy` CLI pointed at a coordinator with the cluster's token.
//
//     cluster_processes cluster({.coordinators = 1});
//     cluster.start_coordinator(0);
//     cluster.start_agent(0);
//     auto run = cluster.eddy({"deploy", manifest});
//     cluster.stop();   // also done by the destructor
//
// The constructor builds the hosts and starts ZooKeeper (it throws, with a
// clear message, when it cannot: not root, no ZooKeeper); coordinators and
// agents start only when asked. `stop()` stops agents with SIGTERM (they
// drain and stop their executors), then the coordinators, then kills
// whatever still runs from the cluster's directory, so nothing leaks; the
// destructor then deletes ZooKeeper, the namespaces and the directory. Every
// wait is a condition with a deadline.
//
// Threading: one thread owns a cluster_processes.

#include "support/network_namespaces.hpp"
#include "support/process.hpp"
#include "support/zookeeper_server.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace eddy::testing {

struct cli_run {
    int exit_code = -1;  // -1: killed or timed out
    std::string out;
    std::string err;
};

std::ostream& operator<<(std::ostream& os, const cli_run& r);

struct cluster_options {
    // Hosts, each a network namespace with one agent. Default 3.
    std::size_t hosts = 3;
    // Coordinators that can be started (their ports are reserved). Default 2.
    std::size_t coordinators = 2;
    // ZooKeeper session timeout of coordinators and agents. Default 4 s.
    std::chrono::milliseconds session_timeout{4000};
    // What each agent offers (`--cpu`). Default 3.
    int cores_per_host = 3;
    // The prefix of the cluster's temporary directory. Default "eddy-test".
    std::string directory_prefix = "eddy-test";
};

class cluster_processes {
public:
    explicit cluster_processes(cluster_options options = {});
    ~cluster_processes();
    cluster_processes(const cluster_processes&) = delete;
    cluster_processes& operator=(const cluster_processes&) = delete;

    // Starts coordinator number `n` (its API on the bridge address).
    void start_coordinator(std::size_t n);
    // Starts the agent of host `h`.
    void start_agent(std::size_t h);
    // SIGTERM to the agent of host `h` (it stops its executors and leaves
    // ZooKeeper), and waits up to 20 s for it to exit; false if it did not.
    [[nodiscard]] bool stop_agent(std::size_t h);
    // Stops every agent and coordinator and kills what is left (see above).
    // Idempotent.
    void stop();

    // The URL of coordinator `n`'s API.
    [[nodiscard]] std::string coordinator_url(std::size_t n) const;
    [[nodiscard]] child_process& coordinator(std::size_t n) { return *_coordinators.at(n); }
    [[nodiscard]] child_process& agent(std::size_t h) { return *_agents.at(h); }
    [[nodiscard]] network_namespaces& hosts() { return _hosts; }
    [[nodiscard]] zookeeper_ensemble& zookeeper() { return *_zookeeper; }

    // `eddy --coordinator <url of coordinator n> --token-file ... args...`.
    cli_run eddy(const std::vector<std::string>& args, std::size_t via = 0,
                 std::chrono::milliseconds timeout = std::chrono::seconds(90));
    // `eddy ls --instances --json`, the array; empty on failure.
    nlohmann::json instances(std::size_t via = 0);
    // Waits until a coordinator answers as the leader on its health route.
    [[nodiscard]] std::optional<std::size_t> wait_leader(std::chrono::milliseconds timeout);
    // The agents `eddy status` lists; nullopt if it does not answer.
    [[nodiscard]] std::optional<std::size_t> registered_agents(std::size_t via = 0);
    // Waits until at least `count` agents are registered.
    [[nodiscard]] bool wait_agents(std::size_t count, std::chrono::milliseconds timeout);

    std::filesystem::path write_file(const std::string& name, const std::string& text);
    [[nodiscard]] std::filesystem::path path(const std::string& name) const {
        return _dir.path() / name;
    }
    [[nodiscard]] const std::filesystem::path& directory() const { return _dir.path(); }
    // Every service's log (the end of each), for failure messages.
    [[nodiscard]] std::string logs() const;

private:
    cluster_options _options;
    temp_dir _dir;
    network_namespaces _hosts;
    std::unique_ptr<zookeeper_ensemble> _zookeeper;
    std::filesystem::path _token_file;
    std::vector<int> _coordinator_ports;
    std::vector<std::unique_ptr<child_process>> _coordinators;
    std::vector<std::unique_ptr<child_process>> _agents;
    int _runs = 0;
    bool _stopped = false;
};

}  // namespace eddy::testing
