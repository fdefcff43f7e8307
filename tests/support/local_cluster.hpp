#pragma once

// A multi-process topology on this machine, before the coordinator exists:
// writes a topology document into a temporary directory, starts one
// eddy-executor per instance, and lets a test kill, stop, restart and
// inspect them (admin /metrics with the cluster's token). Every process is
// killed when the cluster is destroyed.
//
//     eddy::testing::local_cluster cluster(dir.path(), link::unix_socket);
//     cluster.add({.name = "gen", .builtin = "generator", .outputs = {"lines"},
//                  .config = {{"stream", "lines"}, {"count", "1000"}}});
//     cluster.add({.name = "sink", ...});
//     cluster.start();
//     ASSERT_TRUE(cluster.wait_exit_all(30s));
//
// Threading: one test thread.

#include "support/process.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace eddy::testing {

enum class link { tcp, unix_socket };

struct executor_spec {
    std::string name;
    std::string builtin;                // a built-in, or
    std::string library;                // a shared library and
    std::string class_name;             // its exported class, or
    std::vector<std::string> command;   // a program in another language (docs/protocol.md §11)
    std::string workdir;                // where it runs (default: the cluster's directory)
    bool attach = false;                // started by hand, not by the executor
    std::uint64_t timeout_ms = 30'000;  // deadline of each of its transactions
    std::uint32_t instances = 1;
    std::vector<std::pair<std::string, std::string>> inputs;  // (stream, grouping)
    std::vector<std::string> outputs;
    std::map<std::string, std::string> config;
    std::string delivery = "at_most_once";
    std::vector<std::string> extra_args;  // passed to every executor of this computation
};

class local_cluster {
public:
    local_cluster(std::filesystem::path dir, link kind);
    ~local_cluster();

    void add(executor_spec spec);
    // Writes the topology and starts every executor (downstream first), then
    // waits until each serves its admin interface. Throws on failure.
    void start(std::chrono::milliseconds timeout = std::chrono::seconds(20));

    [[nodiscard]] child_process& process(const std::string& name, std::uint32_t index);
    // Starts the instance again (after it was killed), with the same address.
    void restart(const std::string& name, std::uint32_t index,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // The instance's /metrics page, or nullopt if it does not answer.
    [[nodiscard]] std::optional<std::string> metrics(const std::string& name,
                                                     std::uint32_t index) const;
    // One sample's value from /metrics (the first line starting with `metric`
    // followed by `{` or a space); nullopt if absent or unreachable.
    [[nodiscard]] std::optional<double> metric(const std::string& name, std::uint32_t index,
                                               const std::string& metric) const;
    // Waits until every executor has exited; true if they all exited 0.
    [[nodiscard]] bool wait_exit_all(std::chrono::milliseconds timeout);
    [[nodiscard]] const std::filesystem::path& dir() const { return _dir; }
    [[nodiscard]] std::string topology_path() const { return (_dir / "topology.json").string(); }
    [[nodiscard]] std::string endpoint(const std::string& name, std::uint32_t index) const;
    [[nodiscard]] const std::string& token() const { return _token; }
    // Where the executors write the handoff files of a rescale (--handoff-dir).
    [[nodiscard]] std::filesystem::path handoff_dir() const { return _dir / "handoff"; }
    // The port of the instance's admin interface (loopback; requests carry token()).
    [[nodiscard]] int admin_port(const std::string& name, std::uint32_t index) const;
    // Every executor's stderr, for failure messages.
    [[nodiscard]] std::string logs() const;

    // The eddy-executor binary (EDDY_EXECUTOR, or the one built with the tests).
    [[nodiscard]] static std::string executor_path();

private:
    struct instance {
        std::string name;
        std::uint32_t index = 0;
        std::string endpoint;
        std::vector<std::string> extra_args;
        std::unique_ptr<child_process> process;
        int admin_port = 0;
    };
    void launch(instance& which, std::chrono::milliseconds timeout);
    [[nodiscard]] const instance& find(const std::string& name, std::uint32_t index) const;

    std::filesystem::path _dir;
    link _link;
    std::string _token;
    std::vector<executor_spec> _specs;
    std::vector<instance> _instances;
};

}  // namespace eddy::testing
