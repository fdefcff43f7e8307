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
    std::string trace_export;                // --trace-export (else $EDDY_TRACE_EXPORT)
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

// `eddy trace ls [--limit N]`: the newest traces; `eddy trace ID`: one
// trace's path through the topology (commands_trace.cpp).
int run_trace_ls(const global_options& global, int limit);
int run_trace_show(const global_options& global, const std::string& trace_id);

// `eddy top [--once] [--interval S]`: the computations' rates, busy and
// backpressured shares, latency, watermark lag, dead letters and restarts,
// redrawn every `interval_seconds` until interrupted, or printed once.
enum class top_mode { refresh, once };
struct top_options {
    top_mode mode = top_mode::refresh;
    double interval_seconds = 1.0;
};
int run_top(const global_options& global, const top_options& options);

// `eddy dashboard [--open]`: prints the web dashboard's URL, the token in its
// fragment (`http://HOST:PORT/ui/#token=...`), after checking that the
// coordinator answers; `open` also hands it to xdg-open.
enum class browser_launch { none, open };
int run_dashboard(const global_options& global, browser_launch launch);
struct api_endpoint;
[[nodiscard]] std::string dashboard_url(const api_endpoint& endpoint);

}  // namespace eddy::cli
