#pragma once

// The sending side of one channel: this instance → one receiving instance in
// one topology epoch. It connects (and reconnects, with exponential backoff),
// opens the channel with a hello, and sends the frames its producer hands it,
// spending the credit the receiver grants: with no credit left, `send` waits,
// which is how a slow receiver slows its senders and, through them, the
// sources. Frames are moved in and written from the io thread without another
// copy (a gather write of every queued buffer).
//
// While the peer is unreachable after having been connected, `send` either
// drops the frames and counts them (at-most-once: a dead peer must never block
// the others) or waits for the reconnection (the durable modes, which resend
// from their outbox). Before the first connection `send` always waits: a peer
// that has not started yet is not dead.
//
// With `keep_until_acked` (the durable modes) the channel also keeps every
// batch it wrote until the receiver acknowledges it (an ack frame after the
// receiver's commit): a lost connection puts what is unacknowledged back at
// the head of the queue, in sequence order, and the next connection resends
// it from just after the sequence the receiver's first ack names. Nothing
// is dropped then; a receiver drops what it had already committed.
//
// Lifecycle: create(), [preload()], start(), send()..., close() (orderly: queued frames,
// then a goodbye) or abort(). Threading: send/acquire_buffer from one
// producer thread; close/abort/counters from any; the rest on the io thread.

#include "endpoint.hpp"
#include "errc.hpp"
#include "io_loop.hpp"
#include "wire/byte_buffer.hpp"
#include "wire/messages.hpp"

#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eddy::transport {

enum class when_disconnected {
    drop,  // count and drop what cannot be sent (at-most-once)
    wait,  // wait for the reconnection (at-least-once, exactly-once)
};

struct outbound_options {
    // First and longest pause between connection attempts. Defaults 20 ms, 1 s.
    std::chrono::milliseconds reconnect_min{20};
    std::chrono::milliseconds reconnect_max{1000};
    // What `send` does while the peer is unreachable. Default drop.
    when_disconnected disconnected = when_disconnected::drop;
    // Keep written batches until acknowledged and resend them after a
    // reconnection (see above). Default false.
    bool keep_until_acked = false;
};

struct outbound_counters {
    std::atomic<std::uint64_t> sends{0};  // send() calls written out
    std::atomic<std::uint64_t> bytes_sent{0};
    std::atomic<std::uint64_t> records_sent{0};
    std::atomic<std::uint64_t> records_dropped{0};
    std::atomic<std::uint64_t> blocked_nanos{0};  // time send() waited for credit
    std::atomic<std::uint64_t> connects{0};
    std::atomic<std::uint64_t> disconnects{0};
};

enum class send_outcome {
    sent,     // queued for writing on a live connection
    dropped,  // the peer is unreachable and the policy is drop
    stopped,  // the channel is closing
};

// The identity a channel announces in its hello.
struct channel_identity {
    instance_id sender;
    instance_id receiver;
    topology_epoch epoch;
    std::string sender_computation;
};

class outbound_channel : public std::enable_shared_from_this<outbound_channel> {
public:
    static std::shared_ptr<outbound_channel> create(io_loop& loop, endpoint peer,
                                                    channel_identity identity,
                                                    outbound_options options = {});
    ~outbound_channel();
    outbound_channel(const outbound_channel&) = delete;
    outbound_channel& operator=(const outbound_channel&) = delete;

    // Starts connecting. Any thread.
    void start();

    // A cleared buffer to encode frames into (recycled from earlier sends).
    [[nodiscard]] wire::byte_buffer acquire_buffer();
    // Hands over one or more whole frames holding `records` records, of which
    // `credit_bytes` are record_batch frames (what credit is counted in). A
    // send with credit_bytes > 0 waits while the receiver has granted no
    // credit (the backpressure); others (watermarks) only wait to connect.
    // `last_sequence` is the highest batch sequence among the frames (0 when
    // they hold no record_batch): with keep_until_acked, they are kept until
    // the receiver acknowledges it.
    [[nodiscard]] send_outcome send(wire::byte_buffer frames, std::uint32_t records,
                                    std::size_t credit_bytes,
                                    sequence_number last_sequence = sequence_number(0));
    // Queues frames kept from an earlier run of this process (the persisted
    // outbox), in sequence order, to go out first. Before start().
    void preload(wire::byte_buffer frames, std::uint32_t records, std::size_t credit_bytes,
                 sequence_number last_sequence);
    // Holds what is sent from now on: queued, not written, until release(),
    // while the receiver is not ready for it yet (a rescale is moving state to
    // it). `send` queues without waiting for credit until `max_bytes` of
    // frames are held, then waits (the backpressure). Acknowledgements still
    // arrive for what was written before. Any thread.
    void hold(std::size_t max_bytes);
    // Writes what was held, in order, and lets `send` go on. Any thread.
    void release();
    [[nodiscard]] bool held() const;
    // The highest sequence the receiver has acknowledged (0: none yet). Any thread.
    [[nodiscard]] sequence_number acknowledged() const {
        return sequence_number(_acked.load(std::memory_order_acquire));
    }
    // With keep_until_acked: waits until every batch sent so far is
    // acknowledged, reconnecting as needed; false if `timeout` passed first
    // or the channel was closed.
    [[nodiscard]] bool wait_acknowledged(std::chrono::milliseconds timeout);

