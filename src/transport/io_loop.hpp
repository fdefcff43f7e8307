#pragma once

// One asio io_context and the thread that runs it: every socket of a
// transport lives here, so socket state needs no locks. Other threads talk to
// it only by posting work (asio::post) or through the mutex-guarded hand-off
// points of outbound_channel and inbound_channel.
//
// Lifecycle: construct, start(), ..., stop() (or the destructor) joins.
// Threading: start/stop from the owning thread; context() from any.

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <optional>
#include <thread>

namespace eddy::transport {

class io_loop {
public:
    io_loop();
    ~io_loop();
    io_loop(const io_loop&) = delete;
    io_loop& operator=(const io_loop&) = delete;

    [[nodiscard]] asio::io_context& context() { return _context; }
    void start();
    // Stops the loop and joins its thread; handlers not yet run are dropped,
    // so close channels and servers first for an orderly end.
    void stop();
    [[nodiscard]] bool running() const { return _thread.joinable(); }
    [[nodiscard]] bool in_loop_thread() const {
        return std::this_thread::get_id() == _thread.get_id();
    }

private:
    asio::io_context _context{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> _work;
    std::thread _thread;
};

}  // namespace eddy::transport
