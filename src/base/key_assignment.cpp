#include "key_assignment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace eddy {

namespace {
constexpr std::uint32_t unowned = UINT32_MAX;
}  // namespace

key_assignment key_assignment::contiguous(std::uint32_t instances, std::uint32_t max_key_groups) {
    if (instances == 0 || max_key_groups == 0) {
        throw std::invalid_argument("a key assignment needs at least one instance and one group");
    }
    key_assignment made;
    made._instances = instances;
    made._owner.resize(max_key_groups);
    for (std::uint32_t g = 0; g < max_key_groups; ++g) {
        made._owner[g] = instance_for_key_group(key_group(g), max_key_groups, instances);
    }
    return made;
}

key_assignment key_assignment::from_ranges(const std::vector<std::vector<key_group_range>>& ranges,
                                           std::uint32_t max_key_groups) {
    if (ranges.empty() || max_key_groups == 0) {
        throw std::invalid_argument("a key assignment needs at least one instance and one group");
    }
    key_assignment made;
    made._instances = static_cast<std::uint32_t>(ranges.size());
    made._owner.assign(max_key_groups, unowned);
    for (std::uint32_t i = 0; i < ranges.size(); ++i) {
        for (const auto& r : ranges[i]) {
            if (r.first >= r.last || r.last.value() > max_key_groups) {
                throw std::invalid_argument(fmt::format(
                    "instance {}: key group range [{}, {}) is empty or beyond {} groups", i,
                    r.first.value(), r.last.value(), max_key_groups));
            }
            for (std::uint32_t g = r.first.value(); g < r.last.value(); ++g) {
                if (made._owner[g] != unowned) {
                    throw std::invalid_argument(fmt::format(
                        "key group {} is owned by instances {} and {}", g, made._owner[g], i));
                }
                made._owner[g] = i;
            }
        }
    }
    const auto missing = std::find(made._owner.begin(), made._owner.end(), unowned);
    if (missing != made._owner.end()) {
        throw std::invalid_argument(
            fmt::format("key group {} is owned by no instance", missing - made._owner.begin()));
    }
    return made;
}

key_assignment key_assignment::with_instances(std::uint32_t instances) const {
    for (const auto owner : _owner) {
        if (owner >= instances) {
            throw std::invalid_argument(
                fmt::format("instance {} owns key groups; it cannot be left out of {} instances",
                            owner, instances));
        }
    }
    key_assignment made = *this;
    made._instances = instances;
    return made;
}

std::vector<key_group_range> key_assignment::ranges_of(std::uint32_t index) const {
    std::vector<key_group_range> out;
    const auto groups = static_cast<std::uint32_t>(_owner.size());
    for (std::uint32_t g = 0; g < groups;) {
        if (_owner[g] != index) {
            ++g;
            continue;
        }
        std::uint32_t end = g;
        while (end < groups && _owner[end] == index) {
            ++end;
        }
        out.push_back({key_group(g), key_group(end)});
        g = end;
    }
    return out;
}

std::uint32_t key_assignment::groups_of(std::uint32_t index) const {
    return static_cast<std::uint32_t>(std::count(_owner.begin(), _owner.end(), index));
}

bool key_assignment::is_contiguous() const {
    return !empty() && *this == contiguous(_instances, max_key_groups());
}

key_assignment key_assignment::rebalanced(std::uint32_t instances) const {
    if (instances == 0) {
        throw std::invalid_argument("a key assignment needs at least one instance");
    }
    const auto groups = max_key_groups();
    std::vector<std::uint32_t> have(instances, 0);
    for (const auto owner : _owner) {
        if (owner < instances) {
            ++have[owner];
        }
    }
    // Shares: floor(G/n) each, one more for the G mod n instances that hold
    // the most now (those lose least by keeping it); ties to the lower index.
    const std::uint32_t base = groups / instances;
    std::vector<std::uint32_t> share(instances, base);
    std::vector<std::uint32_t> order(instances);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return have[a] > have[b]; });
    for (std::uint32_t n = 0; n < groups % instances; ++n) {
        ++share[order[n]];
    }
    key_assignment next;
    next._instances = instances;
    next._owner.assign(groups, unowned);
    std::vector<std::uint32_t> kept(instances, 0);
    for (std::uint32_t g = 0; g < groups; ++g) {
        const auto owner = _owner[g];
        if (owner < instances && kept[owner] < share[owner]) {
            next._owner[g] = owner;
            ++kept[owner];
        }
    }
    // The freed groups, in key order, fill the instances short of their
    // share, in index order: each newcomer gets runs as long as they can be.
    std::uint32_t taker = 0;
    for (std::uint32_t g = 0; g < groups; ++g) {
        if (next._owner[g] != unowned) {
            continue;
        }
        while (kept[taker] == share[taker]) {
            ++taker;
        }
        next._owner[g] = taker;
        ++kept[taker];
    }
    return next;
}

std::vector<key_group_move> moves_between(const key_assignment& from, const key_assignment& to) {
    if (from.max_key_groups() != to.max_key_groups()) {
        throw std::invalid_argument(fmt::format("assignments over {} and {} key groups",
                                                from.max_key_groups(), to.max_key_groups()));
    }
    std::vector<key_group_move> moves;
    for (std::uint32_t g = 0; g < from.max_key_groups(); ++g) {
        const auto a = from.owner(key_group(g));
        const auto b = to.owner(key_group(g));
        if (a == b) {
            continue;
        }
        if (!moves.empty() && moves.back().range.last == key_group(g) && moves.back().from == a &&
            moves.back().to == b) {
            moves.back().range.last = key_group(g + 1);
        } else {
            moves.push_back({{key_group(g), key_group(g + 1)}, a, b});
        }
    }
    return moves;
}

}  // namespace eddy
