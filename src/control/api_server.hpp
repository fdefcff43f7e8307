#pragma once

// The REST API of docs/api.md over cpp-httplib: bearer-token auth on every
// route, a 64 MiB body limit (413 beyond), JSON in and out, errors as
// {"error": ...} with the status the coordinator chose. The server only
// translates HTTP to coordinator calls; it decides nothing.
//
// Lifecycle: construct, start() (binds, serves on its own threads), stop().
// Threading: handlers run on httplib's threads; the coordinator is thread-safe.

#include "coordinator.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}  // namespace httplib

namespace eddy::control {

inline constexpr std::size_t max_request_bytes = 64u << 20;

class api_server {
public:
    api_server(coordinator& coordinator, std::string token, std::function<void()> on_shutdown);
    // A standby's server (cluster mode): /api/v1/health answers, every other
    // route says where the leader is (`leader()`: its URL, or empty) with 503,
    // until lead().
    api_server(std::string token, std::function<std::string()> leader,
               std::function<void()> on_shutdown);
    ~api_server();
    api_server(const api_server&) = delete;
    api_server& operator=(const api_server&) = delete;

    // Binds host:port (0: any free port); returns the port, or -1.
    [[nodiscard]] int start(const std::string& host, int port);
    void stop();
    // From now on the routes are served by `coordinator` (this one leads).
    void lead(coordinator& coordinator);

private:
    void routes();
    std::atomic<coordinator*> _coordinator{nullptr};
    std::string _token;
    std::function<std::string()> _leader;
    std::function<void()> _on_shutdown;
    std::unique_ptr<httplib::Server> _http;
    std::thread _thread;
};

// RFC 4648 base64 to bytes; nullopt when malformed.
[[nodiscard]] std::optional<std::string> decode_base64(std::string_view text);

}  // namespace eddy::control
