#pragma once

// Runs a whole topology inside one process: every instance of every
// computation on its own thread, connected by bounded queues, with the same
// groupings, keyed state, timers and backpressure as the distributed runtime.
// For users' unit tests, for embedding eddy in a program, and as the fast path
// the network runtime is measured against. Link `eddy::embedded`.
//
//     eddy::embedded_topology topology;
//     topology.add<sentence_source>();
//     topology.add<splitter>({.instances = 2});
//     topology.add<word_counter>({.instances = 2});
//     auto counts = topology.collect("counts");   // records of a stream, for tests
//     topology.start();
//     topology.wait();                            // until the sources finish and all is drained
//     for (const auto& r : counts->records()) { ... }
//
// Lifecycle: add → start → (wait | stop). Not restartable. `add`, `collect`
// and `start` are for one thread; `stop`, `wait`, `wait_for` and `stats` may be
// called from any thread once started.

#include <eddy/clock.hpp>
#include <eddy/computation.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eddy {

using computation_factory = std::function<std::unique_ptr<computation>()>;

struct computation_options {
    // How many instances (threads) run this computation. Default 1.
    std::uint32_t instances = 1;
    // Values read by `context::config`. Default empty.
    std::map<std::string, std::string, std::less<>> config;
};

struct embedded_options {
    // Records per batch handed between instances; a batch also leaves when its
    // producer has nothing more to do. Default 512.
    std::size_t batch_records = 512;
    // Batches an instance's inbound queue holds before its producers block:
    // the bound on memory in flight per instance. Default 64.
    std::size_t queue_batches = 64;
    // Key groups of every key-grouped computation. Default 4096.
    std::uint32_t max_key_groups = 4096;
    // How often a user callback that throws is retried before the record is
    // counted as dead-lettered and skipped. Default 2.
    std::uint32_t max_retries = 2;
    // The clock behind processing time and processing-time timers; null means
    // the system clock. Must outlive the topology. Default null.
    eddy::clock* clock = nullptr;
};

// Counters of one computation, summed over its instances.
struct computation_stats {
    std::uint64_t records_in = 0;
    std::uint64_t records_out = 0;
    std::uint64_t timers_fired = 0;
    std::uint64_t failures = 0;        // callback invocations that threw
    std::uint64_t dead_letters = 0;    // records or timers given up after retries
    std::uint64_t blocked_nanos = 0;   // time producers spent waiting for queue room
    std::uint64_t queued_batches = 0;  // batches waiting in the inbound queues now
};

// The records of one stream, as seen by a collector. Thread-safe.
class collected_stream {
public:
    struct owned_record {
        std::string key;
        std::string value;
        time_micros time = 0;
    };
    [[nodiscard]] std::vector<owned_record> records() const;
    [[nodiscard]] std::size_t size() const;

    void append(const record& r);  // called by the runtime

private:
    mutable std::mutex _mu;
    std::vector<owned_record> _records;  // GUARDED_BY(_mu)
};

class embedded_topology {
public:
    explicit embedded_topology(embedded_options options = {});
    ~embedded_topology();  // stops and joins if still running
    embedded_topology(const embedded_topology&) = delete;
    embedded_topology& operator=(const embedded_topology&) = delete;

    // Adds a computation made by `factory` (called once per instance). Throws
    // std::invalid_argument on a duplicate or invalid name.
    void add(computation_factory factory, computation_options options = {});
    template <class T>
    void add(computation_options options = {}) {
        add([] { return std::make_unique<T>(); }, std::move(options));
    }

    // Keeps every record produced to `stream` (after start). For tests.
    std::shared_ptr<collected_stream> collect(const std::string& stream);

    // Validates the topology (throws std::invalid_argument naming what is
    // wrong) and starts every instance; `init` runs on each instance's thread.
    void start();

    // Blocks until every source has finished and everything in flight has
    // been processed (event-time timers fire as the watermark reaches the
    // end of time); processing-time timers still pending are dropped.
    void wait();
    // As `wait`, up to `timeout`; true if finished.
    [[nodiscard]] bool wait_for(std::chrono::milliseconds timeout);

    // Stops the sources, drains what is in flight, and joins every thread.
    void stop();

    [[nodiscard]] computation_stats stats(std::string_view computation) const;

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

}  // namespace eddy
