#include "test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>

namespace eddy::runtime::testing {
namespace {

// Counts records per key in keyed state and produces the running count.
class counter final : public computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "counter", .inputs = {{"mapped", grouping::key}}, .outputs = {"counts"}};
    }
    void process_record(context& ctx, const record& r) override {
        const auto count = ctx.get("count");
        const auto n = (count ? std::stoll(*count) : 0) + 1;
        ctx.put("count", std::to_string(n));
        ctx.produce("counts", r.key, std::to_string(n));
    }
};

TEST(embedded_topology, source_map_keyed_count_is_exact) {
    embedded_topology topology({.batch_records = 32, .queue_batches = 4});
    topology.add([] { return std::make_unique<number_source>("numbers", "raw", 10'000, 50); });
    topology.add([] { return std::make_unique<forward>("map", "raw", "mapped"); },
                 {.instances = 2});
    topology.add<counter>({.instances = 3});
    auto counts = topology.collect("counts");
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(30)));

    std::map<std::string, long long> last;
    for (const auto& r : counts->records()) {
        auto& seen = last[r.key];
        seen = std::max(seen, std::stoll(r.value));
    }
    ASSERT_EQ(last.size(), 50u);
    for (const auto& [key, count] : last) {
        EXPECT_EQ(count, 200) << key;
    }
    EXPECT_EQ(counts->size(), 10'000u);
    EXPECT_EQ(topology.stats("numbers").records_out, 10'000u);
    EXPECT_EQ(topology.stats("map").records_in, 10'000u);
    EXPECT_EQ(topology.stats("counter").records_in, 10'000u);
    EXPECT_EQ(topology.stats("counter").queued_batches, 0u);
}

TEST(embedded_topology, rejects_duplicate_and_invalid_names_and_zero_instances) {
    embedded_topology topology;
    topology.add([] { return std::make_unique<forward>("map", "a", "b"); });
    EXPECT_THROW(topology.add([] { return std::make_unique<forward>("map", "c", "d"); }),
                 std::invalid_argument);
    EXPECT_THROW(topology.add([] { return std::make_unique<forward>("bad name", "c", "d"); }),
                 std::invalid_argument);
    EXPECT_THROW(
        topology.add([] { return std::make_unique<forward>("zero", "c", "d"); }, {.instances = 0}),
        std::invalid_argument);
}

TEST(embedded_topology, rejects_invalid_stream_names_at_start) {
    embedded_topology topology;
    topology.add([] { return std::make_unique<forward>("map", "in put", "out"); });
    try {
        topology.start();
        FAIL() << "start accepted an invalid stream name";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("in put"), std::string::npos) << e.what();
    }
}

// Produces to a stream it did not declare on every other record.
class sloppy final : public computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "sloppy", .inputs = {{"raw", grouping::shuffle}}, .outputs = {"good"}};
    }
    void process_record(context& ctx, const record& r) override {
        ctx.produce("undeclared", r.key, r.value);
        ctx.produce("good", r.key, r.value);
    }
};

TEST(embedded_topology, produce_to_undeclared_stream_is_dropped_not_fatal) {
    embedded_topology topology;
    topology.add([] { return std::make_unique<number_source>("numbers", "raw", 100, 10); });
    topology.add<sloppy>();
    auto good = topology.collect("good");
    auto undeclared = topology.collect("undeclared");
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(30)));
    EXPECT_EQ(good->size(), 100u);
    EXPECT_EQ(undeclared->size(), 0u);
    EXPECT_EQ(topology.stats("sloppy").records_out, 100u);
}

TEST(embedded_topology, stop_drains_everything_in_flight) {
    std::atomic<std::uint64_t> produced{0};
    embedded_topology topology({.batch_records = 16, .queue_batches = 2});
    topology.add(
        [&] { return std::make_unique<number_source>("numbers", "raw", 0, 7, 8, &produced); });
    topology.add([] { return std::make_unique<forward>("map", "raw", "mapped"); },
                 {.instances = 2});
    auto sink = topology.collect("mapped");
    topology.start();
    ASSERT_TRUE(eventually([&] { return sink->size() >= 5'000; }));
    topology.stop();
    const auto sent = topology.stats("numbers").records_out;
    EXPECT_EQ(sent, produced.load());
    EXPECT_EQ(topology.stats("map").records_in, sent);
    EXPECT_EQ(sink->size(), sent);
}

// Idle on every poll, `polls` times, then finished; asks to be polled again
// at once (context::poll_again_at) when `eager`. Records how long its polls
// took from the first to the last.
class idle_source final : public source {
public:
    idle_source(std::string name, bool eager, int polls, std::atomic<std::int64_t>& took_micros)
        : _name(std::move(name)), _eager(eager), _polls(polls), _took(took_micros) {}
    eddy::metadata metadata() const override { return {.name = _name, .outputs = {"none"}}; }
    poll_status poll(context& ctx) override {
        const auto now = std::chrono::steady_clock::now();
        if (_seen++ == 0) {
            _first = now;
        }
        if (_seen == _polls) {
            _took = std::chrono::duration_cast<std::chrono::microseconds>(now - _first).count();
            return poll_status::finished;
        }
        if (_eager) {
            ctx.poll_again_at(ctx.processing_time());
        }
        return poll_status::idle;
    }

private:
    std::string _name;
    bool _eager;
    int _polls;
    int _seen = 0;
    std::chrono::steady_clock::time_point _first;
    std::atomic<std::int64_t>& _took;
};

TEST(embedded_topology, an_idle_source_is_polled_again_when_it_asks) {
    // An idle source waits a millisecond between polls, 150 polls at least
    // 149 ms; one that asks to be polled again at once does not wait.
    constexpr int polls = 150;
    std::atomic<std::int64_t> patient{-1};
    std::atomic<std::int64_t> eager{-1};
    embedded_topology topology;
    topology.add([&] { return std::make_unique<idle_source>("patient", false, polls, patient); });
    topology.add([&] { return std::make_unique<idle_source>("eager", true, polls, eager); });
    topology.start();
    topology.wait();
    EXPECT_GE(patient.load(), (polls - 1) * 1000);
    EXPECT_GE(eager.load(), 0);
    EXPECT_LT(eager.load(), (polls - 1) * 1000 / 2);
}

TEST(embedded_topology, empty_topology_and_wait_without_start_return) {
    embedded_topology topology;
    topology.wait();
    topology.start();
    topology.wait();
    EXPECT_THROW(topology.start(), std::logic_error);
}

}  // namespace
}  // namespace eddy::runtime::testing
