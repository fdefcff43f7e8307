#include "base/key_assignment.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace eddy {
namespace {

constexpr std::uint32_t groups = 4096;

std::uint32_t moved(const key_assignment& a, const key_assignment& b) {
    std::uint32_t n = 0;
    for (const auto& m : moves_between(a, b)) {
        n += m.range.size();
    }
    return n;
}

void expect_balanced(const key_assignment& a) {
    const std::uint32_t base = a.max_key_groups() / a.instances();
    std::uint32_t total = 0;
    for (std::uint32_t i = 0; i < a.instances(); ++i) {
        const auto have = a.groups_of(i);
        EXPECT_TRUE(have == base || have == base + 1) << "instance " << i << " owns " << have;
        total += have;
    }
    EXPECT_EQ(total, a.max_key_groups());
}

TEST(key_assignment, contiguous_matches_the_formula) {
    const auto a = key_assignment::contiguous(3, groups);
    for (std::uint32_t g = 0; g < groups; ++g) {
        ASSERT_EQ(a.owner(key_group(g)), instance_for_key_group(key_group(g), groups, 3));
    }
    EXPECT_TRUE(a.is_contiguous());
    EXPECT_EQ(a.ranges_of(1).size(), 1u);
    EXPECT_EQ(a.ranges_of(1)[0].first, first_key_group(1, groups, 3));
}

TEST(key_assignment, rebalancing_moves_only_what_the_new_shares_require) {
    // Every step of 2 -> 5 -> 3 -> 1 -> 4 stays balanced and moves exactly the
    // groups that kept instances hold beyond their share plus those of removed ones.
    auto now = key_assignment::contiguous(2, groups);
    for (std::uint32_t n : {5u, 3u, 1u, 4u, 4u, 7u}) {
        const auto next = now.rebalanced(n);
        expect_balanced(next);
        std::uint32_t surplus = 0;
        for (std::uint32_t i = 0; i < now.instances(); ++i) {
            const auto have = now.groups_of(i);
            surplus += i < n ? (have > next.groups_of(i) ? have - next.groups_of(i) : 0) : have;
        }
        EXPECT_EQ(moved(now, next), surplus) << now.instances() << " -> " << n;
        for (const auto& m : moves_between(now, next)) {
            EXPECT_NE(m.from, m.to);
            EXPECT_LT(m.to, n);
        }
        now = next;
    }
    // The same count again moves nothing.
    EXPECT_EQ(moved(now, now.rebalanced(now.instances())), 0u);
}

TEST(key_assignment, scaling_up_from_contiguous_moves_far_less_than_recomputing) {
    const auto two = key_assignment::contiguous(2, groups);
    const auto five = two.rebalanced(5);
    // Keeping 819 or 820 of each old instance's 2048: 2 * 1228 or so move.
    EXPECT_LE(moved(two, five), groups - 2 * (groups / 5));
    EXPECT_GT(moved(two, key_assignment::contiguous(5, groups)), moved(two, five));
}

TEST(key_assignment, ranges_round_trip_and_bad_ranges_are_named) {
    const auto a = key_assignment::contiguous(2, 64).rebalanced(5);
    std::vector<std::vector<key_group_range>> ranges;
    for (std::uint32_t i = 0; i < a.instances(); ++i) {
        ranges.push_back(a.ranges_of(i));
    }
    EXPECT_EQ(key_assignment::from_ranges(ranges, 64), a);

    const auto message = [](const std::vector<std::vector<key_group_range>>& r) {
        try {
            (void)key_assignment::from_ranges(r, 8);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    const key_group_range low{key_group(0), key_group(4)};
    const key_group_range high{key_group(4), key_group(8)};
    EXPECT_EQ(message({{low}, {high}}), "accepted");
    EXPECT_NE(message({{low}, {low, high}}).find("key group 0 is owned by instances 0 and 1"),
              std::string::npos);
    EXPECT_NE(message({{low}}).find("key group 4 is owned by no instance"), std::string::npos);
    EXPECT_NE(message({{low}, {{key_group(4), key_group(9)}}}).find("beyond 8"), std::string::npos);
}

}  // namespace
}  // namespace eddy
