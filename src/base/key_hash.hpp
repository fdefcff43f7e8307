#pragma once

// Key → key group → instance. The hash is fixed forever (XXH3 64-bit, seed 0):
// key groups name where keyed state lives, so changing it would orphan state.
// Every instance of a computation owns one contiguous range of key groups;
// instance i of n owns [i*G/n, (i+1)*G/n).

#include "strong_id.hpp"

#include <cstdint>
#include <string_view>

namespace eddy {

inline constexpr std::uint32_t default_max_key_groups = 4096;

[[nodiscard]] std::uint64_t key_hash(std::string_view key);

[[nodiscard]] inline key_group key_group_of(std::string_view key, std::uint32_t max_key_groups) {
    return key_group(static_cast<std::uint32_t>(key_hash(key) % max_key_groups));
}

// The index (0..instances-1) of the instance owning `group`.
[[nodiscard]] inline std::uint32_t instance_for_key_group(key_group group,
                                                          std::uint32_t max_key_groups,
                                                          std::uint32_t instances) {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(group.value()) * instances) /
                                      max_key_groups);
}

// The first key group owned by instance `index` of `instances`.
[[nodiscard]] inline key_group first_key_group(std::uint32_t index, std::uint32_t max_key_groups,
                                               std::uint32_t instances) {
    // Smallest g with g*instances/max >= index: ceil(index*max/instances).
    return key_group(static_cast<std::uint32_t>(
        (static_cast<std::uint64_t>(index) * max_key_groups + instances - 1) / instances));
}

}  // namespace eddy
