#include "base/key_hash.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eddy {
namespace {

TEST(key_hash, is_stable_across_runs) {
    // Key groups name where state lives on disk: the hash must never change.
    EXPECT_EQ(key_hash(""), 0x2d06800538d394c2ULL);
    EXPECT_EQ(key_group_of("", default_max_key_groups), key_group(0x2d06800538d394c2ULL % 4096));
}

TEST(key_hash, instance_ranges_are_contiguous_and_cover_every_group) {
    for (std::uint32_t instances : {1u, 2u, 3u, 5u, 7u, 4096u}) {
        std::uint32_t expected = 0;
        for (std::uint32_t g = 0; g < default_max_key_groups; ++g) {
            const auto owner =
                instance_for_key_group(key_group(g), default_max_key_groups, instances);
            ASSERT_TRUE(owner == expected || owner == expected + 1) << g << " of " << instances;
            if (owner == expected + 1) {
                ++expected;
                EXPECT_EQ(first_key_group(owner, default_max_key_groups, instances), key_group(g));
            }
            ASSERT_LT(owner, instances);
        }
        EXPECT_EQ(expected, instances - 1);
    }
}

}  // namespace
}  // namespace eddy
