#pragma once

// The entry points of cluster mode's two services, called by the CLI:
//
//   eddy coordinator --zookeeper HOSTS ...   run_cluster_coordinator
//   eddy agent --zookeeper HOSTS ...         run_agent
//
// A coordinator binds its API first and serves as a standby (health, and a
// 503 naming the leader for everything else) until leader_election makes it
// the leader; then it loads the topology and placements from ZooKeeper,
// adopts what the agents run, and serves. It gives leadership up only by
// exiting: once its session expires or a fenced write is refused, it exits
// at once with status 1, so a deposed leader never acts again (a supervisor
// such as Kubernetes starts it again, as a candidate). SIGTERM stops a
// coordinator without touching executors: the agents own them.
//
// Both return the process exit code; messages go to the log (stderr).

#include "cluster_agent.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace eddy::control {

struct cluster_coordinator_options {
    std::string zookeeper;  // "host:port,host:port"
    std::string zookeeper_root = "/";
    std::chrono::milliseconds session_timeout{6000};
    std::string host = "127.0.0.1";  // API bind address
    int port = 8420;
    std::string advertise;  // the API's URL for clients and standbys; empty: http://host:port
    std::filesystem::path token_file;   // the cluster's token (API and executors)
    std::filesystem::path home;         // this coordinator's own files
    std::filesystem::path handoff_dir;  // the shared directory, as seen here (may be empty)
    std::string trace_export;  // while leading: OTLP/JSON export (trace_export.hpp); empty: none
};

[[nodiscard]] int run_cluster_coordinator(const cluster_coordinator_options& options);

struct agent_main_options {
    std::string zookeeper;
    std::string zookeeper_root = "/";
    std::filesystem::path token_file;
    // Where the agent answers GET /health (200 while registered, else 503)
    // and, with the cluster's token, GET /logs (its executors' logs, for the
    // coordinator), on its address; 0: a free port (registered with the agent).
    int admin_port = 0;
    cluster_agent_options agent;
};

[[nodiscard]] int run_agent(agent_main_options options);

}  // namespace eddy::control
