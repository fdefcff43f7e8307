#pragma once

// What a series of `eddy scale` calls on a freshly deployed key-grouped
// computation will move, worked out ahead with the coordinator's own planner
// (key_assignment::rebalanced), and keys chosen so that their key groups move
// in every one of those moves: the groups the bench loads with state.
//
// Threading: value types and pure functions.

#include "base/key_assignment.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace eddy::bench {

struct planned_move {
    std::uint32_t from_instances = 0;
    std::uint32_t to_instances = 0;
    std::uint32_t moved_groups = 0;  // what the coordinator will report
    std::vector<bool> moves;         // by key group: whether it changes owner
};

// The moves of scaling a computation deployed on `first` instances to each
// of `targets` in turn, over `max_key_groups` groups.
[[nodiscard]] std::vector<planned_move> plan_moves(std::uint32_t first,
                                                   const std::vector<std::uint32_t>& targets,
                                                   std::uint32_t max_key_groups);

// `count` keys ("<prefix><n>" for the smallest n that serve), each in a key
// group of its own that every move of `plan` moves. Throws
// std::invalid_argument if the plan's moves have fewer groups in common.
[[nodiscard]] std::vector<std::string> keys_moved_by_every(const std::vector<planned_move>& plan,
                                                           std::uint32_t count,
                                                           std::uint32_t max_key_groups,
                                                           const std::string& prefix);

}  // namespace eddy::bench
