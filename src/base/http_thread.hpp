#pragma once

// Runs a bound cpp-httplib server (`bind_to_port` or `bind_to_any_port`
// done) on a thread of its own, and returns only once the server is
// accepting: httplib's `stop()` does nothing before `listen_after_bind` has
// marked the server running, so a stop that came too early would leave the
// thread blocked in accept() for ever and its join with it.
//
//     _thread = eddy::serve_in_thread(*_http);
//     ...
//     _http->stop();
//     _thread.join();
//
// Threading: call from the thread that owns the server.

#include <chrono>
#include <thread>

namespace eddy {

template <class Server>
[[nodiscard]] std::thread serve_in_thread(
    Server& server, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::thread thread([&server] { server.listen_after_bind(); });
    // listen_after_bind sets the flag first thing; a server that fails to
    // start returns at once, and the deadline covers a thread never scheduled.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!server.is_running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return thread;
}

}  // namespace eddy
