#include "outbound.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"
#include "detail/asio_util.hpp"
#include "wire/frame.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <sys/socket.h>

#include <cerrno>
#include <optional>

namespace eddy::transport {

struct outbound_channel::io_state {
    explicit io_state(asio::io_context& context) : backoff(context) {}
    std::optional<detail::socket_type> socket;
    asio::steady_timer backoff;
    // Being written now. Changed only under _mu: send() reads whether it is
    // empty (write_directly).
    std::vector<queued> writing;
    bool write_in_progress = false;
    // Counts connections, so that a late completion of a write on a closed
    // connection cannot tear down its successor.
    std::uint64_t generation = 0;
};

namespace {
// Buffers kept for reuse per channel: enough for a write in progress plus a
// few queued, without holding on to a burst's worth.
constexpr std::size_t max_free_buffers = 8;
}  // namespace

std::shared_ptr<outbound_channel> outbound_channel::create(io_loop& loop, endpoint peer,
                                                           channel_identity identity,
                                                           outbound_options options) {
    return std::make_shared<outbound_channel>(private_tag{}, loop, std::move(peer),
                                              std::move(identity), options);
}

outbound_channel::outbound_channel(private_tag, io_loop& loop, endpoint peer,
                                   channel_identity identity, outbound_options options)
    : _loop(loop),
      _peer(std::move(peer)),
      _identity(std::move(identity)),
      _options(options),
      _io(std::make_unique<io_state>(loop.context())) {}

outbound_channel::~outbound_channel() = default;

endpoint outbound_channel::peer() const {
    std::lock_guard lock(_mu);
    return _peer;
}

void outbound_channel::redirect(endpoint to) {
    {
        std::lock_guard lock(_mu);
        if (_peer == to) {
            return;
        }
        eddy::log().info("channel to {} now goes to {}", _peer.to_string(), to.to_string());
        _peer = std::move(to);
    }
    asio::post(_loop.context(), [self = shared_from_this()] { self->close_socket(); });
}

void outbound_channel::start() {
    asio::co_spawn(_loop.context(), run(shared_from_this()), asio::detached);
}

wire::byte_buffer outbound_channel::acquire_buffer() {
    std::lock_guard lock(_mu);
    if (_free.empty()) {
        return {};
    }
    auto buffer = std::move(_free.back());
    _free.pop_back();
    return buffer;
}

void outbound_channel::recycle(wire::byte_buffer buffer) {
    if (_free.size() < max_free_buffers) {
        buffer.clear();
        _free.push_back(std::move(buffer));
    }
}

send_outcome outbound_channel::send(wire::byte_buffer frames, std::uint32_t records,
                                    std::size_t credit_bytes, sequence_number last_sequence) {
    std::unique_lock lock(_mu);
    std::int64_t waited_since = 0;
    for (;;) {
        if (_closing || _link == link::closed) {
            return send_outcome::stopped;
        }
        if (_held) {
            if (_held_bytes < _hold_limit) {
                // Queued without credit: it is spent when the hold ends (or by
                // the next connection, which charges everything queued).
                _held_bytes += frames.size();
                if (waited_since != 0) {
                    _counters.blocked_nanos +=
                        static_cast<std::uint64_t>(monotonic_nanos() - waited_since);
                }
                _queue.push_back(
                    queued{std::move(frames), records, false, last_sequence.value(), credit_bytes});
                _last_queued = std::max(_last_queued, last_sequence.value());
                return send_outcome::sent;
            }
        } else if (_link == link::connected && (_credit > 0 || credit_bytes == 0)) {
            break;
        }
        if (!_held && _link == link::disconnected &&
            _options.disconnected == when_disconnected::drop) {
            _counters.records_dropped += records;
            recycle(std::move(frames));
            return send_outcome::dropped;
        }
        if (waited_since == 0) {
            waited_since = monotonic_nanos();
        }
        _changed.wait(lock);
    }
    if (waited_since != 0) {
        _counters.blocked_nanos += static_cast<std::uint64_t>(monotonic_nanos() - waited_since);
    }
    // Credit may go negative by one send: a batch larger than the whole window
    // still goes out, and the receiver's buffering overshoots by one frame.
    _credit -= static_cast<std::int64_t>(credit_bytes);
    queued item{std::move(frames), records, false, last_sequence.value(), credit_bytes, true};
    _last_queued = std::max(_last_queued, last_sequence.value());
    if (write_directly(item)) {
        return send_outcome::sent;
    }
    _queue.push_back(std::move(item));
    schedule_write();
    return send_outcome::sent;
}

// The io thread would write the frames as well, but handing them to it costs
// a wake-up of another thread per batch and hop, which on a busy machine is
// most of what a hop's latency is made of. So when nothing is ahead of them
// the sender writes them itself, without blocking; what does not fit in the
// socket's buffer stays queued for the io thread, which also finds out about
// a failing connection.
bool outbound_channel::write_directly(queued& item) {
    if (_direct_fd < 0 || _link != link::connected || _held || _closing || !_io->writing.empty() ||
        _kick_pending || !_queue.empty()) {
        return false;
    }
    ssize_t sent = 0;
    do {
        sent =
            ::send(_direct_fd, item.frames.data(), item.frames.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent <= 0) {
        return false;
    }
    _counters.bytes_sent += static_cast<std::uint64_t>(sent);
    if (static_cast<std::size_t>(sent) < item.frames.size()) {
        item.written = static_cast<std::size_t>(sent);
        return false;
    }
    written_out(std::move(item));
    return true;
}

void outbound_channel::written_out(queued item) {
    if (item.goodbye) {
        _goodbye_written = true;
    }
    ++_counters.sends;
    _counters.records_sent += item.records;
    if (_options.keep_until_acked && item.last_sequence > _acked.load(std::memory_order_relaxed)) {
        _unacked.push_back(std::move(item));
    } else {
        recycle(std::move(item.frames));
    }
}

void outbound_channel::close_socket() {
    {
        std::lock_guard lock(_mu);
        _direct_fd = -1;  // before the descriptor is closed (and its number reused)
    }
    _io->backoff.cancel();
    if (_io->socket) {
        std::error_code ignored;
        _io->socket->close(ignored);
    }
}

void outbound_channel::schedule_write() {
    if (!_kick_pending) {
        _kick_pending = true;
        asio::post(_loop.context(), [self = shared_from_this()] { self->write_queued(); });
    }
}

void outbound_channel::preload(wire::byte_buffer frames, std::uint32_t records,
                               std::size_t credit_bytes, sequence_number last_sequence) {
    std::lock_guard lock(_mu);
    _queue.push_back(
        queued{std::move(frames), records, false, last_sequence.value(), credit_bytes});
    _last_queued = std::max(_last_queued, last_sequence.value());
}

void outbound_channel::hold(std::size_t max_bytes) {
    std::lock_guard lock(_mu);
    _held = true;
    _hold_limit = std::max<std::size_t>(1, max_bytes);
}

void outbound_channel::release() {
    std::lock_guard lock(_mu);
    if (!_held) {
        return;
    }
    _held = false;
    _held_bytes = 0;
    if (_credit_arrived) {
        charge_queued();  // else the next connection's credit pays for them
    }
    if (!_queue.empty()) {
        schedule_write();
    }
    _changed.notify_all();
}

void outbound_channel::charge_queued() {
    for (auto& item : _queue) {
        if (!item.charged) {
            _credit -= static_cast<std::int64_t>(item.credit_bytes);
            item.charged = true;
        }
    }
}

bool outbound_channel::held() const {
    std::lock_guard lock(_mu);
    return _held;
}

bool outbound_channel::wait_acknowledged(std::chrono::milliseconds timeout) {
    std::unique_lock lock(_mu);
    return _changed.wait_for(lock, timeout, [this] {
        return _link == link::closed || _acked.load(std::memory_order_relaxed) >= _last_queued;
    }) && _link != link::closed;
}

void outbound_channel::acknowledge(std::uint64_t through) {
    if (through <= _acked.load(std::memory_order_relaxed)) {
        return;
    }
    _acked.store(through, std::memory_order_release);
    while (!_unacked.empty() && _unacked.front().last_sequence <= through) {
        recycle(std::move(_unacked.front().frames));
        _unacked.pop_front();
    }
    // After a reconnection the queue starts with what was requeued: what the
    // receiver already has need not go again.
    std::erase_if(_queue, [&](queued& item) {
        if (item.last_sequence == 0 || item.last_sequence > through) {
            return false;
        }
        if (item.charged) {
            _credit += static_cast<std::int64_t>(item.credit_bytes);  // never written
        }
        recycle(std::move(item.frames));
        return true;
    });
    _changed.notify_all();
}

void outbound_channel::requeue_unacknowledged(std::vector<queued>& writing) {
    std::deque<queued> order;
    for (auto& item : _unacked) {
        order.push_back(std::move(item));
    }
    _unacked.clear();
    for (auto& item : writing) {
        if (item.goodbye) {
            _goodbye = std::move(item.frames);  // close() writes it on the next connection
        } else if (item.last_sequence == 0 ||
                   item.last_sequence > _acked.load(std::memory_order_relaxed)) {
            order.push_back(std::move(item));
        }
    }
    writing.clear();
    for (auto& item : order) {
        item.charged = false;  // written on a lost connection: its credit went with it
        item.written = 0;      // and it goes again whole
    }
    for (auto& item : _queue) {
        order.push_back(std::move(item));
    }
    _queue = std::move(order);
}

outbound_channel::standing outbound_channel::where() const {
    std::lock_guard lock(_mu);
    return {.credit_bytes = _credit,
            .queued_batches = _queue.size(),
            .unacked_batches = _unacked.size(),
            .last_queued = _last_queued,
            .acknowledged = _acked.load(std::memory_order_relaxed)};
}

bool outbound_channel::connected() const {
    std::lock_guard lock(_mu);
    return _link == link::connected;
}

void outbound_channel::close(wire::goodbye_reason reason, std::string_view message,
                             std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool said_goodbye = false;
    {
        std::unique_lock lock(_mu);
        if (_closing) {
            return;
        }
        _closing = true;
        wire::encode(wire::goodbye{reason, message}, _goodbye);
        _changed.notify_all();
        if (_link == link::connected) {
            if (!_kick_pending) {
                _kick_pending = true;
                asio::post(_loop.context(), [self = shared_from_this()] { self->write_queued(); });
            }
            said_goodbye = _changed.wait_until(
                lock, deadline, [this] { return _goodbye_written || _link != link::connected; });
            said_goodbye = said_goodbye && _goodbye_written;
        }
        _link = link::closed;
    }
    if (said_goodbye) {
        // Close only our sending side and read on until the receiver closes
        // its end: closing with its credit frames unread would reset the
        // connection and discard batches the receiver has not read yet.
        asio::post(_loop.context(), [self = shared_from_this()] {
            if (self->_io->socket && self->_io->socket->is_open()) {
                std::error_code ignored;
                self->_io->socket->shutdown(asio::socket_base::shutdown_send, ignored);
            }
        });
        std::unique_lock lock(_mu);
        _changed.wait_until(lock, deadline, [this] { return _io_ended; });
    }
    asio::post(_loop.context(), [self = shared_from_this()] { self->close_socket(); });
}

void outbound_channel::abort() {
    {
        std::lock_guard lock(_mu);
        _closing = true;
        _link = link::closed;
        for (auto& item : _queue) {
            _counters.records_dropped += item.records;
        }
        _queue.clear();
        _changed.notify_all();
    }
    asio::post(_loop.context(), [self = shared_from_this()] { self->close_socket(); });
}

asio::awaitable<void> outbound_channel::run(std::shared_ptr<outbound_channel> self) {
    co_await self->connect_and_serve();
}

asio::awaitable<void> outbound_channel::connect_and_serve() {
    // However the loop ends, close() may be waiting for it.
    struct ended_guard {
        outbound_channel* self;
        ~ended_guard() {
            std::lock_guard lock(self->_mu);
            self->_io_ended = true;
            self->_changed.notify_all();
        }
    } guard{this};
    auto backoff = _options.reconnect_min;
    bool warned = false;
    for (;;) {
        {
            std::lock_guard lock(_mu);
            if (_link == link::closed || _closing) {
                co_return;
            }
        }
        const auto target = peer();
        auto address = detail::to_generic(target);
        std::error_code connect_error;
        if (address) {
            _io->socket.emplace(_loop.context());
            auto [ec] = co_await _io->socket->async_connect(*address, detail::nothrow);
            connect_error = ec;
        }
        if (!address || connect_error) {
            if (!warned) {
                eddy::log().debug("channel to {}: cannot connect: {}", target.to_string(),
                                  address ? connect_error.message() : address.error().message);
                warned = true;
            }
            _io->socket.reset();
            _io->backoff.expires_after(backoff);
            co_await _io->backoff.async_wait(detail::nothrow);
            backoff = std::min(backoff * 2, _options.reconnect_max);
            continue;
        }
        warned = false;
        ++_io->generation;
        detail::tune(*_io->socket, target);
        ++_counters.connects;

        wire::byte_buffer hello;
        wire::encode(wire::hello{wire::protocol_version, _identity.sender, _identity.receiver,
                                 _identity.epoch, _identity.sender_computation},
                     hello);
        auto [hello_error, hello_bytes] = co_await asio::async_write(
            *_io->socket, asio::buffer(hello.data(), hello.size()), detail::nothrow);
        if (hello_error) {
            lost("writing hello: " + hello_error.message());
            continue;
        }

        // Read what the receiver says: credit, acks, goodbye.
        std::vector<std::byte> buffer(4096);
        std::size_t end = 0;
        std::string why;
        while (why.empty()) {
            auto [ec, received] = co_await _io->socket->async_read_some(
                asio::buffer(buffer.data() + end, buffer.size() - end), detail::nothrow);
            if (ec) {
                why = ec.message();
                break;
            }
            end += received;
            std::size_t begin = 0;
            while (why.empty()) {
                auto split = wire::split_frame({buffer.data() + begin, end - begin}, 4096);
                if (!split) {
                    why = "malformed frame from receiver: " + split.error().message;
                    break;
                }
                const auto* frame = std::get_if<wire::frame_view>(&*split);
                if (frame == nullptr) {
                    break;
                }
                if (frame->type == wire::frame_type::credit) {
                    auto credit = wire::decode_credit(frame->payload);
                    if (!credit) {
                        why = credit.error().message;
                        break;
                    }
                    std::lock_guard lock(_mu);
                    _credit += static_cast<std::int64_t>(credit->bytes);
                    if (_link != link::closed && !_credit_arrived) {
                        _credit_arrived = true;
                        _link = link::connected;
                        _direct_fd = _io->socket->native_handle();
                        backoff = _options.reconnect_min;
                        if (!_queue.empty()) {
                            // What is resent after a reconnection (or was
                            // preloaded) spends this connection's credit;
                            // held items once the hold ends.
                            if (!_held) {
                                charge_queued();
                            }
                            schedule_write();
                        } else if (_closing) {
                            schedule_write();  // close() is waiting to write its goodbye
                        }
                    }
                    _changed.notify_all();
                } else if (frame->type == wire::frame_type::ack) {
                    auto ack = wire::decode_ack(frame->payload);
                    if (!ack) {
                        why = ack.error().message;
                        break;
                    }
                    std::lock_guard lock(_mu);
                    acknowledge(ack->committed.value());
                } else if (frame->type == wire::frame_type::goodbye) {
                    auto goodbye = wire::decode_goodbye(frame->payload);
                    why = "receiver said goodbye: " +
                          (goodbye ? std::string(goodbye->message) : goodbye.error().message);
                } else if (frame->type != wire::frame_type::heartbeat) {
                    why = fmt::format("unexpected {} frame from receiver",
                                      wire::to_string(frame->type));
                }
                begin += frame->frame_bytes;
            }
            std::memmove(buffer.data(), buffer.data() + begin, end - begin);
            end -= begin;
        }
        lost(why);
        {
            std::lock_guard lock(_mu);
            if (_closing || _link == link::closed) {
                co_return;
            }
        }
        _io->backoff.expires_after(backoff);
        co_await _io->backoff.async_wait(detail::nothrow);
        backoff = std::min(backoff * 2, _options.reconnect_max);
    }
}

void outbound_channel::write_queued() {
    if (_io->write_in_progress) {
        // Its completion writes what is queued meanwhile, or (when the
        // connection was lost under it) schedules a write: that kick must
        // not find an earlier one still pending, or no write ever follows.
        std::lock_guard lock(_mu);
        _kick_pending = false;
        return;
    }
    const bool usable = _io->socket && _io->socket->is_open();
    {
        std::lock_guard lock(_mu);
        _kick_pending = false;
        if (!usable || _held) {
            return;  // release() or the next connection writes
        }
        while (!_queue.empty()) {
            _io->writing.push_back(std::move(_queue.front()));
            _queue.pop_front();
        }
        if (_closing && !_goodbye_written && !_goodbye.empty()) {
            _io->writing.push_back(queued{std::move(_goodbye), 0, true});
            _goodbye = wire::byte_buffer();
        }
    }
    if (_io->writing.empty()) {
        return;
    }
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(_io->writing.size());
    for (const auto& item : _io->writing) {
        buffers.emplace_back(item.frames.data() + item.written, item.frames.size() - item.written);
    }
    _io->write_in_progress = true;
    asio::async_write(*_io->socket, buffers,
                      [self = shared_from_this(), generation = _io->generation](
                          std::error_code ec, std::size_t written) {
                          self->_io->write_in_progress = false;
                          {
                              // keep_until_acked: the connection was lost while this write
                              // ran; whether or not it got through, its frames go again, in
                              // order, on the next one (the receiver drops what it has).
                              std::lock_guard lock(self->_mu);
                              if (self->_requeue_after_write) {
                                  self->_requeue_after_write = false;
                                  self->requeue_unacknowledged(self->_io->writing);
                                  if (self->_credit_arrived && !self->_held) {
                                      self->charge_queued();  // a new connection is already up
                                  }
                                  self->schedule_write();
                                  return;
                              }
                          }
                          if (ec || generation != self->_io->generation) {
                              if (generation == self->_io->generation) {
                                  self->lost("write: " + ec.message());
                              } else if (self->_options.keep_until_acked) {
                                  std::lock_guard lock(self->_mu);
                                  self->requeue_unacknowledged(self->_io->writing);
                                  if (self->_credit_arrived && !self->_held) {
                                      self->charge_queued();
                                  }
                                  self->schedule_write();
                              } else {
                                  std::lock_guard lock(self->_mu);
                                  for (auto& item : self->_io->writing) {
                                      self->_counters.records_dropped += item.records;
                                  }
                                  self->_io->writing.clear();
                              }
                              return;
                          }
                          self->_counters.bytes_sent += written;
                          {
                              std::lock_guard lock(self->_mu);
                              for (auto& item : self->_io->writing) {
                                  self->written_out(std::move(item));
                              }
                              self->_io->writing.clear();
                              self->_changed.notify_all();
                          }
                          self->write_queued();
                      });
}

void outbound_channel::lost(const std::string& why) {
    close_socket();
    std::lock_guard lock(_mu);
    if (_link == link::connected) {
        ++_counters.disconnects;
        eddy::log().info("channel to {} lost: {}", _peer.to_string(), why);
    }
    if (_link != link::closed && _link != link::never_connected) {
        _link = link::disconnected;
    }
    _credit_arrived = false;
    _credit = 0;
    for (auto& item : _queue) {
        item.charged = false;  // the next connection's credit pays for it
        item.written = 0;      // and gets it whole
    }
    if (_options.keep_until_acked) {
        // Nothing is dropped: it goes again on the next connection, in order.
        if (_io->write_in_progress) {
            _requeue_after_write = true;  // the write's completion requeues
        } else {
            requeue_unacknowledged(_io->writing);
        }
        _changed.notify_all();
        return;
    }
    if (!_io->write_in_progress) {
        for (auto& item : _io->writing) {
            _counters.records_dropped += item.records;
        }
        _io->writing.clear();
    }
    for (auto& item : _queue) {
        _counters.records_dropped += item.records;
        recycle(std::move(item.frames));
    }
    _queue.clear();
    _changed.notify_all();
}

}  // namespace eddy::transport
