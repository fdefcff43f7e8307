#pragma once

// The executor's batch_transport: what its instance produces goes to the
// downstream instances over the network. One outbound_channel per downstream
// instance; `send` encodes a batch as record_batch frames (one per run of
// records of the same stream) followed by a watermark frame when the
// watermark moved, and hands them to the channel, which waits for credit.
// End of stream is a `goodbye normal` on the channel.
//
// On the receiving side the same object gives credit back: `release` is
// called with each input batch the instance has processed, and returns that
// batch's wire bytes to the sending channel.
//
// In the durable modes (make_durable) nothing leaves before it is committed:
// `send` writes the encoded frames into the state store's outbox (in the
// pending commit) and stages them; after the commit, `after_commit` hands
// them to the channels, which keep them until the receiver acknowledges its
// own commit of them. `before_commit` trims what was acknowledged from the
// outbox and saves each channel's next sequence number, so that a restarted
// process continues the numbering and resends its outbox first.
//
// Lifecycle: created by the executor before its instance starts; channels
// open (connect) at start() and close at close(). Threading: acquire/send
// from the instance's thread; release from the instance's thread;
// set_credit_return at start-up.

#include "runtime/batch_pool.hpp"
#include "runtime/batch_transport.hpp"
#include "runtime/tracing.hpp"
#include "state/rocksdb_store.hpp"
#include "transport/outbound.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace eddy::executor {

struct network_counters {
    std::atomic<std::uint64_t> records_dropped{0};
    std::atomic<std::uint64_t> batches_out{0};
    std::atomic<std::uint64_t> bytes_out{0};
    // The instance thread's hand-overs to channels (almost all of it waiting
    // for credit: backpressure): completed ones, and when the one in progress
    // began (monotonic nanos; 0: none).
    std::atomic<std::uint64_t> handover_nanos{0};
    std::atomic<std::int64_t> handover_since{0};
};

class network_transport final : public runtime::batch_transport {
public:
    struct peer {
        instance_id id;
        transport::endpoint address;
    };
    // `pool` is shared with the inbound_router, which takes the batches that
    // release() gives back.
    network_transport(transport::io_loop& loop, transport::channel_identity self,
                      const std::vector<peer>& downstream, transport::outbound_options options,
                      std::uint32_t max_frame_bytes, runtime::batch_pool& pool);

    // Starts connecting to every downstream instance.
    void start();
    // Closes every channel with `reason` after what is queued, waiting up to
    // `timeout` in all.
    void close(wire::goodbye_reason reason, std::chrono::milliseconds timeout);

    [[nodiscard]] std::unique_ptr<runtime::record_batch> acquire() override;
    [[nodiscard]] std::int64_t send(instance_id destination,
                                    std::unique_ptr<runtime::record_batch> batch) override;
    void release(std::unique_ptr<runtime::record_batch> batch) override;

    // The durable modes: from now on sends go through `store`'s outbox, and
    // what an earlier run left there goes out first. Before start(); throws
    // std::runtime_error if the store cannot be read.
    void make_durable(state::rocksdb_store& store);
    // The commit hooks of the durable modes (instance thread): what was
    // staged belongs to commit number `commit` and leaves once
    // release_through reaches it (the commit is on disk).
    void before_commit();
    void after_commit(std::uint64_t commit);
    void release_through(std::uint64_t synced);

    // Opens a channel to `to` if there is none (a topology change added a
    // downstream instance). Instance thread.
    void ensure_channel(const peer& to);

    // Closes, after what is queued, every channel to an instance not in
    // `keep` with `goodbye topology_changed`: a topology change removed it
    // from this instance's downstream. Instance thread.
    void retire_channels_except(const std::set<instance_id>& keep);

