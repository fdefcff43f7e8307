#include "io_loop.hpp"

#include "base/log.hpp"

#include <exception>

namespace eddy::transport {

io_loop::io_loop() = default;

io_loop::~io_loop() {
    stop();
}

void io_loop::start() {
    _work.emplace(_context.get_executor());
    _thread = std::thread([this] {
        for (;;) {
            try {
                _context.run();
                return;
            } catch (const std::exception& e) {
                // A handler threw: a bug in our code, not the peer's. Log it and
                // keep serving the other connections.
                eddy::log().error("io loop: unexpected exception: {}", e.what());
            }
        }
    });
}

void io_loop::stop() {
    if (!_thread.joinable()) {
        return;
    }
    _work.reset();
    _context.stop();
    _thread.join();
}

}  // namespace eddy::transport
