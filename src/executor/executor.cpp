#include "executor.hpp"

#include "base/files.hpp"
#include "base/log.hpp"
#include "connectors/builtin.hpp"
#include "metrics.hpp"
#include "runtime/config_settings.hpp"
#include "runtime/producer.hpp"
#include "runtime/watermark_declarer.hpp"
#include "sdk_computation.hpp"
#include "state/memory_state_store.hpp"
#include "state/rocksdb_store.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace eddy::executor {

namespace {

using namespace std::chrono_literals;

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read topology file '" + path + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The endpoint of every instance id.
std::map<instance_id, transport::endpoint> endpoints_by_instance(
    const topology_document& topology) {
    std::map<instance_id, transport::endpoint> all;
    for (const auto& entry : topology.computations) {
        for (std::uint32_t n = 0; n < entry.instances; ++n) {
            all.emplace(entry.ids[n], entry.endpoints[n]);
        }
    }
    return all;
}

}  // namespace

executor::executor(executor_options options) : _options(std::move(options)) {}

executor::~executor() {
    if (_admin) {
        _admin->stop();
    }
    if (_server) {
        _server->stop();
    }
    _loop.stop();
}

void executor::start() {
    if (_options.admin_token.empty()) {
        throw std::runtime_error("no admin token: set EDDY_ADMIN_TOKEN or --admin-token-file");
    }
    auto parsed = parse_topology(read_text(_options.topology_path));
    if (!parsed) {
        throw std::runtime_error(parsed.error().message);
    }
    _topology = std::move(*parsed);
    auto found = std::find_if(_topology.computations.begin(), _topology.computations.end(),
                              [&](const auto& c) { return c.name == _options.computation; });
    if (found == _topology.computations.end()) {
        throw std::runtime_error("computation '" + _options.computation +
                                 "' is not in the topology " + _options.topology_path);
    }
    _position = static_cast<std::size_t>(found - _topology.computations.begin());
    const computation_entry& me = *found;
    if (_options.index >= me.instances) {
        throw std::runtime_error(
            fmt::format("computation '{}' has {} instances; there is no "
                        "instance {}",
                        me.name, me.instances, _options.index));
    }

    // The computation itself: a built-in by name, a class from a library, or
    // a program in another language beside this process.
    if (!me.command.empty() || me.attach) {
        _user = make_sdk_computation(me);
    } else if (!me.builtin.empty()) {
        // A built-in takes its computation name from the topology unless the
        // config names it: what it derives from its name (its dead-letter
        // stream) must be the runtime's.
        auto config = me.config;
        config.emplace("name", me.name);
        // The runtime's tracing options (config_settings.hpp) are not the connector's.
        config.erase("trace_sample_one_in");
        config.erase("trace_keys");
        auto made = connectors::make_builtin(me.builtin, config);
        if (!made) {
            throw std::runtime_error("computation '" + me.name + "': " + made.error().message);
        }
        _user = std::move(*made);
    } else {
        auto factory = _loader.factory(me.library, me.class_name);
        if (!factory) {
            throw std::runtime_error("computation '" + me.name + "': " + factory.error().message);
        }
        _factory = std::move(*factory);
        _user = _factory();
    }
    const bool polled = dynamic_cast<source*>(_user.get()) != nullptr;

    try {
        _plan = plan_topology_for(_topology, me.name, polled, _position);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string("topology: ") + e.what());
    }
    const auto& layout = _plan.computations[_position];
    _shape = layout.shape;
    _self = me.ids[_options.index];
    _routes = std::make_unique<runtime::routing_table_holder>(_plan.routes);

    _store = open_store(me);

    // Receiving: only from this instance's upstream instances.
    _router = std::make_unique<inbound_router>(
        _self, _topology.epoch,
        std::set<instance_id>(layout.upstreams.begin(), layout.upstreams.end()), _queue, _pool);
    if (_durable != nullptr) {
        auto marks = _durable->input_marks();
        if (!marks) {
            throw std::runtime_error("input marks could not be read: " + marks.error().message);
        }
        std::map<instance_id, sequence_number> committed;
        for (const auto& [channel, sequence] : *marks) {
            if (channel.epoch == _topology.epoch) {
                committed[channel.peer] = sequence;
                _processed[channel.peer] = sequence.value();
            }
        }
        _router->set_committed(committed);
    }
    load_ownership(me);
    migrate_state(me);
    transport::inbound_options inbound;
    inbound.credit_window_bytes = _options.credit_window_bytes;
    _server = std::make_unique<transport::server>(_loop, *_router, inbound);
    auto bound = _server->listen(me.endpoints[_options.index]);
    if (!bound) {
        throw std::runtime_error(bound.error().message);
    }

    // Sending: one channel per downstream instance.
    const auto addresses = endpoints_by_instance(_topology);
    std::vector<network_transport::peer> downstream;
    for (const instance_id to : layout.downstream) {
        downstream.push_back({to, addresses.at(to)});
    }
    transport::outbound_options outbound;
    outbound.disconnected = me.delivery == delivery_mode::at_most_once
                                ? transport::when_disconnected::drop
                                : transport::when_disconnected::wait;
    outbound.keep_until_acked = _durable != nullptr;
    _transport = std::make_unique<network_transport>(
        _loop, transport::channel_identity{_self, instance_id{}, _topology.epoch, me.name},
        downstream, outbound, wire::default_max_frame_bytes, _pool);
    // A rescale in progress: what goes to the instances taking over key
    // groups waits until their state has arrived.
    _transport->hold_channels(held_instances(_topology), _options.credit_window_bytes);
    if (_durable != nullptr) {
        _transport->make_durable(*_durable);
    }
    _transport->mark_drain_points();
    {
        std::lock_guard lock(_pending_mu);
        note_routing_versions(_topology);
    }
    _router->set_span_buffer(&_spans);
    _transport->set_span_buffer(&_spans);
    _transport->set_credit_return(
        [router = _router.get()](instance_id sender, std::uint64_t bytes) {
            router->grant(sender, bytes);
        });

    build_task();
    _loop.start();
    _transport->start();

    _admin = std::make_unique<admin_server>(
        admin_routes{[this] { return render_metrics(); }, [this] { return render_health(); },
                     [this] { return render_spans(); },
                     [this](std::string_view body) { return replace_topology(body); },
                     [this](std::string_view action, std::string_view body) {
                         return handoff(action, body);
                     }},
        _options.admin_token);
    auto admin_port = _admin->start(_options.admin_host, _options.admin_port);
    if (!admin_port) {
        throw std::runtime_error(admin_port.error().message);
    }
    if (!_options.admin_port_file.empty()) {
        eddy::write_file_atomically(_options.admin_port_file, std::to_string(*admin_port) + "\n");
    }
    eddy::log().info("{}[{}] (instance {}) listening on {}, admin on {}:{}", me.name,
                     _options.index, _self, bound->to_string(), _options.admin_host, *admin_port);
}

