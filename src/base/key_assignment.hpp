#pragma once

// Which instance of a computation owns each key group. By default instance i
// of n owns the contiguous range [ceil(i*G/n), ceil((i+1)*G/n)) (key_hash.hpp);
// once a computation has been rescaled its assignment is explicit: the
// scaler keeps every instance's groups up to its new share and moves only
// the rest, so an instance may own several ranges.
//
//     auto now = key_assignment::contiguous(2, 4096);
//     auto next = now.rebalanced(5);              // moves as few groups as it can
//     for (const auto& m : moves_between(now, next)) ...   // (range, from, to)
//
// Threading: a value type.

#include "key_hash.hpp"
#include "strong_id.hpp"

#include <cstdint>
#include <vector>

namespace eddy {

// Key groups [first, last): half-open.
struct key_group_range {
    key_group first;
    key_group last;
    [[nodiscard]] bool contains(key_group group) const { return group >= first && group < last; }
    [[nodiscard]] std::uint32_t size() const { return last.value() - first.value(); }
    bool operator==(const key_group_range&) const = default;
};

class key_assignment {
public:
    key_assignment() = default;

    // Instance i of `instances` owns its contiguous share (instance_for_key_group).
    [[nodiscard]] static key_assignment contiguous(std::uint32_t instances,
                                                   std::uint32_t max_key_groups);
    // Instance i owns ranges[i]. Throws std::invalid_argument naming the
    // problem unless every group of [0, max_key_groups) is owned exactly once.
    [[nodiscard]] static key_assignment from_ranges(
        const std::vector<std::vector<key_group_range>>& ranges, std::uint32_t max_key_groups);

    // The same owners over `instances` instances (at least one more than the
    // highest owner): the extra ones own nothing. Throws std::invalid_argument.
    [[nodiscard]] key_assignment with_instances(std::uint32_t instances) const;

    [[nodiscard]] bool empty() const { return _owner.empty(); }
    [[nodiscard]] std::uint32_t instances() const { return _instances; }
    [[nodiscard]] std::uint32_t max_key_groups() const {
        return static_cast<std::uint32_t>(_owner.size());
    }
    [[nodiscard]] std::uint32_t owner(key_group group) const { return _owner[group.value()]; }
    // The owner of every group, by group.
    [[nodiscard]] const std::vector<std::uint32_t>& owners() const { return _owner; }
    // What instance `index` owns, as ascending ranges (none for an index it does not have).
    [[nodiscard]] std::vector<key_group_range> ranges_of(std::uint32_t index) const;
    [[nodiscard]] std::uint32_t groups_of(std::uint32_t index) const;
    // Whether this is the contiguous assignment of its instance count.
    [[nodiscard]] bool is_contiguous() const;

    // The assignment over `instances` instances (indexes kept; those past the
    // new count give up everything) in which every instance owns floor(G/n)
    // or ceil(G/n) groups and as few groups as possible change owner: each
    // kept instance keeps its lowest groups up to its share.
    [[nodiscard]] key_assignment rebalanced(std::uint32_t instances) const;

    bool operator==(const key_assignment&) const = default;

private:
    std::vector<std::uint32_t> _owner;  // by key group
    std::uint32_t _instances = 0;
};

struct key_group_move {
    key_group_range range;
    std::uint32_t from = 0;  // instance indexes
    std::uint32_t to = 0;
    bool operator==(const key_group_move&) const = default;
};

// The ranges whose owner differs, as maximal runs with one (from, to).
// Both assignments must have the same max_key_groups.
[[nodiscard]] std::vector<key_group_move> moves_between(const key_assignment& from,
                                                        const key_assignment& to);

}  // namespace eddy
