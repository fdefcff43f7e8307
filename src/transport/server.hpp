#pragma once

// The receiving side of the data plane: listens on TCP and/or a Unix socket,
// accepts connections, and for each one expects a `hello` (the channel's
// identity), asks the handler whether to accept it, then grants credit and
// passes every later frame to the handler.
//
// Flow control is credit in bytes per channel: on accepting a channel the
// server acks the last committed sequence and grants `credit_window_bytes`;
// the sender spends credit on the record_batch frames it sends; the receiver
// gives it back with `inbound_channel::grant` once it has processed them. So at most a window (plus
// one frame) per channel is ever buffered here, however fast the sender is.
//
// A malformed frame, a frame before the hello, or an oversized length closes
// that one connection (with a goodbye saying why when possible); the server
// and every other connection go on.
//
// Lifecycle: construct, listen() one or more endpoints, io_loop::start(), ...,
// stop() before the io_loop stops. Threading: listen/stop from the owner;
// handler callbacks on the io thread; inbound_channel::grant/close from any.

#include "base/strong_id.hpp"
#include "endpoint.hpp"
#include "errc.hpp"
#include "io_loop.hpp"
#include "wire/frame.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eddy::transport {

struct inbound_options {
    // Credit granted per channel: bytes a sender may have in flight. Default 4 MiB.
    std::uint64_t credit_window_bytes = 4u << 20;
    // Largest frame accepted (length field). Default 16 MiB.
    std::uint32_t max_frame_bytes = wire::default_max_frame_bytes;
    // A connection that sends no hello within this is closed. Default 10 s.
    std::chrono::milliseconds hello_timeout{10'000};
};

// Who is on the other end of an accepted channel, from its hello.
struct channel_info {
    instance_id sender;
    instance_id receiver;
    topology_epoch epoch;
    std::string sender_computation;
    std::string peer;  // the remote address, for logs
};

namespace detail {
class session;
}  // namespace detail

// One accepted channel (a connection past its hello). Held by the handler to
// return credit; outlives its connection harmlessly (calls then do nothing).
class inbound_channel {
public:
    // Credit goes back to the sender `grant_bytes` or more at a time.
    inbound_channel(channel_info info, std::weak_ptr<detail::session> session,
                    std::uint64_t grant_bytes)
        : _info(std::move(info)),
          _session(std::move(session)),
          _serial(next_serial.fetch_add(1, std::memory_order_relaxed)),
          _grant_bytes(std::max<std::uint64_t>(1, grant_bytes)) {}
    [[nodiscard]] const channel_info& info() const { return _info; }
    // Grows with every channel accepted in this process: of two connections
    // of the same sender, the later one has the larger serial.
    [[nodiscard]] std::uint64_t serial() const { return _serial; }
    // Gives `bytes` of credit back to the sender: held until `grant_bytes`
    // have gathered, then sent in one credit frame. Any thread.
    void grant(std::uint64_t bytes);
    // Tells the sender that every batch up to `committed` is durably
    // processed (an ack frame), so that it may forget them. Any thread.
    void acknowledge(sequence_number committed);
    // Closes the connection. Any thread.
    void close();

private:
    channel_info _info;
    std::weak_ptr<detail::session> _session;
    std::uint64_t _serial;
    std::uint64_t _grant_bytes;
    std::atomic<std::uint64_t> _ungranted{0};  // granted, not yet sent
    static inline std::atomic<std::uint64_t> next_serial{1};
};

class inbound_handler {
public:
    virtual ~inbound_handler() = default;
    // A hello arrived. Accept it with the highest sequence number committed on
    // this channel (sequence_number(0) if none: the sender resends what it
    // holds after it), or refuse with an error whose message the sender gets
    // in a goodbye.
    [[nodiscard]] virtual transport_result<sequence_number> on_hello(const channel_info& info) = 0;
    // The channel `on_hello` accepted exists now: credit and acks can go to it.
    virtual void on_accepted(const std::shared_ptr<inbound_channel>& channel) { (void)channel; }
    // A frame after the hello. `frame.payload` is valid only during the call.
    // An error closes this connection (the sender is told why).
    [[nodiscard]] virtual transport_result<void> on_frame(
        const std::shared_ptr<inbound_channel>& channel, const wire::frame_view& frame) = 0;
    // An accepted channel's connection ended: the peer closed it, it broke, it
    // sent something malformed, or the server stopped.
    virtual void on_closed(const std::shared_ptr<inbound_channel>& channel,
                           const transport_error& reason) = 0;
};

struct server_counters {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> protocol_errors{0};
    std::atomic<std::uint64_t> bytes_in{0};
    std::atomic<std::uint64_t> frames_in{0};
};

class server {
public:
    server(io_loop& loop, inbound_handler& handler, inbound_options options = {});
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Binds and listens. A TCP port of 0 picks a free one: the returned
    // endpoint says which. A Unix socket path left by a dead process is
    // replaced. Call before or after the loop starts.
    [[nodiscard]] transport_result<endpoint> listen(const endpoint& where);
    // Stops accepting and closes every connection; returns once done.
    void stop();
    [[nodiscard]] const server_counters& counters() const;

    struct state;  // shared with the io thread's coroutines

private:
    io_loop& _loop;
    std::shared_ptr<state> _state;
};

}  // namespace eddy::transport
