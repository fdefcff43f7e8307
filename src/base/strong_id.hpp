#pragma once

// Identifiers that are easy to mix up get their own types: an instance_id is
// not a key_group is not a sequence_number. A strong_id is a plain integer
// with a tag; it compares, hashes and prints, and converts only explicitly.

#include <fmt/format.h>

#include <compare>
#include <cstdint>
#include <functional>

namespace eddy {

template <class Rep, class Tag>
class strong_id {
public:
    using rep = Rep;
    constexpr strong_id() = default;
    constexpr explicit strong_id(Rep value) : _value(value) {}
    [[nodiscard]] constexpr Rep value() const { return _value; }
    constexpr auto operator<=>(const strong_id&) const = default;

private:
    Rep _value{};
};

// The running copy of a computation: unique within a topology.
using instance_id = strong_id<std::uint32_t, struct instance_id_tag>;
// hash(key) mod max_key_groups: the unit of keyed state and of rescaling.
using key_group = strong_id<std::uint32_t, struct key_group_tag>;
// Per-channel batch sequence number; starts at 1 for a new channel.
using sequence_number = strong_id<std::uint64_t, struct sequence_number_tag>;
// Version of the topology; a channel is (sender, receiver, epoch).
using topology_epoch = strong_id<std::uint64_t, struct topology_epoch_tag>;

}  // namespace eddy

template <class Rep, class Tag>
struct std::hash<eddy::strong_id<Rep, Tag>> {
    std::size_t operator()(eddy::strong_id<Rep, Tag> id) const noexcept {
        return std::hash<Rep>{}(id.value());
    }
};

template <class Rep, class Tag>
struct fmt::formatter<eddy::strong_id<Rep, Tag>> : fmt::formatter<Rep> {
    auto format(eddy::strong_id<Rep, Tag> id, fmt::format_context& ctx) const {
        return fmt::formatter<Rep>::format(id.value(), ctx);
    }
};
