#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
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

TEST(failure_handling, dead_letters_carry_the_input_and_its_error) {
    embedded_topology topology({.max_retries = 1});
    topology.add([] { return std::make_unique<number_source>("numbers", "raw", 300, 10); });
    topology.add<flaky>();
    auto dead = topology.collect("flaky.dead_letters");
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(30)));

    ASSERT_EQ(dead->size(), 3u);  // 7, 107, 207
    std::set<long long> values;
    for (const auto& r : dead->records()) {
        const auto letter = nlohmann::json::parse(r.value);
        EXPECT_EQ(letter["computation"], "flaky");
        EXPECT_EQ(letter["input"], "record");
        EXPECT_EQ(letter["stream"], "raw");
        EXPECT_EQ(letter["attempts"], 2);
        const auto value = std::stoll(letter["value"].get<std::string>());
        EXPECT_EQ(letter["error"], "poison record " + std::to_string(value));
        values.insert(value);
    }
    EXPECT_EQ(values, (std::set<long long>{7, 107, 207}));
}

TEST(failure_handling, retries_come_from_the_configuration) {
    embedded_topology topology({.max_retries = 5});
    topology.add([] { return std::make_unique<number_source>("numbers", "raw", 100, 10); });
    topology.add<flaky>({.config = {{"max_retries", "0"}}});
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(30)));
    const auto stats = topology.stats("flaky");
    // No retry: the poison record and the flaky one are both dead letters.
    EXPECT_EQ(stats.failures, 2u);
    EXPECT_EQ(stats.dead_letters, 2u);
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
