#include "test_support.hpp"

#include <gtest/gtest.h>

namespace eddy::runtime::testing {
namespace {

// A deliberately slow sink: spins ~20µs per record (no sleep: the thread stays
// busy, as a slow computation would) and records how many records were in
// flight (produced by the source, not yet consumed here) at each record.
class slow_sink final : public computation {
public:
    slow_sink(std::atomic<std::uint64_t>& produced, std::atomic<std::uint64_t>& consumed,
              std::atomic<std::uint64_t>& max_in_flight)
        : _produced(produced), _consumed(consumed), _max_in_flight(max_in_flight) {}
    eddy::metadata metadata() const override {
        return {.name = "slow", .inputs = {{"mapped", grouping::shuffle}}};
    }
    void process_record(context&, const record&) override {
        const std::uint64_t in_flight = _produced.load() - _consumed.load();
        if (in_flight > _max_in_flight.load()) {
            _max_in_flight.store(in_flight);
        }
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
        while (std::chrono::steady_clock::now() < until) {
        }
        _consumed.fetch_add(1);
    }

private:
    std::atomic<std::uint64_t>& _produced;
    std::atomic<std::uint64_t>& _consumed;
    std::atomic<std::uint64_t>& _max_in_flight;
};

TEST(backpressure, slow_sink_bounds_records_in_flight_and_loses_nothing) {
    constexpr std::size_t batch_records = 16;
    constexpr std::size_t queue_batches = 4;
    // Per hop (source → map, map → sink): a full queue, the batch being
    // processed by the receiver and the batch the sender is filling or
    // blocked on. Two hops.
    constexpr std::uint64_t bound = 2 * (queue_batches + 2) * batch_records;
    constexpr std::uint64_t total = 10 * queue_batches * batch_records * 5;  // 3,200 records

    std::atomic<std::uint64_t> produced{0}, consumed{0}, max_in_flight{0};
    embedded_topology topology({.batch_records = batch_records, .queue_batches = queue_batches});
    topology.add(
        [&] { return std::make_unique<number_source>("fast", "raw", total, 97, 256, &produced); });
    topology.add([] { return std::make_unique<forward>("map", "raw", "mapped"); });
    topology.add([&] { return std::make_unique<slow_sink>(produced, consumed, max_in_flight); });
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(60)));

    EXPECT_EQ(consumed.load(), total);
    EXPECT_EQ(topology.stats("slow").records_in, total);
    EXPECT_LE(max_in_flight.load(), bound);
    // The source ran far ahead of the sink until the queues pushed back.
    EXPECT_GE(max_in_flight.load(), queue_batches * batch_records);
    EXPECT_GT(topology.stats("fast").blocked_nanos, 0u);
    EXPECT_EQ(topology.stats("slow").queued_batches, 0u);
}

}  // namespace
}  // namespace eddy::runtime::testing
