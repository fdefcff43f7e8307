#pragma once

// The subcommands of `eddy`, one function each, called by main.cpp once
// CLI11 has parsed the command line. Each prints its result (human text, or
// the API's JSON as is with --json) and returns the process's exit code
// (errors.hpp); failures are printed to stderr as `eddy: <message>`.

#include "errors.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace eddy::cli {

enum class output_format { human, json };

// What every subcommand takes: the flags given before or after it.
struct global_options {
    std::filesystem::path home;  // resolved (home.hpp)
    output_format format = output_format::human;
};

// Prints `eddy: <message>` to stderr; returns the exit code of its kind.
int report(const cli_error& error);

// `eddy up`: runs the coordinator (up.cpp: it is the part that links the
// control plane).
enum class up_mode { foreground, detach };
struct up_options {
    int port = 0;  // 0: any free port
    up_mode mode = up_mode::foreground;
    std::chrono::seconds ready_timeout{20};  // --detach: wait for the API this long
};
int run_up(const global_options& global, const up_options& options);

// $EDDY_EXECUTOR, else the eddy-executor installed beside this binary.
[[nodiscard]] cli_result<std::string> executor_path();

// `eddy down`: POST /shutdown, then wait for the coordinator's process to end.
int run_down(const global_options& global, std::chrono::seconds timeout);

// `eddy deploy FILE` and `eddy update NAME FILE` upload the manifest and its
// libraries (artifacts.hpp).
int run_deploy(const global_options& global, const std::filesystem::path& manifest);
int run_update(const global_options& global, const std::string& name,
               const std::filesystem::path& manifest);
int run_kill(const global_options& global, const std::string& name);
int run_scale(const global_options& global, const std::string& name, int instances);

enum class instance_rows { hidden, shown };
int run_ls(const global_options& global, instance_rows instances);

enum class graph_format { text, dot };
int run_graph(const global_options& global, graph_format format);

enum class follow_mode { once, follow };
int run_logs(const global_options& global, const std::string& name, int instance,
             follow_mode follow);

int run_status(const global_options& global);

}  // namespace eddy::cli
