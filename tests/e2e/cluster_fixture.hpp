#pragma once

// The e2e fixture: one eddy home in a temporary directory, driven only
// through the `eddy` command line, as a user would. Each test calls `up()`,
// writes manifests with `write_manifest`, runs `eddy(...)` and reads the
// topology back with `computations()` and `instances()`.
//
// Teardown leaves nothing running: it remembers the coordinator's pid and
// every executor pid it saw (from `eddy status --json` and `eddy ls
// --instances --json`), runs `eddy down`, and then sends SIGKILL to whatever
// of those is still alive, so a test that fails half-way (or a coordinator
// that does not stop) cannot leak processes into the next test.
//
// One thread owns a fixture; every wait in it is a condition with a deadline.

#include "support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace eddy::testing {

// What one run of the `eddy` command gave back.
struct cli_result {
    int exit_code = -1;  // -1: killed by a signal or timed out
    std::string out;
    std::string err;
};

std::ostream& operator<<(std::ostream& os, const cli_result& r);

// (computation, index) → pid, for comparing the processes of a topology
// before and after a change.
using pid_map = std::map<std::pair<std::string, std::uint32_t>, pid_t>;

class cluster_test : public ::testing::Test {
protected:
    cluster_test();
    void TearDown() override;

    // Runs `eddy --home <home> args...` to completion (at most `timeout`).
    cli_result eddy(const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = std::chrono::seconds(90));
    // `eddy up --detach`; fails the test if it does not exit 0.
    void up();

    // The parsed answers of `eddy ls --json` and `eddy ls --instances --json`
    // (the arrays inside). Both fail the test (and return an empty array) if
    // the command fails. Every call also records the pids it saw for teardown.
    nlohmann::json computations();
    nlohmann::json instances();
    // `eddy status --json`, parsed.
    nlohmann::json status();

    // The pids of every instance of the named computations (all of them if
    // `names` is empty) that is `running`.
    pid_map running_pids(const std::set<std::string>& names = {});
    // One instance's entry from `instances()`, or null.
    nlohmann::json instance(const std::string& computation, std::uint32_t index);
    // A computation's status (`running`, `finished`...) or "" if not listed.
    std::string status_of(const std::string& computation);
    // Waits until every instance of `names` is `running` with a pid.
    [[nodiscard]] bool wait_running(const std::set<std::string>& names,
                                    std::chrono::milliseconds timeout);
    // Waits until every listed computation has status `finished`.
    [[nodiscard]] bool wait_all_finished(std::chrono::milliseconds timeout);

    // Writes a manifest into the test's directory and returns its path.
    std::filesystem::path write_manifest(const std::string& file_name, const std::string& yaml);
    // Copies a shared library next to the manifests under `file_name`, so a
    // manifest names it by a relative path as users do.
    void copy_library(const std::filesystem::path& from, const std::string& file_name);

    // A path in the test's directory (for sinks' files and count files).
    [[nodiscard]] std::filesystem::path path(const std::string& name) const {
        return _dir.path() / name;
    }
    [[nodiscard]] const std::filesystem::path& home() const { return _home; }

    // The coordinator log, for failure messages.
    [[nodiscard]] std::string coordinator_log() const;

private:
    void remember(const nlohmann::json& instances);

    temp_dir _dir;
    std::filesystem::path _home;
    int _runs = 0;
    std::set<pid_t> _seen_pids;
};

// Whether a process exists and is not a zombie.
[[nodiscard]] bool process_alive(pid_t pid);

// A counter of an entry of `instances()` (records_in, records_out,
// records_dropped...), 0 before the coordinator's first scrape of it.
[[nodiscard]] std::int64_t counter_of(const nlohmann::json& instance, const std::string& name);

// How many complete lines a file holds (0 if it does not exist).
[[nodiscard]] std::size_t count_lines(const std::filesystem::path& file);

}  // namespace eddy::testing
