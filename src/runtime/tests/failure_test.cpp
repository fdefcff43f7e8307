#include "test_support.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

namespace eddy::runtime::testing {
namespace {

// Throws on every attempt for values ≡ 7 (mod 100) and only on the first
// attempt for values ≡ 13 (mod 100); forwards the rest.
class flaky final : public computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "flaky", .inputs = {{"raw", grouping::shuffle}}, .outputs = {"ok"}};
    }
    void process_record(context& ctx, const record& r) override {
        const auto value = std::stoll(std::string(r.value));
        if (value % 100 == 7) {
            throw std::runtime_error("poison record " + std::to_string(value));
        }
        if (value % 100 == 13 && _attempts[value]++ == 0) {
            throw 42;  // not even a std::exception
        }
        ctx.produce("ok", r.key, r.value);
    }

private:
    std::map<long long, int> _attempts;
};

TEST(failure_handling, retried_then_dead_lettered_rest_processed) {
    embedded_topology topology({.max_retries = 2});
    topology.add([] { return std::make_unique<number_source>("numbers", "raw", 1'000, 10); });
    topology.add<flaky>();
    auto ok = topology.collect("ok");
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(30)));

    const auto stats = topology.stats("flaky");
    EXPECT_EQ(stats.records_in, 1'000u);
    // 10 poison records × 3 attempts + 10 flaky records × 1 failed attempt.
    EXPECT_EQ(stats.failures, 40u);
    EXPECT_EQ(stats.dead_letters, 10u);
    EXPECT_EQ(ok->size(), 990u);
    for (const auto& r : ok->records()) {
        EXPECT_NE(std::stoll(r.value) % 100, 7) << r.value;
    }
}

// init always throws: the instance fails, dead-letters its input, and the
// topology still finishes.
class broken_init final : public computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "broken", .inputs = {{"raw", grouping::shuffle}}};
    }
    void init(context&) override { throw std::runtime_error("no config"); }
    void process_record(context&, const record&) override {}
};

TEST(failure_handling, failed_init_drains_input_as_dead_letters) {
    embedded_topology topology({.batch_records = 8, .queue_batches = 2, .max_retries = 1});
    topology.add([] { return std::make_unique<number_source>("numbers", "raw", 500, 10); });
    topology.add<broken_init>();
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(30)));
    const auto stats = topology.stats("broken");
    EXPECT_EQ(stats.failures, 2u);
    EXPECT_EQ(stats.dead_letters, 1u + 500u);
    EXPECT_EQ(stats.records_in, 0u);
}

}  // namespace
}  // namespace eddy::runtime::testing
