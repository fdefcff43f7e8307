#pragma once

// The coordinator's hands on the executors: where a new instance will run,
// starting, restarting and stopping its executor, pushing topology documents
// and rescale steps to it, and scraping its counters. Two implementations:
//
//   - local_fleet (local mode): the agent is in process; executors are child
//     processes of this host, reached on loopback;
//   - cluster_fleet (cluster mode): agents on other hosts run the executors;
//     the coordinator tells each agent what to run through the metadata store
//     (ZooKeeper) and reaches the executors at their hosts' addresses.
//
// What both share is here: the HTTP calls to an executor's admin interface
// (docs/api.md, "Executor admin"), given where it listens.
//
// Threading: every method is safe from any thread; push, handoff and scrape do
// HTTP to the executors and may take up to their timeouts.

#include "agent/supervisor.hpp"
#include "scraped_metrics.hpp"
#include "topology_state.hpp"

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace eddy::control {

// Where an executor's admin interface listens.
struct admin_address {
    std::string host;
    int port = 0;
};

class executor_fleet {
public:
    executor_fleet() = default;
    virtual ~executor_fleet() = default;
    executor_fleet(const executor_fleet&) = delete;
    executor_fleet& operator=(const executor_fleet&) = delete;

    // Publishes `document` (the executor document) to every executor that
    // starts from now on.
    virtual void write_document(const std::string& document) = 0;
    // Chooses where a new instance of `computation` runs; its data endpoint
    // ("unix:/path" or "tcp://host:port"). Called before the topology naming
    // the instance is committed.
    [[nodiscard]] virtual std::string place(const computation_record& computation,
                                            std::uint32_t instance_id) = 0;
    // Forgets what place() chose for instances that will not run after all
    // (the change that placed them failed).
    virtual void discard_placements(const std::vector<std::uint32_t>& instance_ids) {
        (void)instance_ids;
    }
    // Starts (or adopts) the executor of one instance unless it runs or has
    // finished; waits until it serves its admin interface.
    virtual void ensure_running(const computation_record& computation,
                                const instance_record& instance,
                                std::chrono::milliseconds timeout) = 0;
    // Restarts an instance on a new spec (update), waiting until it is back.
    virtual void restart(const computation_record& computation, const instance_record& instance,
                         std::chrono::milliseconds timeout) = 0;
    // Stops an instance's executor (SIGTERM: it drains; SIGKILL after grace).
    virtual void stop(const instance_record& instance, std::chrono::milliseconds grace) = 0;
    [[nodiscard]] virtual std::vector<agent::process_status> processes() const = 0;
    [[nodiscard]] virtual std::optional<agent::process_status> status(
        const instance_record& instance) const = 0;
    // The instance's log file on this host; empty when it is elsewhere.
    [[nodiscard]] virtual std::filesystem::path log_path(std::string_view computation,
                                                         std::uint32_t index) const = 0;
    // The instance's log from `offset` on (instance_logs.hpp's chunk,
    // {"text", "next_offset"}): from the file on this host, or in cluster
    // mode from the agent that runs it. An error says why it can't be read.
    [[nodiscard]] virtual tl::expected<nlohmann::json, std::string> read_log(
        std::string_view computation, const instance_record& instance, std::uint64_t offset) const;
    // Where the executors of a rescale write and read handoff files, as this
    // host sees it.
    [[nodiscard]] virtual std::filesystem::path handoff_dir() const = 0;
    // This host's run directory (local mode: sockets, pids, ports).
    [[nodiscard]] virtual std::filesystem::path run_dir() const = 0;
    // Which host runs the instance ("local" in local mode, else its agent).
    [[nodiscard]] virtual std::string host_of(const instance_record& instance) const = 0;
    // The mode ("local" or "cluster") and, in cluster mode, the registered
    // agents: for `eddy status`.
    [[nodiscard]] virtual nlohmann::json describe_hosts() const = 0;
    // Present once the instance has exited 0 (its bounded input ended).
    [[nodiscard]] virtual std::filesystem::path finished_marker(
        const instance_record& instance) const = 0;

    // Sends the current document to a running instance and waits until it has
    // applied it. False if it did not answer or refused (logged).
    bool push(const instance_record& instance, const std::string& document);
    // A step of a rescale at one executor (POST /handoff/<action>): its JSON
    // answer, or why not (not running, refused, timed out).
    [[nodiscard]] tl::expected<nlohmann::json, std::string> handoff(
        const instance_record& instance, const std::string& action, const nlohmann::json& body,
        std::chrono::milliseconds timeout);
    // The executor's metrics page, read (scraped_metrics.hpp), or nullopt
    // when it does not answer.
    [[nodiscard]] std::optional<scraped_metrics> scrape(const instance_record& instance);
    // Takes the trace spans the executor recorded since the last call (its
    // GET /spans page), or nullopt when it does not answer.
    [[nodiscard]] std::optional<nlohmann::json> spans(const instance_record& instance);

    [[nodiscard]] static std::string process_id(const instance_record& instance) {
        return "instance-" + std::to_string(instance.id);
    }

protected:
    // The body of a GET of `path` from the instance's admin interface, or
    // nullopt when it does not answer 200.
    [[nodiscard]] std::optional<std::string> admin_get(const instance_record& instance,
                                                       const std::string& path);
    // Where the instance's executor serves its admin interface, if it runs.
    [[nodiscard]] virtual std::optional<admin_address> admin_of(
        const instance_record& instance) const = 0;
    // The bearer token every executor's admin interface requires.
    [[nodiscard]] virtual std::string admin_token() const = 0;
    // Waits until the executor answers /health, while `alive` says it may
    // still come up.
    bool wait_healthy(const instance_record& instance, std::chrono::milliseconds timeout,
                      const std::function<bool()>& alive) const;
};

}  // namespace eddy::control
