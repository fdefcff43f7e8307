#pragma once

// The per-record cost of tracing on the produce path, in process: a
// producer routing to one destination through its output channels into a
// transport that recycles every batch, with tracing off and at a sampling
// rate, alternated. What bench/network's cross-process figures cannot
// resolve on a loaded machine: nanoseconds per record, to set beside the
// pipeline's CPU time per record.

#include <cstdint>

namespace eddy::bench {

struct tracing_cost {
    double off_nanos_per_record = 0;
    double on_nanos_per_record = 0;
};

// Medians of `rounds` alternated runs of `records` produced records each;
// `sample_one_in` as the config option (0 is not allowed here).
[[nodiscard]] tracing_cost measure_produce_tracing_cost(std::uint32_t sample_one_in,
                                                        std::uint64_t records, int rounds);

}  // namespace eddy::bench
