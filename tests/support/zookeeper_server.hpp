#pragma once

// Real ZooKeeper servers for tests (docs: /work/shared/SERVERS.md): one
// standalone server or an N-node ensemble (3 is typical), each node a
// QuorumPeerMain JVM with its own zoo.cfg, myid and data directory under one
// temporary directory, on free ports. The constructor returns once every node
// serves (answers `ruok` with `imok` and, in an ensemble, `srvr` shows it as
// leader or follower); a test can then kill (SIGKILL), stop (SIGTERM) and
// start again any node by index and ask which one leads. The destructor kills
// every node and removes the directory, so a failing test leaves nothing.
//
//     eddy::testing::zookeeper_ensemble zk({.nodes = 3});
//     auto store = zookeeper_store::connect({.hosts = zk.hosts(), .root = "/t"});
//     zk.kill(*zk.leader());
//
// Addresses: every node listens on `address` (127.0.0.1), or on its own entry
// of `addresses`, so a later test can put nodes in network namespaces; the
// free ports are picked on loopback. Starting a JVM takes about 2 s; an
// ensemble elects its leader about 4.5 s after its nodes start.
//
// Threading: one test thread.

#include "support/process.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::testing {

struct zookeeper_ensemble_options {
    int nodes = 1;                       // 1: standalone; more: an ensemble
    std::string address = "127.0.0.1";   // where every node listens, unless...
    std::vector<std::string> addresses;  // ... one address per node is given
    int tick_ms = 500;                   // tickTime; sessions last 2..20 ticks
    std::chrono::milliseconds start_timeout{40000};
};

class zookeeper_ensemble {
public:
    // Writes the configurations, starts every node and waits until all serve;
    // throws std::runtime_error (with the nodes' logs) if they do not in time.
    explicit zookeeper_ensemble(zookeeper_ensemble_options options = {});
    ~zookeeper_ensemble();
    zookeeper_ensemble(const zookeeper_ensemble&) = delete;
    zookeeper_ensemble& operator=(const zookeeper_ensemble&) = delete;

    // "address:port,address:port,...", the clients' connection string.
    [[nodiscard]] std::string hosts() const;
    // "address:port" of one node.
    [[nodiscard]] std::string host(int node) const;
    // The node whose client address is `host` ("address:port"), if any.
    [[nodiscard]] std::optional<int> node_of(std::string_view host) const;
    [[nodiscard]] int size() const { return static_cast<int>(_nodes.size()); }
    [[nodiscard]] const std::filesystem::path& directory() const { return _dir.path(); }

    // SIGKILL, and waits until the process is gone.
    void kill(int node);
    // SIGTERM, and waits for the exit (SIGKILL after 10 s).
    void stop(int node);
    // Starts a stopped node again (same configuration and data) and waits
    // until it serves.
    void start(int node);
    void restart(int node);
    [[nodiscard]] bool running(int node);

    // "leader", "follower" or "standalone" from `srvr`; "" when the node does
    // not answer or does not serve (no quorum).
    [[nodiscard]] std::string mode(int node) const;
    // The node whose mode is leader (or standalone).
    [[nodiscard]] std::optional<int> leader() const;
    // Waits until every running node serves; throws on timeout.
    void wait_serving(std::chrono::milliseconds timeout) const;
    // Sends a four-letter command ("ruok", "srvr", "cons", ...) and returns the
    // answer; empty if the node does not answer within 2 s.
    [[nodiscard]] std::string four_letter(int node, std::string_view command) const;

private:
    struct peer {
        std::string address;
        int client_port = 0;
        int quorum_port = 0;
        int election_port = 0;
        std::filesystem::path dir;
        std::unique_ptr<child_process> process;
    };

    void launch(int node);
    [[nodiscard]] bool serving(int node) const;
    [[nodiscard]] std::string logs() const;

    temp_dir _dir{"eddy-zookeeper"};
    zookeeper_ensemble_options _options;
    std::vector<peer> _nodes;
};

// Ends the ZooKeeper session `session_id` by attaching a second client to it
// (with its password) and closing that client: the server closes the
// session, removes its ephemeral nodes, and the owner's client learns that
// its session expired when it next talks to a server. It attaches again
// until the server says the session has expired (a close can be lost when
// the owner takes its connection back first). False if that did not happen
// within `timeout`.
[[nodiscard]] bool expire_zookeeper_session(
    const std::string& hosts, std::int64_t session_id, std::string_view password,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace eddy::testing
