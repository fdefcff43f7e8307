#pragma once

// One eddy home in a directory, driven only through the `eddy` command line,
// as a user drives it: `up()` runs `eddy up --detach`, `run(...)` any other
// subcommand, `json(...)` one whose answer is the API's JSON.
//
// The destructor leaves nothing running: it runs `eddy down` and then sends
// SIGKILL to whatever is still alive of the coordinator and the executors
// it saw (from `status` and `ls --instances`), and only to those.
//
// One thread owns an eddy_home; errors are exceptions carrying the command,
// its output and the end of the coordinator's log.

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace eddy::bench {

// What one run of the `eddy` command gave back.
struct cli_result {
    int exit_code = -1;  // -1: killed by a signal or timed out
    std::string out;
    std::string err;
};

// Where an executor's admin server answers (Prometheus /metrics).
struct admin_endpoint {
    int port = 0;
    std::string token;
};

class eddy_home {
public:
    // `dir` exists; the home is `dir/home`, the CLI's output goes to `dir`.
    eddy_home(std::filesystem::path cli_path, std::filesystem::path dir);
    ~eddy_home();
    eddy_home(const eddy_home&) = delete;
    eddy_home& operator=(const eddy_home&) = delete;

    // Runs `eddy --home <home> args...` to its end (at most `timeout`).
    cli_result run(const std::vector<std::string>& args, std::chrono::milliseconds timeout);
    // `eddy --home <home> --json args...`, which must exit 0 with a JSON
    // object; throws std::runtime_error saying what it gave instead.
    nlohmann::json json(const std::vector<std::string>& args, std::chrono::milliseconds timeout);

    // `eddy up --detach`; throws unless it exits 0.
    void up();
    // The array of `eddy ls --instances --json`; remembers the pids.
    nlohmann::json instances();
    // The array of `eddy ls --json`.
    nlohmann::json computations();
    // Waits until every instance of each of `names` is running with a pid,
    // `count` instances of each; throws after `timeout`.
    void wait_running(const std::vector<std::pair<std::string, std::uint32_t>>& names,
                      std::chrono::milliseconds timeout);

    // The admin endpoint of the instance with the given id (from
    // `instances()`); throws if its port file is not there.
    [[nodiscard]] admin_endpoint admin(std::uint32_t instance_id) const;

    [[nodiscard]] const std::filesystem::path& home() const { return _home; }
    // The last few kilobytes of the coordinator's log, for error messages.
    [[nodiscard]] std::string coordinator_log_tail() const;

private:
    void remember(const nlohmann::json& instances);
    void shut_down() noexcept;

    std::filesystem::path _cli;
    std::filesystem::path _dir;
    std::filesystem::path _home;
    int _runs = 0;
    std::set<pid_t> _seen_pids;
};

}  // namespace eddy::bench
