#pragma once

// The counters of one instance. Only the instance's own thread writes them
// (so an update is a relaxed load and store, no locked instruction); any
// thread may read them for stats. Each instance's counters sit on cache lines
// of their own: instances run on different cores, and counters of two
// instances sharing a line would bounce it between the cores on every record.

#include <eddy/record.hpp>

#include <array>
#include <atomic>
#include <cstdint>

namespace eddy::runtime {

// A histogram of durations that one thread fills and any thread reads, with
// fixed buckets: upper bounds in 1-2.5-5 steps from 100 ns to 1000 s, and a
// last bucket for anything longer. Counts are per bucket (not cumulative);
// a reader adds them up for Prometheus' cumulative `le` buckets.
struct duration_histogram {
    static constexpr std::array<std::int64_t, 31> bounds_nanos = [] {
        std::array<std::int64_t, 31> b{};
        std::int64_t decade = 100;
        for (std::size_t i = 0; i + 1 < b.size(); i += 3) {
            b[i] = decade;
            b[i + 1] = decade * 5 / 2;
            b[i + 2] = decade * 5;
            decade *= 10;
        }
        b.back() = decade;
        return b;
    }();
    std::array<std::atomic<std::uint64_t>, bounds_nanos.size() + 1> counts{};
    std::atomic<std::uint64_t> sum_nanos{0};

    // The bucket of a duration (negative ones count as 0).
    [[nodiscard]] static std::size_t bucket_of(std::int64_t nanos) {
        std::size_t i = 0;
        while (i < bounds_nanos.size() && nanos > bounds_nanos[i]) {
            ++i;
        }
        return i;
    }
    // `times` observations of `nanos` each. REQUIRES: the owning thread.
    void observe(std::int64_t nanos, std::uint64_t times) {
        nanos = nanos < 0 ? 0 : nanos;
        auto& bucket = counts[bucket_of(nanos)];
        bucket.store(bucket.load(std::memory_order_relaxed) + times, std::memory_order_relaxed);
        sum_nanos.store(
            sum_nanos.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(nanos) * times,
            std::memory_order_relaxed);
    }
};

struct alignas(64) instance_counters {
    std::atomic<std::uint64_t> records_in{0};
    std::atomic<std::uint64_t> records_out{0};
    std::atomic<std::uint64_t> timers_fired{0};
    std::atomic<std::uint64_t> failures{0};
    std::atomic<std::uint64_t> dead_letters{0};
    // Records of resent batches this instance had already processed (durable modes).
    std::atomic<std::uint64_t> duplicates_dropped{0};
    std::atomic<std::uint64_t> blocked_nanos{0};
    std::atomic<std::uint64_t> produce_errors{0};  // produce to a stream not in the outputs

    // Where the instance thread's wall time goes (busy is the rest of it; the
    // time blocked on downstream credit is the transport's). Monotonic nanos.
    std::atomic<std::int64_t> started_nanos{0};  // when the instance began running; 0: not yet
    std::atomic<std::uint64_t> idle_nanos{0};    // waiting for input, completed waits
    std::atomic<std::int64_t> idle_since{0};     // the wait in progress began; 0: none
    // The output watermark (min_time: none yet).
    std::atomic<time_micros> output_watermark{min_time};
    // The state store's approximate_bytes, as the driver last published it,
    // and when it publishes next (monotonic nanos; the driver's own field).
    std::atomic<std::uint64_t> state_bytes{0};
    std::int64_t state_bytes_at = 0;
    // Per record: processing time (each input batch's callbacks, minus the
    // time blocked sending, divided over its records) and processing time
    // minus event time (sampled: each batch's first record stands for the
    // batch); per commit of a durable store: its duration.
    duration_histogram processing;
    duration_histogram event_time_latency;
    duration_histogram commit;

    // REQUIRES: called by the owning instance's thread only.
    static void add(std::atomic<std::uint64_t>& counter, std::uint64_t amount) {
        counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
    }
};

}  // namespace eddy::runtime