std::unique_ptr<computation> executor::make_sdk_computation(const computation_entry& me) const {
    sdk_computation_options options;
    options.name = me.name;
    options.inputs = me.inputs;
    options.outputs = me.outputs;
    options.config = me.config;
    options.timeout = std::chrono::milliseconds(me.timeout_ms);
    options.max_retries = runtime::config_settings_of(me.config, me.name)
                              .max_retries.value_or(runtime::default_max_retries);
    options.process.command = me.command;
    options.process.workdir =
        me.workdir.empty() ? std::filesystem::current_path() : std::filesystem::path(me.workdir);
    options.process.attach = me.attach;
    options.process.cancelled = &_stop;
    options.process.environment = {{"EDDY_COMPUTATION", me.name},
                                   {"EDDY_INSTANCE_INDEX", std::to_string(_options.index)},
                                   {"EDDY_INSTANCE_COUNT", std::to_string(me.instances)}};
    return std::make_unique<sdk_computation>(std::move(options));
}

std::unique_ptr<state::state_store> executor::open_store(const computation_entry& me) {
    if (me.delivery == delivery_mode::at_most_once) {
        return std::make_unique<state::memory_state_store>();
    }
    if (_options.state_dir.empty()) {
        throw std::runtime_error(
            fmt::format("computation '{}' is {}: its state needs a "
                        "directory (--state-dir)",
                        me.name, to_string(me.delivery)));
    }
    // exactly_once: no commit's outputs or acknowledgements leave before the
    // commit is on disk; the store's sync thread syncs while processing goes
    // on (sync_policy::group), and while it syncs the instance gathers its
    // work into the next commit (should_defer_commit), so one sync covers
    // everything done during the previous one. at_least_once may lose the
    // last interval's commits to a machine crash (not to a process crash).
    state::rocksdb_options options;
    options.sync = me.delivery == delivery_mode::exactly_once ? state::sync_policy::group
                                                              : state::sync_policy::periodic;
    options.changelog_dir = _options.changelog_dir;
    auto opened = state::rocksdb_store::open(_options.state_dir, options);
    if (!opened) {
        throw std::runtime_error(opened.error().message);
    }
    _durable = opened->get();
    // A finished sync wakes the instance thread to send what it released.
    _durable->set_on_synced([this] { _queue.wake(); });
    return std::move(*opened);
}

