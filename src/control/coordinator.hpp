#pragma once

// The coordinator: owns the topology (in the metadata store), turns each
// request (deploy, kill, scale, update) into one compare-and-set of the
// topology followed by the executor changes it implies, in an order that
// loses nothing: new instances start before anyone routes to them; upstreams
// stop routing to (and flush their channels to) instances before those are
// stopped; a stopped instance drains what it received. No executor restarts
// because another computation changed: running executors receive the new
// topology document and apply it in place.
//
// Collaborators come in through the constructor (the metadata store, the
// executor fleet, the clock for rates), so the coordinator holds no process or
// socket of its own.
//
// Lifecycle: construct, recover() (adopts or restarts what the stored
// topology says), serve requests, shutdown(). Threading: requests from any
// thread; topology changes are serialised by one mutex; reads take a snapshot.

#include "fleet.hpp"
#include "metadata_store.hpp"
#include "topology_state.hpp"
#include "trace_store.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace eddy::control {

// How long the coordinator waits for a started executor to serve, and for a
// stopped one to drain before it is killed.
inline constexpr std::chrono::seconds start_timeout{20};
inline constexpr std::chrono::seconds stop_grace{10};

// What a request comes back with: a JSON body, or an HTTP status and message.
struct api_error {
    int status = 400;
    std::string message;
};
using api_result = tl::expected<nlohmann::json, api_error>;

struct deploy_request {
    std::string manifest;                          // YAML text
    std::string file = "manifest.yaml";            // names it in messages
    std::map<std::string, std::string> artifacts;  // path as written → file bytes
    // The manifest's directory on the caller's machine, absolute: where its
    // `command` computations run (the coordinator never reads from it).
    std::string directory;
};

class coordinator {
public:
    coordinator(metadata_store& store, executor_fleet& fleet, std::filesystem::path home);
    ~coordinator();
    coordinator(const coordinator&) = delete;
    coordinator& operator=(const coordinator&) = delete;

    // Loads the stored topology and makes every instance run (adopting live
    // executors). Throws std::runtime_error when the store cannot be read.
    void recover();

    [[nodiscard]] api_result deploy(const deploy_request& request);
    [[nodiscard]] api_result kill(const std::string& name);
    [[nodiscard]] api_result scale(const std::string& name, std::uint32_t instances);
    [[nodiscard]] api_result update(const std::string& name, const deploy_request& request);

    [[nodiscard]] nlohmann::json computations() const;
    [[nodiscard]] api_result computation(const std::string& name) const;
    [[nodiscard]] nlohmann::json instances() const;
    [[nodiscard]] nlohmann::json streams() const;
    [[nodiscard]] nlohmann::json graph() const;
    [[nodiscard]] nlohmann::json status() const;
    [[nodiscard]] api_result logs(const std::string& name, std::uint32_t instance,
                                  std::uint64_t offset) const;

    // Cluster mode: places every instance for which `lost(id)` holds (its
    // agent is gone) on the agents that remain, and routes to it there.
    void relocate_lost(const std::function<bool(std::uint32_t)>& lost);

    // Scrapes every executor's counters and updates the rates (every second).
    void refresh_counters();
    // GET /metrics: every executor's last page with a `host` label, and the
    // coordinator's own series (docs/metrics.md).
    [[nodiscard]] std::string prometheus_metrics() const;
    // Stops every executor (each drains).
    void shutdown();
    // The spans refresh_counters collected from the executors, by trace.
    [[nodiscard]] trace_store& traces() { return _traces; }

private:
    // Parses a manifest whose libraries were uploaded with the request.
    [[nodiscard]] tl::expected<manifest, api_error> read_manifest(const deploy_request& request);
    // Writes `next` over the stored topology if it is still `_version`.
    [[nodiscard]] tl::expected<void, api_error> commit(const topology_state& next);
    // Sends the current document to every running instance except `skip`.
    void push_all(const std::vector<std::uint32_t>& skip = {});
    [[nodiscard]] nlohmann::json describe(const computation_record& record) const;

    // Rescales that move key groups (coordinator_moves.cpp). REQUIRES: _change_mu.
    [[nodiscard]] api_result start_move(const std::string& name, std::uint32_t instances);
    // One round of a move as run_move saw it: how many key groups it moved,
    // the bytes of their handoff files, and how long it held them (hold to
    // release; from where it resumed, for a round resumed mid-way).
    struct round_pause {
        std::uint32_t round = 0;
        std::uint32_t key_groups = 0;
        std::uint64_t bytes = 0;
        double pause_ms = 0;
    };
    // Runs the recorded move of `name` from its round and phase to the end of
    // its last round; the rounds it ran.
    [[nodiscard]] tl::expected<std::vector<round_pause>, api_error> run_move(
        const std::string& name);
    // The bytes of state of each key group `record`'s instances give up from
    // `from` to `goal`, by group, as the old owners answer (0 where one does not).
    [[nodiscard]] std::vector<std::uint64_t> moving_state_sizes(const computation_record& record,
                                                                const key_assignment& from,
                                                                const key_assignment& goal);
    [[nodiscard]] tl::expected<void, api_error> set_phase(const std::string& name,
                                                          move_phase phase);
    // Calls `step` until it succeeds, the coordinator stops or a deadline passes.
    [[nodiscard]] tl::expected<nlohmann::json, std::string> keep_trying(
        std::string_view what,
        const std::function<tl::expected<nlohmann::json, std::string>()>& step);
    // Carries on with every move the stored topology records (a background
    // thread started by recover()).
    void resume_moves();
    [[nodiscard]] std::string status_of(const computation_record& record) const;

    metadata_store& _store;
    executor_fleet& _fleet;
    std::filesystem::path _home;
    std::chrono::steady_clock::time_point _started = std::chrono::steady_clock::now();

    std::mutex _change_mu;  // one topology change at a time
    std::atomic<bool> _stopping{false};
    std::thread _resumer;          // resume_moves, started by recover()
    mutable std::mutex _state_mu;  // guards the two below
    topology_state _state;         // GUARDED_BY(_state_mu)
    std::int64_t _version = -1;    // GUARDED_BY(_state_mu): of the stored node; -1: none yet

    mutable std::mutex _rates_mu;
    std::map<std::uint32_t, instance_window> _rates;  // GUARDED_BY(_rates_mu), by instance id
    std::uint64_t _scrape_failures = 0;               // GUARDED_BY(_rates_mu)
    trace_store _traces;
    // The metrics fields of docs/api.md for one instance, and for a
    // computation over its instances (coordinator_metrics.cpp).
    // REQUIRES: _rates_mu held.
    [[nodiscard]] nlohmann::json instance_metrics(const instance_record& instance) const;
    [[nodiscard]] nlohmann::json computation_metrics(const computation_record& record) const;
};

}  // namespace eddy::control
