// What the executor's admin server serves: metrics, health, and topology
// replacement (accepted on the admin thread, applied on the instance thread
// between batches).

#include "base/log.hpp"
#include "executor.hpp"
#include "metrics.hpp"

#include <nlohmann/json.hpp>

namespace eddy::executor {

std::string executor::render_metrics() const {
    // A page begun once the instance finished holds its final counters.
    const bool final_counters = _finished.load();
    const auto& me = *_settings;
    metrics_page page({{"computation", me.computation},
                       {"instance", std::to_string(me.index)},
                       {"instance_id", std::to_string(_self.value())}});
    const auto& inbound = _router->counters();
    const auto& outbound = _transport->counters();
    std::uint64_t dropped = outbound.records_dropped.load();
    std::uint64_t blocked_nanos = 0;
    std::uint64_t records_sent = 0;
    std::uint64_t queued_batches = 0;
    _transport->for_each_channel([&](instance_id peer, const transport::outbound_channel& ch) {
        const auto& c = ch.counters();
        dropped += c.records_dropped.load();
        blocked_nanos += c.blocked_nanos.load();
        records_sent += c.records_sent.load();
        const metric_labels to{{"peer", std::to_string(peer.value())}};
        page.gauge("eddy_channel_connected", "1 if the channel to the peer is connected",
                   ch.connected() ? 1 : 0, to);
        page.counter("eddy_channel_connects_total", "Connections made to the peer",
                     static_cast<double>(c.connects.load()), to);
        page.counter("eddy_channel_records_dropped_total",
                     "Records dropped because the peer was unreachable",
                     static_cast<double>(c.records_dropped.load()), to);
        const auto standing = ch.where();
        queued_batches += standing.queued_batches;
        page.gauge("eddy_channel_credit_bytes", "Credit the peer granted that is not used yet",
                   static_cast<double>(standing.credit_bytes), to);
        page.gauge("eddy_channel_queued_batches", "Batches handed to the channel, not written",
                   static_cast<double>(standing.queued_batches), to);
        page.gauge("eddy_channel_unacknowledged_batches",
                   "Batches written to the peer and not acknowledged yet",
                   static_cast<double>(standing.unacked_batches), to);
        page.gauge("eddy_channel_unacknowledged_sequences",
                   "Highest sequence handed over minus the highest acknowledged",
                   static_cast<double>(standing.last_queued > standing.acknowledged
                                           ? standing.last_queued - standing.acknowledged
                                           : 0),
                   to);
    });
    page.counter("eddy_records_in_total", "Records processed by the instance",
                 static_cast<double>(_counters.records_in.load()));
    page.counter("eddy_records_out_total", "Records produced by the instance",
                 static_cast<double>(_counters.records_out.load()));
    page.counter("eddy_records_received_total", "Records received from upstream channels",
                 static_cast<double>(inbound.records_in.load()));
    page.counter("eddy_records_sent_total", "Records written to downstream channels",
                 static_cast<double>(records_sent));
    page.counter("eddy_bytes_in_total", "Bytes of record batches received",
                 static_cast<double>(inbound.bytes_in.load()));
    page.counter("eddy_bytes_out_total", "Bytes of frames sent downstream",
                 static_cast<double>(outbound.bytes_out.load()));
    page.counter("eddy_batches_in_total", "Record batches received",
                 static_cast<double>(inbound.batches_in.load()));
    page.counter("eddy_batches_out_total", "Frame groups sent downstream",
                 static_cast<double>(outbound.batches_out.load()));
    page.counter("eddy_records_dropped_total",
                 "Records dropped (unreachable peer in at-most-once, or unroutable)",
                 static_cast<double>(dropped));
    page.gauge("eddy_queue_depth_batches", "Batches waiting in the inbound queue",
               static_cast<double>(_queue.size()));
    page.counter("eddy_blocked_on_credit_seconds_total", "Time spent waiting for downstream credit",
                 static_cast<double>(blocked_nanos) / 1e9);
    page.counter("eddy_timers_fired_total", "Timers fired",
                 static_cast<double>(_counters.timers_fired.load()));
    page.counter("eddy_failures_total", "User callbacks that threw",
                 static_cast<double>(_counters.failures.load()));
    page.counter("eddy_dead_letters_total", "Records or timers given up after retries",
                 static_cast<double>(_counters.dead_letters.load()));
    page.counter("eddy_duplicates_dropped_total",
                 "Records of resent batches already processed, dropped (durable modes)",
                 static_cast<double>(_counters.duplicates_dropped.load()));
    page.counter("eddy_malformed_frames_total",
                 "Connections closed for a malformed or unexpected frame",
                 static_cast<double>(_server->counters().protocol_errors.load()));
    page.counter("eddy_refused_channels_total", "Channels refused at hello",
                 static_cast<double>(inbound.refused_channels.load()));
    page.counter("eddy_records_misrouted_total",
                 "Records refused for a key group this instance does not own",
                 static_cast<double>(inbound.records_misrouted.load()));
    render_timing(page);
    page.gauge("eddy_state_bytes",
               "Bytes of keyed state and timers (RocksDB's estimate in the durable modes; keys, "
               "names and values in memory otherwise), at most a second old",
               static_cast<double>(_counters.state_bytes.load(std::memory_order_relaxed)));
    page.gauge("eddy_outbound_queued_batches",
               "Batches handed to downstream channels and not written yet, all channels",
               static_cast<double>(queued_batches));
    auto text = page.render();
    if (final_counters) {
        _final_scrape.scraped();
    }
    return text;
}

void executor::render_timing(metrics_page& page) const {
    const auto& outbound = _transport->counters();
    const auto split = _time_split.report(
        _counters, outbound.handover_nanos.load(std::memory_order_relaxed),
        outbound.handover_since.load(std::memory_order_relaxed), monotonic_nanos());
    page.counter("eddy_busy_seconds_total",
                 "Time the instance thread spent working: callbacks, commits, routing", split.busy);
    page.counter("eddy_idle_seconds_total", "Time the instance thread waited for input",
                 split.idle);
    page.counter("eddy_backpressured_seconds_total",
                 "Time the instance thread spent handing batches to downstream channels, "
                 "waiting for their credit",
                 split.backpressured);
    page.histogram("eddy_processing_latency_seconds",
                   "Processing time per input record (each batch's time divided over its records)",
                   _counters.processing);
    page.histogram("eddy_event_time_latency_seconds",
                   "Processing time minus event time of input records (one sampled per batch)",
                   _counters.event_time_latency);
    page.histogram("eddy_commit_duration_seconds", "Duration of state commits (durable modes)",
                   _counters.commit);
    const time_micros watermark = _counters.output_watermark.load(std::memory_order_relaxed);
    if (watermark != min_time && watermark != max_time) {
        page.gauge("eddy_output_watermark_seconds",
                   "Output watermark, event time in seconds since the epoch",
                   static_cast<double>(watermark) / 1e6);
        page.gauge("eddy_watermark_lag_seconds", "Processing time minus the output watermark",
                   (static_cast<double>(_clock.now()) - static_cast<double>(watermark)) / 1e6);
    }
}

std::string executor::render_health() const {
    const char* state = _finished ? "finished" : _draining ? "draining" : "running";
    return nlohmann::json{{"state", state},
                          {"computation", _settings->computation},
                          {"instance", _options.index},
                          {"instance_id", _self.value()},
                          {"epoch", _topology.epoch.value()}}
               .dump() +
           "\n";
}

runtime::topology_plan executor::plan_topology_for(const topology_document& topology,
                                                   std::string_view computation, bool polled,
                                                   std::size_t& position) {
    std::vector<runtime::planned_computation> planned;
    position = topology.computations.size();
    for (std::size_t c = 0; c < topology.computations.size(); ++c) {
        const auto& entry = topology.computations[c];
        if (entry.name == computation) {
            position = c;
        }
        planned.push_back({{entry.name, entry.inputs, entry.outputs},
                           entry.instances,
                           entry.name == computation && polled,
                           runtime::name_check::user,
                           entry.ids,
                           entry.assignment});
    }
    if (position == topology.computations.size()) {
        throw std::invalid_argument("computation '" + std::string(computation) +
                                    "' is not in the topology");
    }
    return runtime::plan_topology(planned, topology.max_key_groups);
}

executor_result<void> executor::replace_topology(std::string_view body) {
    auto parsed = parse_topology(body);
    if (!parsed) {
        return tl::unexpected(parsed.error());
    }
    if (parsed->epoch != _topology.epoch) {
        return fail(executor_errc::bad_topology,
                    "topology epoch {} differs from this executor's epoch {}: a new epoch "
                    "restarts the channels and is applied by restarting the instance",
                    parsed->epoch, _topology.epoch);
    }
    const auto& name = _settings->computation;
    auto found = std::find_if(parsed->computations.begin(), parsed->computations.end(),
                              [&](const auto& c) { return c.name == name; });
    if (found == parsed->computations.end()) {
        return fail(executor_errc::not_in_topology, "computation '{}' is not in the new topology",
                    name);
    }
    if (_options.index >= found->instances || found->ids[_options.index] != _self) {
        return fail(executor_errc::bad_topology,
                    "the new topology does not have instance {} of '{}' as instance id {}",
                    _options.index, name, _self);
    }
    if (found->assignment_version < _owned_version.load(std::memory_order_acquire)) {
        return fail(executor_errc::bad_topology,
                    "the new topology's key assignment of '{}' (version {}) is older than the one "
                    "this instance holds (version {}): refused as stale",
                    name, found->assignment_version, _owned_version.load());
    }
    try {
        std::size_t position = 0;
        (void)plan_for(*parsed, position);
    } catch (const std::invalid_argument& e) {
        return fail(executor_errc::bad_topology, "topology: {}", e.what());
    }
    // A hold that ends is released from here, and channels follow instances
    // that moved to another host: the instance thread may be waiting in a
    // send on them.
    _transport->release_channels_except(held_instances(*parsed));
    std::map<instance_id, transport::endpoint> addresses;
    for (const auto& entry : parsed->computations) {
        for (std::uint32_t n = 0; n < entry.instances; ++n) {
            addresses.emplace(entry.ids[n], entry.endpoints[n]);
        }
    }
    _transport->redirect_channels(addresses);
    std::unique_lock lock(_pending_mu);
    _pending = std::move(*parsed);
    const std::uint64_t ticket = ++_requested;
    _has_pending.store(true, std::memory_order_release);
    _queue.wake();
    // Answer once it is in force, so that the caller can order changes
    // across executors (upstreams stop routing before a receiver is stopped).
    if (!_applied_changed.wait_for(lock, std::chrono::seconds(15),
                                   [&] { return _applied >= ticket || _finished; })) {
        return fail(executor_errc::bad_topology,
                    "the new topology was accepted but not applied within 15 s (the instance "
                    "is busy or blocked on credit); it will apply when the instance is free");
    }
    return {};
}

void executor::apply_pending_topology() {
    std::optional<topology_document> next;
    std::uint64_t ticket = 0;
    {
        std::lock_guard lock(_pending_mu);
        next.swap(_pending);
        ticket = _requested;
        _has_pending.store(false, std::memory_order_release);
    }
    run_jobs();
    if (next) {
        std::size_t position = 0;
        // Checked on the admin thread already; a failure here would be a bug.
        const auto plan = plan_for(*next, position);
        const auto& layout = plan.computations[position];
        std::map<instance_id, transport::endpoint> addresses;
        for (const auto& entry : next->computations) {
            for (std::uint32_t n = 0; n < entry.instances; ++n) {
                addresses.emplace(entry.ids[n], entry.endpoints[n]);
            }
        }
        // What was produced under the old routing leaves first: nothing meant
        // for an instance that is going away is left behind in an open batch.
        _task->flush();
        // Held first, so that nothing routed by the new table reaches an
        // instance still waiting for its state.
        _transport->hold_channels(held_instances(*next), _options.credit_window_bytes);
        for (const instance_id to : layout.downstream) {
            _transport->ensure_channel({to, addresses.at(to)});
        }
        _transport->retire_channels_except(
            std::set<instance_id>(layout.downstream.begin(), layout.downstream.end()));
        _router->set_upstreams(
            std::set<instance_id>(layout.upstreams.begin(), layout.upstreams.end()));
        _task->set_upstreams(layout.upstreams);
        _settings->count = next->computations[position].instances;
        _routes->replace(plan.routes);
        _plan = plan;
        // What went out under the old routing is what a drain waits for.
        _transport->mark_drain_points();
        eddy::log().info("{}[{}]: topology applied ({} downstream, {} upstream instances)",
                         _settings->computation, _options.index, layout.downstream.size(),
                         layout.upstreams.size());
    }
    std::lock_guard lock(_pending_mu);
    if (next) {
        note_routing_versions(*next);
    }
    _applied = std::max(_applied, ticket);
    _applied_changed.notify_all();
}

}  // namespace eddy::executor
