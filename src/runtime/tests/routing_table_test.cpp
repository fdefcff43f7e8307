#include "runtime/routing_table.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

namespace eddy::runtime::testing {
namespace {

// Stream "s" with a key-grouped subscriber (instances 0..3), a shuffled one
// (4..6) and a broadcast one (7..8).
std::vector<instance_id> ids(std::uint32_t first, std::uint32_t count) {
    std::vector<instance_id> out;
    for (std::uint32_t n = 0; n < count; ++n) {
        out.push_back(instance_id(first + n));
    }
    return out;
}

routing_table three_groupings() {
    return routing_table({stream_routes{"s",
                                        {{"keyed", grouping::key, ids(0, 4), 4096},
                                         {"shuffled", grouping::shuffle, ids(4, 3), 4096},
                                         {"all", grouping::broadcast, ids(7, 2), 4096}}}},
                         topology_epoch(1));
}

TEST(routing_table, key_grouping_sends_each_key_to_its_key_group_owner) {
    const routing_table table = three_groupings();
    const auto s = table.find("s");
    ASSERT_TRUE(s);
    shuffle_cursor cursor;
    for (int i = 0; i < 10'000; ++i) {
        const std::string key = "key-" + std::to_string(i);
        std::vector<std::uint32_t> keyed;
        std::uint32_t hint = no_key_group;
        table.route(*s, key, cursor, [&](instance_id to, std::uint32_t group) {
            if (to.value() < 4) {
                keyed.push_back(to.value());
                hint = group;
            }
        });
        ASSERT_EQ(keyed.size(), 1u) << key;
        // The mapping is the fixed one of base/key_hash.hpp, so it is the same in every run.
        const key_group group = key_group_of(key, 4096);
        EXPECT_EQ(keyed[0], instance_for_key_group(group, 4096, 4)) << key;
        EXPECT_EQ(hint, group.value());
    }
}

TEST(routing_table, key_grouping_is_pinned_to_the_xxh3_mapping) {
    // XXH3-64 of "" is 0x2D06800538D394C2: key group 0x4C2 = 1218 of 4096, instance 1 of 4.
    EXPECT_EQ(key_hash(""), 0x2D06800538D394C2ull);
    const routing_table table = three_groupings();
    shuffle_cursor cursor;
    std::vector<std::uint32_t> to_keyed;
    table.route(*table.find("s"), "", cursor, [&](instance_id to, std::uint32_t) {
        if (to.value() < 4) {
            to_keyed.push_back(to.value());
        }
    });
    EXPECT_EQ(to_keyed, std::vector<std::uint32_t>{1});
}

TEST(routing_table, shuffle_spreads_evenly_and_broadcast_reaches_all) {
    const routing_table table = three_groupings();
    const auto s = *table.find("s");
    shuffle_cursor cursor;
    std::map<std::uint32_t, int> received;
    for (int i = 0; i < 3'000; ++i) {
        table.route(s, "same-key", cursor,
                    [&](instance_id to, std::uint32_t) { ++received[to.value()]; });
    }
    EXPECT_EQ(received[4], 1'000);
    EXPECT_EQ(received[5], 1'000);
    EXPECT_EQ(received[6], 1'000);
    EXPECT_EQ(received[7], 3'000);
    EXPECT_EQ(received[8], 3'000);
}

TEST(routing_table, downstream_of_lists_every_subscriber_instance_once) {
    const routing_table table = three_groupings();
    const auto all = table.downstream_of({"s", "s", "nobody"});
    ASSERT_EQ(all.size(), 9u);
    for (std::uint32_t i = 0; i < 9; ++i) {
        EXPECT_EQ(all[i], instance_id(i));
    }
}

TEST(routing_table_holder, replace_swaps_the_table_atomically) {
    routing_table_holder holder(std::make_shared<const routing_table>(
        std::vector<stream_routes>{{"a", {}}}, topology_epoch(1)));
    const auto before = holder.current();
    holder.replace(std::make_shared<const routing_table>(std::vector<stream_routes>{{"b", {}}},
                                                         topology_epoch(2)));
    EXPECT_EQ(before->epoch(), topology_epoch(1));  // a reader keeps what it loaded
    EXPECT_EQ(holder.current()->epoch(), topology_epoch(2));
    EXPECT_TRUE(holder.current()->find("b"));
    EXPECT_FALSE(holder.current()->find("a"));
}

// Remembers which instance saw which key.
class key_witness final : public computation {
public:
    key_witness(grouping by, std::mutex& mu, std::map<std::string, std::set<std::uint32_t>>& seen,
                std::map<std::uint32_t, int>& per_instance)
        : _by(by), _mu(mu), _seen(seen), _per_instance(per_instance) {}
    eddy::metadata metadata() const override {
        return {.name = "witness", .inputs = {{"raw", _by}}};
    }
    void process_record(context& ctx, const record& r) override {
        const std::lock_guard lock(_mu);
        _seen[std::string(r.key)].insert(ctx.instance_index());
        ++_per_instance[ctx.instance_index()];
    }

private:
    grouping _by;
    std::mutex& _mu;
    std::map<std::string, std::set<std::uint32_t>>& _seen;
    std::map<std::uint32_t, int>& _per_instance;
};

struct witnessed {
    std::map<std::string, std::set<std::uint32_t>> seen;
    std::map<std::uint32_t, int> per_instance;
};

witnessed run_grouping(grouping by) {
    std::mutex mu;
    witnessed w;
    embedded_topology topology({.batch_records = 8});
    topology.add([] { return std::make_unique<number_source>("numbers", "raw", 3'000, 100, 3); });
    topology.add([&] { return std::make_unique<key_witness>(by, mu, w.seen, w.per_instance); },
                 {.instances = 3});
    topology.start();
    EXPECT_TRUE(topology.wait_for(std::chrono::seconds(30)));
    return w;
}

TEST(groupings_end_to_end, key_grouping_same_key_same_instance_across_runs) {
    const witnessed first = run_grouping(grouping::key);
    const witnessed second = run_grouping(grouping::key);
    ASSERT_EQ(first.seen.size(), 100u);
    for (const auto& [key, instances] : first.seen) {
        ASSERT_EQ(instances.size(), 1u) << key;
        const auto expected = instance_for_key_group(key_group_of(key, 4096), 4096, 3);
        EXPECT_EQ(*instances.begin(), expected) << key;
    }
    EXPECT_EQ(first.seen, second.seen);
}

TEST(groupings_end_to_end, shuffle_even_and_broadcast_to_all) {
    const witnessed shuffled = run_grouping(grouping::shuffle);
    EXPECT_EQ(shuffled.per_instance,
              (std::map<std::uint32_t, int>{{0, 1'000}, {1, 1'000}, {2, 1'000}}));
    const witnessed broadcast = run_grouping(grouping::broadcast);
    EXPECT_EQ(broadcast.per_instance,
              (std::map<std::uint32_t, int>{{0, 3'000}, {1, 3'000}, {2, 3'000}}));
    for (const auto& [key, instances] : broadcast.seen) {
        EXPECT_EQ(instances.size(), 3u) << key;
    }
}

}  // namespace
}  // namespace eddy::runtime::testing