    // Writes what is queued and a goodbye, then closes; waits up to `timeout`.
    void close(wire::goodbye_reason reason, std::string_view message,
               std::chrono::milliseconds timeout);
    // Closes at once; queued frames are dropped.
    void abort();

    [[nodiscard]] bool connected() const;
    // Where the channel stands, for the admin page: what a stalled sender
    // is waiting for. Any thread.
    struct standing {
        std::int64_t credit_bytes = 0;    // granted and not yet used
        std::size_t queued_batches = 0;   // handed over, not written
        std::size_t unacked_batches = 0;  // written, not acknowledged
        std::uint64_t last_queued = 0;    // highest sequence handed over
        std::uint64_t acknowledged = 0;   // highest sequence acknowledged
    };
    [[nodiscard]] standing where() const;
    [[nodiscard]] endpoint peer() const;
    // The receiver moved (its instance now runs on another host): from now
    // on the channel connects to `to`. A connection to the old address is
    // closed (what it had not acknowledged goes again in the modes that keep
    // it) and a wait before reconnecting is cut short. Any thread.
    void redirect(endpoint to);
    [[nodiscard]] const outbound_counters& counters() const { return _counters; }

    struct private_tag {};
    outbound_channel(private_tag, io_loop& loop, endpoint peer, channel_identity identity,
                     outbound_options options);

private:
    enum class link { never_connected, connected, disconnected, closed };
    struct queued {
        wire::byte_buffer frames;
        std::uint32_t records = 0;
        bool goodbye = false;
        std::uint64_t last_sequence = 0;  // 0: nothing to acknowledge
        std::size_t credit_bytes = 0;
        // Its credit_bytes are spent on the current connection. What is
        // queued before a connection's credit arrives (preloaded, requeued
        // after a loss, held) is charged then, and what an acknowledgement
        // removes from the queue unwritten gives back what it was charged.
        bool charged = false;
        // Bytes of `frames` already written on the current connection by
        // send() itself (write_directly); the io thread writes the rest.
        std::size_t written = 0;
    };
    static asio::awaitable<void> run(std::shared_ptr<outbound_channel> self);
    asio::awaitable<void> connect_and_serve();
    void write_queued();                     // io thread
    void lost(const std::string& why);       // io thread
    void recycle(wire::byte_buffer buffer);  // REQUIRES: _mu held
    // keep_until_acked: the queue becomes unacknowledged + `writing` + queued,
    // in sequence order. REQUIRES: _mu held.
    void requeue_unacknowledged(std::vector<queued>& writing);
    // Spends this connection's credit on every queued item not charged yet.
    // REQUIRES: _mu held.
    void charge_queued();
    // Drops what `through` acknowledges. REQUIRES: _mu held.
    void acknowledge(std::uint64_t through);
    void schedule_write();  // REQUIRES: _mu held
    // Writes `item` to the socket from the sending thread when nothing is
    // queued or being written ahead of it. True when all of it went out.
    // REQUIRES: _mu held.
    [[nodiscard]] bool write_directly(queued& item);
    // The io thread closes the socket: from now on send() must not use it.
    void close_socket();  // io thread
    // Counts a written item and keeps it until acknowledged (keep_until_acked)
    // or recycles its buffer. REQUIRES: _mu held.
    void written_out(queued item);

    io_loop& _loop;
    endpoint _peer;  // GUARDED_BY(_mu)
    const channel_identity _identity;
    const outbound_options _options;
    outbound_counters _counters;

    mutable std::mutex _mu;
    std::condition_variable _changed;
    link _link = link::never_connected;    // GUARDED_BY(_mu)
    bool _credit_arrived = false;          // GUARDED_BY(_mu): this connection got credit
    std::int64_t _credit = 0;              // GUARDED_BY(_mu); may go negative by a frame
    std::deque<queued> _queue;             // GUARDED_BY(_mu)
    std::deque<queued> _unacked;           // GUARDED_BY(_mu): written, not acknowledged
    std::uint64_t _last_queued = 0;        // GUARDED_BY(_mu): highest sequence handed over
    bool _requeue_after_write = false;     // GUARDED_BY(_mu): lost during a write
    std::atomic<std::uint64_t> _acked{0};  // written under _mu
    std::vector<wire::byte_buffer> _free;  // GUARDED_BY(_mu)
    bool _closing = false;                 // GUARDED_BY(_mu)
    bool _goodbye_written = false;         // GUARDED_BY(_mu)
    bool _kick_pending = false;            // GUARDED_BY(_mu): a write_queued is posted
    bool _io_ended = false;                // GUARDED_BY(_mu): the io loop has returned
    wire::byte_buffer _goodbye;            // GUARDED_BY(_mu): set by close()
    bool _held = false;                    // GUARDED_BY(_mu): see hold()
    std::size_t _hold_limit = 0;           // GUARDED_BY(_mu)
    std::size_t _held_bytes = 0;           // GUARDED_BY(_mu): frames queued while held
    // The connected socket's descriptor, for write_directly; -1 when there is
    // none. Set when the first credit arrives, cleared before the socket closes.
    int _direct_fd = -1;  // GUARDED_BY(_mu)

    // io thread only (but see io_state::writing)
    struct io_state;
    std::unique_ptr<io_state> _io;
};

}  // namespace eddy::transport
