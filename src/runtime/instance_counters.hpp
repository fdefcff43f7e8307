#pragma once

// The counters of one instance. Only the instance's own thread writes them
// (so an update is a relaxed load and store, no locked instruction); any
// thread may read them for stats. Each instance's counters sit on cache lines
// of their own: instances run on different cores, and counters of two
// instances sharing a line would bounce it between the cores on every record.

#include <atomic>
#include <cstdint>

namespace eddy::runtime {

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

    // REQUIRES: called by the owning instance's thread only.
    static void add(std::atomic<std::uint64_t>& counter, std::uint64_t amount) {
        counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
    }
};

}  // namespace eddy::runtime