void executor::build_task() {
    const computation_entry& me = _topology.computations[_position];
    const auto& layout = _plan.computations[_position];
    _config = me.config;
    const auto times = runtime::config_settings_of(me.config, me.name);
    _settings = std::make_unique<runtime::instance_settings>(runtime::instance_settings{
        me.name, _self, _options.index, me.instances, _topology.max_key_groups,
        times.max_retries.value_or(runtime::default_max_retries), &_config, &_clock, me.delivery});
    runtime::output_channels channels(_self, *_transport, _options.batch_records, layout.downstream,
                                      _counters);
    const auto watermarks =
        runtime::watermarks_of(_shape == runtime::instance_shape::consumer, _user.get());
    runtime::producer output(*_routes,
                             runtime::published_streams({.name = me.name, .outputs = me.outputs}),
                             std::move(channels), watermarks, times.watermark_delay, _counters);
    _task = std::make_unique<runtime::instance_task>(
        *_settings, std::move(_user), std::move(_store), std::move(output),
        runtime::watermark_tracker(layout.upstreams, times.idle), _counters);
    _task->tracer().configure(times.tracing, &_spans, runtime::random_seed());
    if (_durable != nullptr) {
        _task->set_commit_hooks({[this] { before_commit(); }, [this] { after_commit(); }});
    }
}

bool executor::admit(const runtime::record_batch& batch) {
    if (batch.sequence.value() == 0) {
        return true;  // a pure marker (watermark, end of stream)
    }
    auto& processed = _processed[batch.sender];
    if (batch.sequence.value() <= processed) {
        runtime::instance_counters::add(_counters.duplicates_dropped, batch.size());
        return false;
    }
    processed = batch.sequence.value();
    _marks_moved.insert(batch.sender);
    return true;
}

void executor::before_commit() {
    for (const instance_id sender : _marks_moved) {
        const auto put = _durable->put_input_mark({sender, _topology.epoch},
                                                  sequence_number(_processed[sender]));
        if (!put) {
            throw std::runtime_error("input mark write failed: " + put.error().message);
        }
    }
    _transport->before_commit();
}

void executor::after_commit() {
    // Once the commit is on disk, upstream may forget what it holds, and
    // what it produced leaves.
    const std::uint64_t commit = _durable->last_commit();
    for (const instance_id sender : _marks_moved) {
        _unsynced_acks.push_back({commit, sender, sequence_number(_processed[sender])});
    }
    _marks_moved.clear();
    _deferred_since = 0;  // whatever was left for this commit is in it
    _deferred_records = 0;
    _transport->after_commit(commit);
    release_synced();
}

void executor::release_synced(bool wait) {
    if (wait) {
        if (auto synced = _durable->wait_synced(_durable->last_commit()); !synced) {
            throw std::runtime_error(synced.error().message);
        }
    }
    const std::uint64_t synced = _durable->synced_commit();
    while (!_unsynced_acks.empty() && _unsynced_acks.front().commit <= synced) {
        _router->acknowledge(_unsynced_acks.front().sender, _unsynced_acks.front().sequence);
        _unsynced_acks.pop_front();
    }
    _transport->release_through(synced);
}

void executor::acknowledge_upstream() {
    for (const instance_id sender : _marks_moved) {
        _router->acknowledge(sender, sequence_number(_processed[sender]));
    }
    _marks_moved.clear();
    _unacknowledged_batches = 0;
}

void executor::stop() {
    _stop.store(true, std::memory_order_release);
    _queue.wake();
    _final_scrape.release();  // a finished instance waiting for its last scrape exits now
}

}  // namespace eddy::executor
