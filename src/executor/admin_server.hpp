#pragma once

// The executor's admin interface: HTTP on loopback, every request carrying
// `Authorization: Bearer <token>` (401 otherwise).
//
//   GET  /metrics   the instance's counters, Prometheus text format
//   GET  /health    {"state": "running"|"draining", ...} as JSON
//   GET  /spans     takes the trace spans recorded since the last call (JSON;
//                   docs/api.md, "Executor admin")
//   PUT  /topology  a new topology document (JSON, at most 1 MiB): the
//                   routing table is swapped in while the instance runs
//   POST /handoff/drain, /handoff/export, /handoff/import, /handoff/sizes
//                   the steps of a rescale that moves key groups (JSON in
//                   and out; docs/operations.md)
//
// The routes call the functions given at construction; the server knows
// nothing of instances. Lifecycle: construct, start() (binds, then serves on
// its own thread), stop() or destruction. Threading: handlers run on the
// server's threads and must be thread-safe.

#include "base/error.hpp"
#include "topology_file.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}  // namespace httplib

namespace eddy::executor {

struct admin_routes {
    std::function<std::string()> metrics;
    std::function<std::string()> health;
    std::function<std::string()> spans;
    std::function<executor_result<void>(std::string_view body)> replace_topology;
    // POST /handoff/drain|export|import|sizes (a rescale, executor_handoff.cpp):
    // the action and the JSON body; answers JSON.
    std::function<executor_result<std::string>(std::string_view action, std::string_view body)>
        handoff;
};

class admin_server {
public:
    admin_server(admin_routes routes, std::string token);
    ~admin_server();
    admin_server(const admin_server&) = delete;
    admin_server& operator=(const admin_server&) = delete;

    // Binds `host`:`port` (port 0: any free port) and starts serving; returns
    // the bound port.
    [[nodiscard]] executor_result<int> start(const std::string& host, int port);
    void stop();

private:
    admin_routes _routes;
    std::string _token;
    std::unique_ptr<httplib::Server> _http;
    std::thread _thread;
};

// Largest request body the admin server reads.
inline constexpr std::size_t max_admin_body_bytes = 1u << 20;

}  // namespace eddy::executor
