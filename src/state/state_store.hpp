#pragma once

// Keyed state of one instance, addressed by (key group, key, name). The key
// group comes first in every address so that a contiguous range of key groups
// (what one instance owns) can be scanned, exported and erased as a unit when
// a computation is rescaled. Implementations: memory_state_store (now) and a
// RocksDB store (later) behind this same interface.
//
// Lifecycle: created by the instance that owns it, destroyed with it.
// Threading: not thread-safe; only the owning instance's thread calls it.

#include "base/error.hpp"
#include "base/key_assignment.hpp"
#include "base/strong_id.hpp"
#include <eddy/context.hpp>

#include <functional>
#include <optional>
#include <string_view>

namespace eddy::state {

enum class state_errc {
    io_error,          // the durable store could not read or write
    corrupted,         // stored bytes do not decode
    invalid_argument,  // an address or range that cannot exist
};

template <class T>
using state_result = result<T, state_errc>;

using eddy::key_group_range;  // [first, last): half-open

// One stored value, as seen by `scan`. The views are valid during the visit.
struct state_entry {
    key_group group;
    std::string_view key;
    std::string_view name;
    std::string_view value;
};

// One persisted timer, as seen by `scan_timers`. The views are valid during
// the visit.
struct stored_timer {
    key_group group;
    std::string_view key;
    std::string_view tag;
    time_domain domain = time_domain::processing_time;
    time_micros time = 0;
};

class state_store {
public:
    virtual ~state_store() = default;

    // The value stored under (group, key, name), or nullopt. The view stays
    // valid until the next call that modifies this store.
    [[nodiscard]] virtual state_result<std::optional<std::string_view>> get(
        key_group group, std::string_view key, std::string_view name) = 0;
    [[nodiscard]] virtual state_result<void> put(key_group group, std::string_view key,
                                                 std::string_view name, std::string_view value) = 0;
    // Erasing what is absent is not an error.
    [[nodiscard]] virtual state_result<void> erase(key_group group, std::string_view key,
                                                   std::string_view name) = 0;

    // Visits every entry whose key group lies in `range`, in no particular order.
    [[nodiscard]] virtual state_result<void> scan(
        key_group_range range, const std::function<void(const state_entry&)>& visit) = 0;
    // Drops every entry whose key group lies in `range` (after it was handed over).
    [[nodiscard]] virtual state_result<void> erase_range(key_group_range range) = 0;

    // Timers, identified by (group, key, tag, domain), for a durable store to
    // persist with the state so that they outlive a crash (the RocksDB store).
    // The in-memory store keeps none: the timer service holds them, and they
    // die with the instance like the state. Setting one again replaces it.
    [[nodiscard]] virtual state_result<void> put_timer(key_group group, std::string_view key,
                                                       std::string_view tag, time_domain domain,
                                                       time_micros time) {
        (void)group, (void)key, (void)tag, (void)domain, (void)time;
        return {};
    }
    [[nodiscard]] virtual state_result<void> erase_timer(key_group group, std::string_view key,
                                                         std::string_view tag, time_domain domain) {
        (void)group, (void)key, (void)tag, (void)domain;
        return {};
    }
    // Visits every persisted timer (none for the in-memory store).
    [[nodiscard]] virtual state_result<void> scan_timers(
        const std::function<void(const stored_timer&)>& visit) {
        (void)visit;
        return {};
    }

    // Makes every write since the last commit durable as one unit. The
    // in-memory store has nothing to do; the RocksDB store writes its batch.
    [[nodiscard]] virtual state_result<void> commit() = 0;
    // Roughly how many bytes of keyed state (and timers, where the store keeps
    // them) it holds, for metrics; 0 when the store does not say. May cost a
    // pass over what is in memory: callers call it now and then.
    [[nodiscard]] virtual std::uint64_t approximate_bytes() { return 0; }
};

}  // namespace eddy::state
