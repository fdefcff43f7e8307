#include "tracing_cost.hpp"

#include "runtime/producer.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace eddy::bench {

namespace {

// Recycles every batch it is sent: what is measured is the producer's side.
class recycling_transport final : public runtime::batch_transport {
public:
    [[nodiscard]] std::unique_ptr<runtime::record_batch> acquire() override {
        if (_spare) {
            auto batch = std::move(_spare);
            batch->clear();
            return batch;
        }
        return std::make_unique<runtime::record_batch>();
    }
    [[nodiscard]] std::int64_t send(instance_id,
                                    std::unique_ptr<runtime::record_batch> batch) override {
        _spare = std::move(batch);
        return 0;
    }
    void release(std::unique_ptr<runtime::record_batch> batch) override {
        _spare = std::move(batch);
    }

private:
    std::unique_ptr<runtime::record_batch> _spare;
};

double nanos_per_record(std::uint32_t sample_one_in, std::uint64_t records) {
    recycling_transport transport;
    runtime::instance_counters counters;
    runtime::routing_table_holder routes(std::make_shared<const runtime::routing_table>(
        std::vector<runtime::stream_routes>{
            {"out", {{"down", eddy::grouping::shuffle, {instance_id(1)}, 4096}}}},
        topology_epoch(1)));
    runtime::producer output(
        routes, {"out"},
        runtime::output_channels(instance_id(0), transport, 512, {instance_id(1)}, counters),
        runtime::watermark_source::input, 0, counters);
    runtime::span_buffer spans(1 << 20);
    output.tracer().configure({.sample_one_in = sample_one_in}, &spans, 11);
    std::vector<std::string> keys;
    for (int k = 0; k < 1000; ++k) {
        keys.push_back("key-" + std::to_string(k));
    }
    const std::string value(93, 'v');
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < records; ++i) {
        if (!output.produce("out", keys[i % keys.size()], value, static_cast<time_micros>(i))) {
            return 0;
        }
        if (spans.recorded() > (1U << 19)) {
            (void)spans.drain();  // as the coordinator's collection would
        }
    }
    output.channels().flush();
    const std::chrono::duration<double, std::nano> spent = std::chrono::steady_clock::now() - start;
    return spent.count() / static_cast<double>(records);
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

tracing_cost measure_produce_tracing_cost(std::uint32_t sample_one_in, std::uint64_t records,
                                          int rounds) {
    std::vector<double> off;
    std::vector<double> on;
    for (int round = 0; round < rounds; ++round) {
        const bool on_first = round % 2 == 1;
        for (const bool traced : {on_first, !on_first}) {
            (traced ? on : off).push_back(nanos_per_record(traced ? sample_one_in : 0, records));
        }
    }
    return {median(off), median(on)};
}

}  // namespace eddy::bench
