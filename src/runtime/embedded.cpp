// embedded_topology: the in-process runtime (include/eddy/embedded.hpp).
// Wires the pieces: plans the topology, builds one inbound queue, task and
// runner per instance, starts one thread per instance, and waits for all of
// them to report that they finished.

#include "config_settings.hpp"
#include "instance_runner.hpp"
#include "local_transport.hpp"
#include "state/memory_state_store.hpp"
#include "topology_plan.hpp"
#include "watermark_declarer.hpp"
#include <eddy/embedded.hpp>

#include <fmt/format.h>

#include <condition_variable>
#include <stdexcept>
#include <thread>

namespace eddy {

std::vector<collected_stream::owned_record> collected_stream::records() const {
    const std::lock_guard lock(_mu);
    return _records;
}

std::size_t collected_stream::size() const {
    const std::lock_guard lock(_mu);
    return _records.size();
}

void collected_stream::append(const record& r) {
    const std::lock_guard lock(_mu);
    _records.push_back(owned_record{std::string(r.key), std::string(r.value), r.time});
}

namespace {

// The hidden subscriber behind `collect`: one instance, appends every record.
class collector final : public computation {
public:
    collector(std::string stream, std::shared_ptr<collected_stream> into)
        : _stream(std::move(stream)), _into(std::move(into)) {}
    eddy::metadata metadata() const override {
        return {.name = "collect:" + _stream, .inputs = {{_stream, grouping::shuffle}}};
    }
    void process_record(context&, const record& r) override { _into->append(r); }

private:
    std::string _stream;
    std::shared_ptr<collected_stream> _into;
};

}  // namespace

struct embedded_topology::impl {
    struct spec {
        computation_factory factory;
        computation_options options;
        eddy::metadata meta;
        std::unique_ptr<computation> first;  // made by `add` to read the metadata; instance 0
        runtime::name_check names = runtime::name_check::user;
    };

    embedded_options options;
    system_clock own_clock;
    const eddy::clock* clock = nullptr;
    std::vector<spec> specs;
    std::map<std::string, std::shared_ptr<collected_stream>, std::less<>> collectors;

    // Built by start(); destroyed in reverse: threads are joined before anything goes.
    runtime::topology_plan plan;
    std::unique_ptr<runtime::routing_table_holder> routes;
    std::vector<std::unique_ptr<runtime::inbound_queue>> queues;
    std::unique_ptr<runtime::local_transport> transport;
    std::vector<std::unique_ptr<runtime::instance_counters>> counters;
    std::vector<runtime::instance_settings> settings;
    std::vector<std::unique_ptr<runtime::instance_task>> tasks;
    std::vector<std::unique_ptr<runtime::instance_runner>> runners;

    std::mutex mu;
    std::condition_variable all_finished;
    std::uint32_t finished = 0;        // GUARDED_BY(mu)
    bool started = false;              // GUARDED_BY(mu)
    std::vector<std::thread> threads;  // GUARDED_BY(join_mu)
    std::mutex join_mu;

