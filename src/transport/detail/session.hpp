#pragma once

// One accepted connection of a server: reads frames, enforces the hello,
// hands frames to the handler, writes credit and goodbye frames back. Lives
// on the io thread only; kept alive by its read coroutine and pending writes.

#include "transport/detail/asio_util.hpp"
#include "transport/server.hpp"
#include "wire/byte_buffer.hpp"
#include "wire/messages.hpp"

#include <asio/steady_timer.hpp>

#include <memory>
#include <string>

namespace eddy::transport::detail {

class session : public std::enable_shared_from_this<session> {
public:
    session(socket_type socket, inbound_handler& handler, const inbound_options& options,
            server_counters& counters);

    // The read loop; returns when the connection ends.
    static asio::awaitable<void> run(std::shared_ptr<session> self);
    // Returns credit to the sender (io thread).
    void grant(std::uint64_t bytes);
    // Sends an ack frame (io thread).
    void acknowledge(sequence_number committed);
    // Closes the connection (io thread).
    void close();
    [[nodiscard]] asio::any_io_executor executor() { return _socket.get_executor(); }

private:
    asio::awaitable<void> serve();
    [[nodiscard]] transport_result<void> handle(const wire::frame_view& frame);
    [[nodiscard]] transport_result<void> accept_hello(const wire::frame_view& frame);
    // Tells the peer why (best effort) and closes.
    void refuse(wire::goodbye_reason reason, const std::string& message);
    void write_pending();
    void ended(const transport_error& reason);

    socket_type _socket;
    inbound_handler& _handler;
    const inbound_options& _options;
    server_counters& _counters;
    std::string _peer;
    asio::steady_timer _hello_timer;
    std::shared_ptr<inbound_channel> _channel;  // set once the hello is accepted
    wire::byte_buffer _out;      // frames waiting to be written
    wire::byte_buffer _writing;  // frames being written
    bool _write_in_progress = false;
    bool _close_after_write = false;
    bool _write_failed = false;  // the peer stopped reading: write nothing more
    bool _ended = false;
};

}  // namespace eddy::transport::detail
