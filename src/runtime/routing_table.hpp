#pragma once

// Where a produced record goes: an immutable value built from the topology.
// For each stream it lists the subscribers (which computation, its grouping,
// where its instances start in the global instance numbering, how many there
// are, its max key groups). `route` turns (stream, key) into destination
// instances: key grouping via key_group_of → the owner of the group (the
// subscriber's explicit assignment, or instance_for_key_group), shuffle
// round robin per producing instance (the producer owns the shuffle_cursor),
// broadcast to all. The network executor routes with this same value.
//
// A topology change builds a new table and swaps it in through a
// routing_table_holder; producers pick the new one up at their next batch.
//
// Lifecycle: built at start (and on each topology change); shared read-only.
// Threading: a routing_table is immutable and safe from any thread.

#include "base/key_hash.hpp"
#include "base/strong_id.hpp"
#include <eddy/computation.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::runtime {

using stream_index = std::uint32_t;

// The group hint of a record routed without hashing its key (shuffle, broadcast).
inline constexpr std::uint32_t no_key_group = UINT32_MAX;

struct subscriber_route {
    std::string computation;
    grouping by = grouping::shuffle;
    std::vector<instance_id> ids;  // the subscriber's instances, by index
    std::uint32_t max_key_groups = default_max_key_groups;
    // Key grouping: the index of the instance owning each key group, once a
    // rescale made the assignment explicit (key_assignment.hpp); empty: the
    // contiguous shares of instance_for_key_group.
    std::vector<std::uint32_t> owners = {};
};

struct stream_routes {
    std::string stream;
    std::vector<subscriber_route> subscribers;
};

// Per producing instance: the next shuffle target of every subscription.
class shuffle_cursor {
public:
    [[nodiscard]] std::uint32_t next(std::size_t slot, std::uint32_t instances) {
        if (slot >= _next.size()) {
            _next.resize(slot + 1, 0);
        }
        // A compare, not a modulo: a division per record showed in profiles.
        // (After a table swap to fewer instances, a cursor past the end
        // starts again at 0.)
        std::uint32_t chosen = _next[slot];
        if (chosen >= instances) {
            chosen = 0;
        }
        _next[slot] = chosen + 1;
        return chosen;
    }

private:
    std::vector<std::uint32_t> _next;
};

class routing_table {
public:
    routing_table(std::vector<stream_routes> streams, topology_epoch epoch);

    [[nodiscard]] topology_epoch epoch() const { return _epoch; }
    [[nodiscard]] std::optional<stream_index> find(std::string_view stream) const;
    [[nodiscard]] const stream_routes& routes(stream_index stream) const {
        return _streams[stream];
    }

    // Calls deliver(instance_id destination, std::uint32_t group_hint) once per
    // destination of a record with `key` on `stream`. group_hint is the key
    // group computed for key grouping, or no_key_group.
    // Always inlined into its caller (the producer, per record): as a call it
    // spilled the deliver lambda's captures to the stack and reloaded them,
    // dozens of instructions per record around a few of routing.
    template <class Deliver>
    [[gnu::always_inline]] void route(stream_index stream, std::string_view key,
                                      shuffle_cursor& cursor, Deliver&& deliver) const;

    // Every instance that may receive records from a producer of `streams`:
    // the channels that carry its watermarks and end of stream.
    [[nodiscard]] std::vector<instance_id> downstream_of(
        const std::vector<std::string>& streams) const;

private:
    std::vector<stream_routes> _streams;
    std::vector<std::size_t> _first_slot;  // shuffle slot of each stream's subscriber 0
    topology_epoch _epoch;
};

// Holds the current routing table; replace() swaps a new one in atomically
// while instances keep routing with the one they loaded.
// Threading: any thread.
class routing_table_holder {
public:
    explicit routing_table_holder(std::shared_ptr<const routing_table> table)
        : _table(std::move(table)) {}
    [[nodiscard]] std::shared_ptr<const routing_table> current() const { return _table.load(); }
    void replace(std::shared_ptr<const routing_table> table) { _table.store(std::move(table)); }

private:
    std::atomic<std::shared_ptr<const routing_table>> _table;
};

template <class Deliver>
inline void routing_table::route(stream_index stream, std::string_view key, shuffle_cursor& cursor,
                                 Deliver&& deliver) const {
    const auto& subscribers = _streams[stream].subscribers;
    for (std::size_t i = 0; i < subscribers.size(); ++i) {
        const subscriber_route& to = subscribers[i];
        const auto instances = static_cast<std::uint32_t>(to.ids.size());
        switch (to.by) {
            case grouping::key: {
                const key_group group = key_group_of(key, to.max_key_groups);
                const std::uint32_t owner =
                    to.owners.empty() ? instance_for_key_group(group, to.max_key_groups, instances)
                                      : to.owners[group.value()];
                deliver(to.ids[owner], group.value());
                break;
            }
            case grouping::shuffle:
                deliver(to.ids[cursor.next(_first_slot[stream] + i, instances)], no_key_group);
                break;
            case grouping::broadcast:
                for (const instance_id id : to.ids) {
                    deliver(id, no_key_group);
                }
                break;
        }
    }
}

}  // namespace eddy::runtime
