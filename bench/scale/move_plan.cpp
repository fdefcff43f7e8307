#include "move_plan.hpp"

#include "base/key_hash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace eddy::bench {

std::vector<planned_move> plan_moves(std::uint32_t first, const std::vector<std::uint32_t>& targets,
                                     std::uint32_t max_key_groups) {
    std::vector<planned_move> plan;
    auto now = key_assignment::contiguous(first, max_key_groups);
    for (const auto target : targets) {
        // As the coordinator does: the instances stay listed (indexes kept)
        // until the move is released.
        const auto listed = std::max(now.instances(), target);
        const auto from = now.with_instances(listed);
        const auto to = now.rebalanced(target).with_instances(listed);
        planned_move move{.from_instances = now.instances(),
                          .to_instances = target,
                          .moved_groups = 0,
                          .moves = std::vector<bool>(max_key_groups, false)};
        for (const auto& m : moves_between(from, to)) {
            move.moved_groups += m.range.size();
            for (auto g = m.range.first.value(); g < m.range.last.value(); ++g) {
                move.moves[g] = true;
            }
        }
        plan.push_back(std::move(move));
        now = to.with_instances(target);
    }
    return plan;
}

std::vector<std::string> keys_moved_by_every(const std::vector<planned_move>& plan,
                                             std::uint32_t count, std::uint32_t max_key_groups,
                                             const std::string& prefix) {
    std::vector<bool> always(max_key_groups, true);
    for (const auto& move : plan) {
        for (std::uint32_t g = 0; g < max_key_groups; ++g) {
            always[g] = always[g] && move.moves[g];
        }
    }
    const auto candidates =
        static_cast<std::uint32_t>(std::count(always.begin(), always.end(), true));
    if (candidates < count) {
        throw std::invalid_argument(
            fmt::format("only {} key groups move in every one of the {} moves; {} are asked for",
                        candidates, plan.size(), count));
    }
    std::vector<std::string> keys;
    std::vector<bool> taken(max_key_groups, false);
    // Every group is hit after a few times max_key_groups tries; the bound
    // only guards against a hash that never reaches some group.
    const std::uint64_t tries = 1000ULL * max_key_groups;
    for (std::uint64_t n = 0; keys.size() < count && n < tries; ++n) {
        auto key = prefix + std::to_string(n);
        const auto group = key_group_of(key, max_key_groups).value();
        if (always[group] && !taken[group]) {
            taken[group] = true;
            keys.push_back(std::move(key));
        }
    }
    if (keys.size() < count) {
        throw std::invalid_argument(
            fmt::format("found keys for only {} of {} key groups", keys.size(), count));
    }
    return keys;
}

}  // namespace eddy::bench
