#include "session.hpp"

#include "base/log.hpp"

#include <asio/co_spawn.hpp>
#include <asio/write.hpp>

#include <cstring>
#include <vector>

namespace eddy::transport::detail {

namespace {
constexpr std::size_t initial_read_buffer = 64 * 1024;
}  // namespace

session::session(socket_type socket, inbound_handler& handler, const inbound_options& options,
                 server_counters& counters)
    : _socket(std::move(socket)),
      _handler(handler),
      _options(options),
      _counters(counters),
      _peer(describe_peer(_socket)),
      _hello_timer(_socket.get_executor()) {}

asio::awaitable<void> session::run(std::shared_ptr<session> self) {
    co_await self->serve();
}

asio::awaitable<void> session::serve() {
    _hello_timer.expires_after(_options.hello_timeout);
    _hello_timer.async_wait([weak = weak_from_this()](std::error_code ec) {
        auto self = weak.lock();
        if (!ec && self && !self->_channel) {
            self->refuse(wire::goodbye_reason::protocol_error, "no hello before the timeout");
        }
    });

    std::vector<std::byte> buffer(initial_read_buffer);
    std::size_t begin = 0;  // first unconsumed byte
    std::size_t end = 0;    // one past the last received byte
    for (;;) {
        for (;;) {
            const std::span<const std::byte> unconsumed(buffer.data() + begin, end - begin);
            auto split = wire::split_frame(unconsumed, _options.max_frame_bytes);
            if (!split) {
                ++_counters.protocol_errors;
                refuse(wire::goodbye_reason::protocol_error, split.error().message);
                co_return;
            }
            if (const auto* need = std::get_if<wire::need_more_bytes>(&*split)) {
                if (need->frame_bytes > buffer.size() - begin) {
                    // Move the partial frame to the front; grow only if a frame
                    // (already checked against the maximum) needs it.
                    std::memmove(buffer.data(), buffer.data() + begin, end - begin);
                    end -= begin;
                    begin = 0;
                    if (need->frame_bytes > buffer.size()) {
                        buffer.resize(need->frame_bytes);
                    }
                }
                break;
            }
            const auto& frame = std::get<wire::frame_view>(*split);
            ++_counters.frames_in;
            if (auto handled = handle(frame); !handled) {
                if (handled.error().kind == transport_errc::protocol_error) {
                    ++_counters.protocol_errors;
                }
                refuse(wire::goodbye_reason::protocol_error, handled.error().message);
                co_return;
            }
            if (_close_after_write || !_socket.is_open()) {
                co_return;
            }
            begin += frame.frame_bytes;
        }
        if (begin == end) {
            begin = end = 0;
        }
        auto [ec, received] = co_await _socket.async_read_some(
            asio::buffer(buffer.data() + end, buffer.size() - end), nothrow);
        if (ec) {
            ended(
                transport_error{transport_errc::closed,
                                fmt::format("connection from {} closed: {}", _peer, ec.message())});
            close();
            co_return;
        }
        _counters.bytes_in += received;
        end += received;
    }
}

transport_result<void> session::handle(const wire::frame_view& frame) {
    if (!_channel) {
        return accept_hello(frame);
    }
    if (frame.type == wire::frame_type::hello) {
        return fail(transport_errc::protocol_error, "a second hello on one connection from {}",
                    _peer);
    }
    return _handler.on_frame(_channel, frame);
}

transport_result<void> session::accept_hello(const wire::frame_view& frame) {
    if (frame.type != wire::frame_type::hello) {
        return fail(transport_errc::protocol_error, "expected hello from {}, got {}", _peer,
                    wire::to_string(frame.type));
    }
    auto hello = wire::decode_hello(frame.payload);
    if (!hello) {
        if (hello.error().kind == wire::wire_errc::version_mismatch) {
            refuse(wire::goodbye_reason::unsupported_version, hello.error().message);
            return {};
        }
        return fail(transport_errc::protocol_error, "hello from {}: {}", _peer,
                    hello.error().message);
    }
    channel_info info{hello->sender, hello->receiver, hello->epoch,
                      std::string(hello->sender_computation), _peer};
    auto committed = _handler.on_hello(info);
    if (!committed) {
        refuse(wire::goodbye_reason::topology_changed, committed.error().message);
        return {};
    }
    _hello_timer.cancel();
    _channel = std::make_shared<inbound_channel>(std::move(info), weak_from_this(),
                                                 _options.credit_window_bytes / 8);
    wire::encode(wire::ack{*committed}, _out);
    wire::encode(wire::credit{_options.credit_window_bytes}, _out);
    write_pending();
    _handler.on_accepted(_channel);
    return {};
}

void session::grant(std::uint64_t bytes) {
    // Already gathered into eighths of the window by inbound_channel::grant.
    wire::encode(wire::credit{bytes}, _out);
    write_pending();
}

void session::acknowledge(sequence_number committed) {
    if (_close_after_write) {
        return;
    }
    wire::encode(wire::ack{committed}, _out);
    write_pending();
}

void session::refuse(wire::goodbye_reason reason, const std::string& message) {
    eddy::log().warn("closing connection from {}: {}", _peer, message);
    wire::encode(wire::goodbye{reason, message}, _out);
    _close_after_write = true;
    write_pending();
    ended(transport_error{reason == wire::goodbye_reason::protocol_error
                              ? transport_errc::protocol_error
                              : transport_errc::refused,
                          message});
}

void session::write_pending() {
    if (_write_failed) {
        _out.clear();
        return;
    }
    if (_write_in_progress || _out.empty() || !_socket.is_open()) {
        return;
    }
    std::swap(_out, _writing);
    _write_in_progress = true;
    asio::async_write(_socket, asio::buffer(_writing.data(), _writing.size()),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                          self->_write_in_progress = false;
                          self->_writing.clear();
                          if (ec) {
                              // The peer may have closed its reading side after
                              // its goodbye: stop writing, but read on, so the
                              // batches and goodbye it sent are not lost.
                              self->_write_failed = true;
                              self->_out.clear();
                              if (self->_close_after_write) {
                                  self->close();
                              }
                              return;
                          }
                          if (self->_close_after_write && self->_out.empty()) {
                              self->close();
                              return;
                          }
                          self->write_pending();
                      });
}

void session::close() {
    _hello_timer.cancel();
    if (_socket.is_open()) {
        std::error_code ignored;
        _socket.shutdown(asio::socket_base::shutdown_both, ignored);
        _socket.close(ignored);
    }
    ended(transport_error{transport_errc::closed, "closed"});
}

void session::ended(const transport_error& reason) {
    if (_ended) {
        return;
    }
    _ended = true;
    if (_channel) {
        _handler.on_closed(_channel, reason);
    }
}

}  // namespace eddy::transport::detail
