#pragma once

// The agent of one host in cluster mode (`eddy agent`): registers the host in
// the metadata store as an ephemeral node, runs the executors of the
// instances the leading coordinator places on it (through the same
// local_fleet that local mode uses, so crashed executors restart with
// backoff), and reports each one's process as an ephemeral status node.
//
//     cluster_agent agent(store, {.info = {...}, .home = ..., .executor_path = ...});
//     agent.start();                   // registers, then follows its placements
//     ...
//     agent.connection_lost();          // from the store's session listener
//     agent.session_renewed();          // a new session: registers again
//     agent.stop();                    // drains and stops every executor
//
// Self-fencing: an agent whose store has not answered for half a session
// timeout kills its executors, before the server can expire the session and
// the coordinator place them elsewhere; after a new session it starts only
// what that session's placements name.
//
// Threading: one reconciling thread does the work, woken by watches and
// process changes; the public methods are safe from any thread.

#include "cluster.hpp"
#include "local_fleet.hpp"
#include "metadata_store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace eddy::control {

struct cluster_agent_options {
    cluster::agent_info info;
    std::filesystem::path home;  // state, logs, run files, fetched artifacts
    std::string executor_path;
    std::string token;                  // the executors' admin token (shared with coordinators)
    std::filesystem::path handoff_dir;  // shared storage for rescales
    // Shared storage for the durable state's changelogs and backups: an
    // instance placed here after its host was lost restores from it.
    std::filesystem::path changelog_root;
    std::chrono::milliseconds session_timeout{6000};
};

class cluster_agent {
public:
    cluster_agent(metadata_store& store, cluster_agent_options options);
    ~cluster_agent();
    cluster_agent(const cluster_agent&) = delete;
    cluster_agent& operator=(const cluster_agent&) = delete;

    void start();
    // Stops every executor (each drains) and unregisters.
    void stop();
    // The store lost its connection (the session may still live).
    void connection_lost();
    // The store is connected again with the same session.
    void connection_restored();
    // The store has a new session: the old ephemeral nodes are gone.
    void session_renewed();
    // Registered in the current session, and not fenced.
    [[nodiscard]] bool registered() const;

private:
    void run();
    void heartbeat();
    void reconcile();
    [[nodiscard]] bool register_agent();
    void write_local_document();
    void publish(const std::string& process_id);
    // Kills every executor of this host (any thread).
    void fence(std::string_view why);
    void watchdog();
    // The lease its executors run under (base/lease.hpp): renewed on each
    // answer of ZooKeeper while not fenced; the executors end themselves
    // when it is older than half the session timeout, as the watchdog
    // would kill them, even when this agent is paused.
    [[nodiscard]] std::filesystem::path lease_file() const {
        return _options.home / "run" / "agent.lease";
    }
    [[nodiscard]] std::chrono::milliseconds lease_timeout() const {
        return _options.session_timeout / 2;
    }
    void renew();  // any thread
    // Whether executors must not run now; forgets _running after a fence.
    [[nodiscard]] bool fenced();
    void wake();

    metadata_store& _store;
    cluster_agent_options _options;
    local_fleet _fleet;
    std::string _placements;  // this agent's placements node
    std::string _statuses;    // the parent of its status nodes

    mutable std::mutex _mu;
    std::condition_variable _changed;
    bool _dirty = true;                // GUARDED_BY(_mu): reconcile again
    bool _stopping = false;            // GUARDED_BY(_mu)
    bool _heartbeat_stopping = false;  // GUARDED_BY(_mu): after the executors drained
    bool _registered = false;          // GUARDED_BY(_mu)
    bool _fenced = false;              // GUARDED_BY(_mu): executors killed; wait for a session
    bool _renewed = false;             // GUARDED_BY(_mu): a new session began
    bool _forget = false;              // GUARDED_BY(_mu): executors killed; _running is stale
    std::optional<std::chrono::steady_clock::time_point> _lost_at;  // GUARDED_BY(_mu)
    // When the store last answered a request sent then (the heartbeat's).
    std::chrono::steady_clock::time_point _last_answer;  // GUARDED_BY(_mu)
    std::map<std::string, std::string> _dirty_status;    // GUARDED_BY(_mu)

    // Owned by the reconciling thread (cleared under _mu after a fence).
    std::map<std::uint32_t, cluster::placed_instance> _running;
    std::map<std::uint32_t, std::string> _published;  // id → last status written

    watch_handle _placement_watch;
    std::thread _thread;
    std::thread _heartbeat;  // reads our node every eighth of a session timeout
    std::thread _watchdog;   // fences when the store stops answering
};

}  // namespace eddy::control
