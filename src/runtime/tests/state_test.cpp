#include "test_support.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

namespace eddy::runtime::testing {
namespace {

// Keeps two counters per key ("all" and, for even values, "even") and, at
// the end, reports them per (instance, key) through an event-time timer.
class two_counters final : public computation {
public:
    explicit two_counters(grouping by) : _by(by) {}
    eddy::metadata metadata() const override {
        return {.name = "counters", .inputs = {{"raw", _by}}, .outputs = {"totals"}};
    }
    void process_record(context& ctx, const record& r) override {
        bump(ctx, "all");
        if (std::stoll(std::string(r.value)) % 2 == 0) {
            bump(ctx, "even");
        }
        if (ctx.get("scratch")) {
            throw std::logic_error("scratch must have been erased");
        }
        ctx.put("scratch", "x");
        ctx.erase("scratch");
        ctx.set_timer(r.key, max_time, time_domain::event_time, "report");
    }
    void process_timer(context& ctx, const timer& t) override {
        ctx.produce("totals", t.key,
                    std::to_string(ctx.instance_index()) + ":" + ctx.get("all").value_or("-") +
                        ":" + ctx.get("even").value_or("-"));
    }

private:
    static void bump(context& ctx, std::string_view name) {
        const auto n = ctx.get(name);
        ctx.put(name, std::to_string((n ? std::stoll(*n) : 0) + 1));
    }
    grouping _by;
};

std::map<std::string, std::string> run(grouping by) {
    embedded_topology topology;
    // keys k0..k4 over values 0..99: each key gets 20 records, 10 even only for even keys' …
    topology.add([] { return std::make_unique<number_source>("numbers", "raw", 100, 5); });
    topology.add([by] { return std::make_unique<two_counters>(by); }, {.instances = 3});
    auto totals = topology.collect("totals");
    topology.start();
    EXPECT_TRUE(topology.wait_for(std::chrono::seconds(30)));
    EXPECT_EQ(topology.stats("counters").failures, 0u);
    std::map<std::string, std::string> by_instance_and_key;
    for (const auto& r : totals->records()) {
        by_instance_and_key[r.value.substr(0, r.value.find(':')) + "/" + r.key] = r.value;
    }
    return by_instance_and_key;
}

TEST(keyed_state, scoped_per_key_and_per_name) {
    const auto totals = run(grouping::key);
    ASSERT_EQ(totals.size(), 5u);  // each key lives on exactly one instance
    for (const auto& [where, value] : totals) {
        const std::string key = where.substr(where.find('/') + 1);
        const int k = key[1] - '0';
        // Value i goes to key i % 5; it is even for half of them when k is
        // even or odd alike (i = k, k+5, k+10, ...: alternating parity).
        EXPECT_EQ(value.substr(value.find(':') + 1), "20:10") << where << " k=" << k;
    }
}

TEST(keyed_state, isolated_between_instances) {
    // Broadcast: every instance sees every record and keeps its own state for
    // the same key; no instance sees another's counts (which would double them).
    const auto totals = run(grouping::broadcast);
    ASSERT_EQ(totals.size(), 15u);
    for (const auto& [where, value] : totals) {
        EXPECT_EQ(value.substr(value.find(':') + 1), "20:10") << where;
    }
}

}  // namespace
}  // namespace eddy::runtime::testing