    // A rescale (instance thread): channels to `held` hold what is sent to
    // them (up to `max_bytes` each, then `send` waits) until released; the
    // others are released. Channels opened later to a held instance start held.
    void hold_channels(const std::set<instance_id>& held, std::size_t max_bytes);
    // Releases every held channel not in `still_held`. Any thread: the
    // instance thread may be waiting in `send` on a full hold.
    void release_channels_except(const std::set<instance_id>& still_held);
    // Points every channel to an instance of `addresses` whose address
    // changed (the instance was placed on another host) at its new address.
    // Any thread: the instance thread may be waiting in `send` on the old one.
    void redirect_channels(const std::map<instance_id, transport::endpoint>& addresses);
    // Notes, for every channel, the highest sequence handed to it so far
    // (instance thread, at a routing change): what `drained` waits for.
    void mark_drain_points();
    // Whether every channel to one of `peers` has been acknowledged through
    // its drain point (a channel that never carried a batch is drained). Any thread.
    [[nodiscard]] bool drained(const std::set<instance_id>& peers) const;

    // Where `release` returns credit: (sender instance, bytes).
    void set_credit_return(std::function<void(instance_id, std::uint64_t)> credit_return) {
        _credit_return = std::move(credit_return);
    }

    // Visits each channel's peer id and counters (for metrics).
    template <class Visit>
    void for_each_channel(Visit&& visit) const {
        std::lock_guard lock(_channels_mu);
        for (const auto& [id, channel] : _channels) {
            visit(id, *channel.link);
        }
    }
    [[nodiscard]] const network_counters& counters() const { return _counters; }
    // Tracing: where the sent spans of traced records go. Before start().
    void set_span_buffer(runtime::span_buffer* spans) { _spans = spans; }

private:
    struct channel {
        std::shared_ptr<transport::outbound_channel> link;
        // A channel's numbering starts at the wall clock in microseconds, so
        // that a sender restarted without its store (at_most_once) goes on
        // above every sequence its earlier run used and is not taken for a
        // resend; the durable modes continue from their saved number.
        std::uint64_t next_sequence = first_sequence();
        time_micros sent_watermark = min_time;
        bool ended = false;
        std::uint64_t last_data_sequence = 0;  // highest sequence handed to the channel
        std::uint64_t drain_point = 0;         // last_data_sequence at mark_drain_points
        std::uint64_t saved_next = 0;          // durable: next_sequence as last saved
        std::deque<std::uint64_t> outboxed;    // durable: outbox entries not erased yet
    };
    struct staged {
        instance_id to;
        wire::byte_buffer frames;
        std::uint32_t records = 0;
        std::size_t credit_bytes = 0;
        sequence_number last_sequence;
        bool end = false;
        std::vector<runtime::span> sent;  // tracing: ended when handed over; usually empty
    };
    [[nodiscard]] static std::uint64_t first_sequence();
    // Hands frames to the channel and counts the outcome; returns the time it waited.
    std::int64_t hand_over(channel& to, staged item);
    [[nodiscard]] std::string sequence_position(instance_id to) const;

    transport::io_loop& _loop;
    transport::outbound_options _outbound;
    transport::channel_identity _self;
    std::uint32_t _max_frame_bytes;
    // Changed only by the instance thread (ensure_channel, retire), under the
    // lock; read by that thread without it and by metrics scrapes with it.
    mutable std::mutex _channels_mu;
    std::map<instance_id, channel> _channels;
    runtime::batch_pool& _pool;
    state::rocksdb_store* _store = nullptr;  // durable modes
    std::vector<staged> _staged;             // durable: sent, waiting for the commit
    // durable: committed, waiting for the commit's sync, in commit order
    std::deque<std::pair<std::uint64_t, staged>> _unsynced;
    std::function<void(instance_id, std::uint64_t)> _credit_return;
    network_counters _counters;
    std::set<instance_id> _held;  // GUARDED_BY(_channels_mu)
    std::size_t _hold_bytes = 0;  // GUARDED_BY(_channels_mu)
    runtime::span_buffer* _spans = nullptr;
};

}  // namespace eddy::executor