    void build();
    void launch();
    void join();
};

void embedded_topology::impl::build() {
    if (options.batch_records == 0 || options.queue_batches == 0) {
        throw std::invalid_argument("batch_records and queue_batches must be at least 1");
    }
    std::vector<runtime::planned_computation> planned;
    for (const auto& s : specs) {
        planned.push_back({s.meta, s.options.instances,
                           dynamic_cast<const source*>(s.first.get()) != nullptr, s.names});
    }
    plan = runtime::plan_topology(planned, options.max_key_groups);
    routes = std::make_unique<runtime::routing_table_holder>(plan.routes);

    std::vector<runtime::inbound_queue*> queue_of;
    for (std::uint32_t i = 0; i < plan.total_instances; ++i) {
        queues.push_back(std::make_unique<runtime::inbound_queue>(options.queue_batches));
        queue_of.push_back(queues.back().get());
        counters.push_back(std::make_unique<runtime::instance_counters>());
    }
    // The pool keeps every batch that can be in flight at once: each queue
    // full, one batch being processed per instance, one open per channel.
    // A smaller pool frees batches when the queues drain and allocates (and
    // page-faults, and regrows) fresh ones when they fill again: with
    // 4096-record batches that was a third of the source's time in
    // bench/pipeline whenever the stages ran out of step.
    std::size_t channels = 0;
    for (const auto& layout : plan.computations) {
        channels += std::size_t{layout.instances} * layout.downstream.size();
    }
    const std::size_t pool_capacity =
        std::size_t{plan.total_instances} * (options.queue_batches + 1) + channels;
    transport = std::make_unique<runtime::local_transport>(std::move(queue_of), pool_capacity);
    settings.reserve(plan.total_instances);
    for (std::size_t c = 0; c < specs.size(); ++c) {
        spec& s = specs[c];
        const auto& layout = plan.computations[c];
        const auto times = runtime::config_settings_of(s.options.config, s.meta.name);
        for (std::uint32_t n = 0; n < layout.instances; ++n) {
            const instance_id id(layout.first.value() + n);
            auto user = n == 0 ? std::move(s.first) : s.factory();
            if (!user) {
                throw std::invalid_argument(
                    fmt::format("the factory of computation '{}' returned null", s.meta.name));
            }
            settings.push_back({s.meta.name, id, n, layout.instances, options.max_key_groups,
                                times.max_retries.value_or(options.max_retries), &s.options.config,
                                clock});
            auto& count = *counters[id.value()];
            runtime::output_channels channels(id, *transport, options.batch_records,
                                              layout.downstream, count);
            const auto watermarks = runtime::watermarks_of(
                layout.shape == runtime::instance_shape::consumer, user.get());
            runtime::producer output(*routes, runtime::published_streams(s.meta),
                                     std::move(channels), watermarks, times.watermark_delay, count);
            tasks.push_back(std::make_unique<runtime::instance_task>(
                settings.back(), std::move(user), std::make_unique<state::memory_state_store>(),
                std::move(output), runtime::watermark_tracker(layout.upstreams, times.idle),
                count));
            runners.push_back(std::make_unique<runtime::instance_runner>(
                *tasks.back(), *queues[id.value()], *transport, layout.shape, *clock, [this] {
                    const std::lock_guard lock(mu);
                    ++finished;
                    all_finished.notify_all();
                }));
        }
    }
}

void embedded_topology::impl::launch() {
    const std::lock_guard lock(join_mu);
    for (auto& runner : runners) {
        threads.emplace_back([r = runner.get()] { r->run(); });
    }
}

void embedded_topology::impl::join() {
    const std::lock_guard lock(join_mu);
    for (auto& thread : threads) {
        if (thread.joinable()) {
            thread.join();
        }
    }
}

embedded_topology::embedded_topology(embedded_options options) : _impl(std::make_unique<impl>()) {
    _impl->options = options;
    _impl->clock = options.clock != nullptr ? options.clock : &_impl->own_clock;
}

embedded_topology::~embedded_topology() {
    stop();
}

void embedded_topology::add(computation_factory factory, computation_options options) {
    auto first = factory ? factory() : nullptr;
    if (!first) {
        throw std::invalid_argument("computation factory is empty or returned null");
    }
    eddy::metadata meta = first->metadata();
    runtime::check_name("computation", meta.name);
    if (options.instances == 0) {
        throw std::invalid_argument(
            fmt::format("computation '{}' has 0 instances; it needs at least 1", meta.name));
    }
    for (const auto& s : _impl->specs) {
        if (s.meta.name == meta.name) {
            throw std::invalid_argument(fmt::format("two computations are named '{}'", meta.name));
        }
    }
    _impl->specs.push_back(
        {std::move(factory), std::move(options), std::move(meta), std::move(first)});
}

std::shared_ptr<collected_stream> embedded_topology::collect(const std::string& stream) {
    if (const auto found = _impl->collectors.find(stream); found != _impl->collectors.end()) {
        return found->second;
    }
    runtime::check_name("stream", stream);
    auto into = std::make_shared<collected_stream>();
    _impl->collectors.emplace(stream, into);
    computation_factory factory = [stream, into] {
        return std::make_unique<collector>(stream, into);
    };
    auto first = factory();
    eddy::metadata meta = first->metadata();
    _impl->specs.push_back({std::move(factory), computation_options{}, std::move(meta),
                            std::move(first), runtime::name_check::internal});
    return into;
}

void embedded_topology::start() {
    {
        const std::lock_guard lock(_impl->mu);
        if (_impl->started) {
            throw std::logic_error("embedded_topology::start called twice");
        }
    }
    _impl->build();
    {
        const std::lock_guard lock(_impl->mu);
        _impl->started = true;
    }
    _impl->launch();
}

void embedded_topology::wait() {
    {
        std::unique_lock lock(_impl->mu);
        if (!_impl->started) {
            return;
        }
        _impl->all_finished.wait(lock,
                                 [&] { return _impl->finished == _impl->plan.total_instances; });
    }
    _impl->join();
}

bool embedded_topology::wait_for(std::chrono::milliseconds timeout) {
    {
        std::unique_lock lock(_impl->mu);
        if (!_impl->started) {
            return true;
        }
        if (!_impl->all_finished.wait_for(
                lock, timeout, [&] { return _impl->finished == _impl->plan.total_instances; })) {
            return false;
        }
    }
    _impl->join();
    return true;
}

void embedded_topology::stop() {
    {
        const std::lock_guard lock(_impl->mu);
        if (!_impl->started) {
            return;
        }
    }
    for (auto& runner : _impl->runners) {
        runner->request_stop();
    }
    wait();
}

computation_stats embedded_topology::stats(std::string_view computation) const {
    for (std::size_t c = 0; c < _impl->specs.size(); ++c) {
        if (_impl->specs[c].meta.name != computation) {
            continue;
        }
        computation_stats total;
        {
            const std::lock_guard lock(_impl->mu);
            if (!_impl->started) {
                return total;
            }
        }
        const auto& layout = _impl->plan.computations[c];
        for (std::uint32_t n = 0; n < layout.instances; ++n) {
            const std::uint32_t id = layout.first.value() + n;
            const auto& k = *_impl->counters[id];
            constexpr auto relaxed = std::memory_order_relaxed;
            total.records_in += k.records_in.load(relaxed);
            total.records_out += k.records_out.load(relaxed);
            total.timers_fired += k.timers_fired.load(relaxed);
            total.failures += k.failures.load(relaxed);
            total.dead_letters += k.dead_letters.load(relaxed);
            total.blocked_nanos += k.blocked_nanos.load(relaxed);
            total.queued_batches += _impl->queues[id]->size();
        }
        return total;
    }
    throw std::invalid_argument(fmt::format("no computation named '{}'", computation));
}

}  // namespace eddy
