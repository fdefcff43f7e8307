#pragma once

// The receiving side of an executor: the transport's inbound_handler. It
// admits a channel only from an upstream instance of this topology epoch to
// this instance, turns each record_batch frame into a runtime batch on the
// instance's inbound queue (records copied once, out of the socket buffer),
// a watermark frame into a watermark marker, and a `goodbye normal` into end
// of stream. Credit goes back when the instance has processed a batch
// (`grant`, via the network_transport's release).
//
// The queue push never waits: credit already bounds what each channel can
// have buffered here, and the io thread must keep serving other channels.
//
// Lifecycle: created by the executor before the server listens.
// Threading: the handler methods on the io thread; grant from the instance's
// thread; counters from any.

#include "runtime/batch_pool.hpp"
#include "runtime/inbound_queue.hpp"
#include "runtime/routing_table.hpp"
#include "runtime/tracing.hpp"
#include "transport/server.hpp"
#include "wire/messages.hpp"
#include "wire/record_batch.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace eddy::executor {

struct inbound_counters {
    std::atomic<std::uint64_t> records_in{0};
    std::atomic<std::uint64_t> batches_in{0};
    std::atomic<std::uint64_t> bytes_in{0};
    std::atomic<std::uint64_t> refused_channels{0};
    std::atomic<std::uint64_t> records_misrouted{0};  // refused: a key group not owned here
};

// Which key groups this instance owns, for the fence of a rescale.
struct key_group_ownership {
    std::set<std::string, std::less<>> keyed_streams;  // inputs with key grouping
    std::uint32_t max_key_groups = 4096;
    std::vector<bool> owned;  // by key group
    std::uint64_t version = 0;
};

class inbound_router final : public transport::inbound_handler {
public:
    inbound_router(instance_id self, topology_epoch epoch, std::set<instance_id> upstreams,
                   runtime::inbound_queue& queue, runtime::batch_pool& pool);

    [[nodiscard]] transport::transport_result<sequence_number> on_hello(
        const transport::channel_info& info) override;
    void on_accepted(const std::shared_ptr<transport::inbound_channel>& channel) override;
    [[nodiscard]] transport::transport_result<void> on_frame(
        const std::shared_ptr<transport::inbound_channel>& channel,
        const wire::frame_view& frame) override;
    void on_closed(const std::shared_ptr<transport::inbound_channel>& channel,
                   const transport::transport_error& reason) override;

    // A topology change: channels from these instances are admitted from now on.
    void set_upstreams(std::set<instance_id> upstreams);

    // Returns `bytes` of credit to `sender`'s channel, if it is still open.
    void grant(instance_id sender, std::uint64_t bytes);

    // The durable modes. The highest committed sequence of each upstream
    // channel of this epoch, as reopened from the state store: a hello is
    // answered with it, and the sender resends what follows. Before listening.
    void set_committed(const std::map<instance_id, sequence_number>& committed);
    // `sender`'s batches up to `committed` are durably processed: remembered
    // for its next hello and acknowledged to it now (instance thread).
    void acknowledge(instance_id sender, sequence_number committed);
    // The fence of a rescale: a batch holding a record of a keyed stream
    // whose key group this instance does not own closes its channel as a
    // protocol error (the sender keeps it, reconnects and tries again), so
    // that a sender routing by a stale table can neither lose nor misplace
    // it. Null: every group is owned. Any thread.
    void set_ownership(std::shared_ptr<const key_group_ownership> ownership);
    [[nodiscard]] const inbound_counters& counters() const { return _counters; }
    // Tracing: where the received spans of traced records go. Before listening.
    void set_span_buffer(runtime::span_buffer* spans) { _spans = spans; }

private:
    struct channel_state {
        std::shared_ptr<transport::inbound_channel> channel;
        time_micros watermark = min_time;
    };
    void push_marker(instance_id sender, time_micros watermark, runtime::channel_marker marker);
    // Tracing (io thread): a traced record was appended last to `batch`; its
    // received span ends when the batch is queued (record_received).
    void receive_traced(runtime::record_batch& batch, const wire::trace_context& trace,
                        std::string_view stream, std::string_view key, std::int64_t decoded_at);
    void record_received(std::int64_t queued_at);
    // REQUIRES: _mu held.
    static void adopt(channel_state& state,
                      const std::shared_ptr<transport::inbound_channel>& channel);

    const instance_id _self;
    const topology_epoch _epoch;
    std::set<instance_id> _upstreams;  // GUARDED_BY(_mu)
    runtime::inbound_queue& _queue;
    runtime::batch_pool& _pool;             // shared with the network_transport, which recycles
    std::vector<wire::record_view> _views;  // io thread: reused per batch
    std::mutex _mu;
    std::map<instance_id, channel_state> _channels;         // GUARDED_BY(_mu)
    std::map<instance_id, sequence_number> _committed;      // GUARDED_BY(_mu)
    std::shared_ptr<const key_group_ownership> _ownership;  // GUARDED_BY(_mu)
    inbound_counters _counters;
    runtime::span_buffer* _spans = nullptr;
    runtime::span_ids _span_ids{runtime::random_seed()};  // io thread
    std::vector<runtime::span> _received;                 // io thread: reused per batch
};

}  // namespace eddy::executor
