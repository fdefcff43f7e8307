#pragma once

// The coordinator's entry point, called by `eddy up` (in the foreground, or
// in a detached child). It opens the metadata store under `home`, recovers
// the topology it had (adopting the executors still running, restarting the
// others), serves the REST API (docs/api.md) on host:port with the bearer
// token it writes to `<home>/token` (0600), writes the bound port to
// `<home>/api.port`, and runs until `POST /api/v1/shutdown` or SIGTERM/SIGINT
// (both stop every executor first). Returns the process exit code: 0 after a
// clean shutdown, 1 when it cannot start (the message is on stderr: another
// coordinator holds the home, the port is taken...).

#include <filesystem>
#include <functional>
#include <string>

namespace eddy::control {

struct coordinator_options {
    std::filesystem::path home;              // the state directory (created if missing)
    std::string host = "127.0.0.1";          // keep it loopback unless behind a proxy
    int port = 0;                            // 0: any free port
    std::string executor_path;               // the eddy-executor binary
    std::function<void(int port)> on_ready;  // once the API listens (may be empty)
    // Where completed traces go as OTLP/JSON (trace_export.hpp): file:PATH or
    // http://HOST:PORT/PATH; empty: nowhere.
    std::string trace_export;
};

[[nodiscard]] int run_coordinator(const coordinator_options& options);

}  // namespace eddy::control
