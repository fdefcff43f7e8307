#pragma once

// The C++ side of the SDK benchmark: the pass-through computation every SDK
// also ships (subscribes "in", produces each record unchanged, key, value and
// event time, to "out"), and the counting sink at the end of the pipeline.
// Header-only so that the embedded run (sdk_bench.cpp) and the executors
// (sdk_bench_computations, loaded by class name) run the same code.
//
// Threading: each instance is called by its own instance thread only.

#include <eddy/computation.hpp>

#include <cstdint>

namespace eddy::bench {

class passthrough final : public eddy::computation {
public:
    eddy::metadata metadata() const override {
        return {
            .name = "passthrough", .inputs = {{"in", eddy::grouping::shuffle}}, .outputs = {"out"}};
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        ctx.produce("out", r.key, r.value, r.time);
    }
};

// Counts what arrives on "out" and does nothing else: the sink must cost as
// little as possible on a machine the pass-through shares. The runtime's
// records_in counter is the figure; `records()` is for the embedded run.
class counting_sink final : public eddy::computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "sink", .inputs = {{"out", eddy::grouping::shuffle}}};
    }
    void process_record(eddy::context&, const eddy::record&) override { ++_records; }
    [[nodiscard]] std::uint64_t records() const { return _records; }

private:
    std::uint64_t _records = 0;
};

}  // namespace eddy::bench
