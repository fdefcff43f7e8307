#include "memory_state_store.hpp"

// The store's own hash needs no stability across versions (nothing outside
// the process sees it), only speed: XXH3 compiled inline, no call per key.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>

namespace eddy::state {
namespace {

// Combines the parts' hashes so that (group, key, name) triples that share
// parts still spread: multiply by distinct odd constants, then fold high bits
// into the low ones, which pick the index slot (the high half is the tag).
std::uint64_t combine(std::uint64_t key_hash, std::uint64_t name_hash, key_group group) {
    std::uint64_t h = key_hash ^ (name_hash * 0x9e3779b97f4a7c15ULL) ^
                      (std::uint64_t{group.value()} * 0xc2b2ae3d27d4eb4fULL);
    h ^= h >> 29;
    return h;
}

}  // namespace

inline std::uint64_t memory_state_store::hash_of(key_group group, std::string_view key,
                                                 std::string_view name) {
    if (!detail::same_bytes(name, _last_name)) {
        _last_name.assign(name);
        _last_name_hash = XXH3_64bits(name.data(), name.size());
    }
    return combine(XXH3_64bits(key.data(), key.size()), _last_name_hash, group);
}

inline memory_state_store::found memory_state_store::lookup(key_group group, std::string_view key,
                                                            std::string_view name) {
    if (_last != not_found && _entries[_last].is(group, key, name)) {
        return {_last, 0};
    }
    _last = not_found;
    const std::uint64_t hash = hash_of(group, key, name);
    if (_slots.empty()) {
        return {not_found, hash};
    }
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    for (std::size_t i = hash & _mask;; i = (i + 1) & _mask) {
        const slot s = _slots[i];
        if (s.entry_plus_one == 0) {
            return {not_found, hash};
        }
        if (s.tag == tag) {
            const entry& e = _entries[s.entry_plus_one - 1];
            if (e.hash == hash && e.is(group, key, name)) {
                _last = s.entry_plus_one - 1;
                return {_last, hash};
            }
        }
    }
}

std::size_t memory_state_store::slot_of(std::uint32_t position) const {
    for (std::size_t i = _entries[position].hash & _mask;; i = (i + 1) & _mask) {
        if (_slots[i].entry_plus_one == position + 1) {
            return i;
        }
    }
}

void memory_state_store::index(std::uint64_t hash, std::uint32_t position) {
    if ((_entries.size()) * 2 > _slots.size()) {
        rebuild_index(std::max<std::size_t>(16, _slots.size() * 2));
        return;  // the rebuild indexed every entry, `position` included
    }
    std::size_t i = hash & _mask;
    while (_slots[i].entry_plus_one != 0) {
        i = (i + 1) & _mask;
    }
    _slots[i] = slot{position + 1, static_cast<std::uint32_t>(hash >> 32)};
}

void memory_state_store::unindex(std::size_t at) {
    std::size_t hole = at;
    for (std::size_t i = (at + 1) & _mask; _slots[i].entry_plus_one != 0; i = (i + 1) & _mask) {
        const std::size_t home = _entries[_slots[i].entry_plus_one - 1].hash & _mask;
        // The slot may move into the hole unless its home lies cyclically in
        // (hole, i]: then a lookup starting at home would never pass the hole.
        const bool home_after_hole = ((i - home) & _mask) < ((i - hole) & _mask);
        if (!home_after_hole) {
            _slots[hole] = _slots[i];
            hole = i;
        }
    }
    _slots[hole] = slot{};
}

void memory_state_store::rebuild_index(std::size_t slots) {
    _slots.assign(slots, slot{});
    _mask = slots - 1;
    for (std::uint32_t position = 0; position < _entries.size(); ++position) {
        const std::uint64_t hash = _entries[position].hash;
        std::size_t i = hash & _mask;
        while (_slots[i].entry_plus_one != 0) {
            i = (i + 1) & _mask;
        }
        _slots[i] = slot{position + 1, static_cast<std::uint32_t>(hash >> 32)};
    }
}

state_result<std::optional<std::string_view>> memory_state_store::get(key_group group,
                                                                      std::string_view key,
                                                                      std::string_view name) {
    const std::uint32_t position = lookup(group, key, name).position;
    if (position == not_found) {
        return std::optional<std::string_view>{};
    }
    return std::optional<std::string_view>{_entries[position].value};
}

state_result<void> memory_state_store::put(key_group group, std::string_view key,
                                           std::string_view name, std::string_view value) {
    const found at = lookup(group, key, name);
    if (at.position != not_found) {
        _bytes = _bytes - _entries[at.position].value.size() + value.size();
        _entries[at.position].value.assign(value);  // keeps the buffer when the value fits
        return {};
    }
    if (_entries.size() >= not_found - 1) {
        return fail(state_errc::invalid_argument, "the in-memory state store is full ({} entries)",
                    _entries.size());
    }
    const auto position = static_cast<std::uint32_t>(_entries.size());
    _entries.push_back(
        entry{at.hash, group, std::string(key), std::string(value), std::string(name)});
    index(at.hash, position);
    _last = position;
    _bytes += key.size() + value.size() + name.size();
    return {};
}

state_result<void> memory_state_store::erase(key_group group, std::string_view key,
                                             std::string_view name) {
    const std::uint32_t position = lookup(group, key, name).position;
    _last = not_found;
    if (position == not_found) {
        return {};
    }
    unindex(slot_of(position));
    const entry& gone = _entries[position];
    _bytes -= gone.key.size() + gone.value.size() + gone.name.size();
    // Keep the entries dense: the last one moves into the freed position.
    const auto last = static_cast<std::uint32_t>(_entries.size() - 1);
    if (position != last) {
        _slots[slot_of(last)].entry_plus_one = position + 1;
        _entries[position] = std::move(_entries[last]);
    }
    _entries.pop_back();
    return {};
}

state_result<void> memory_state_store::scan(key_group_range range,
                                            const std::function<void(const state_entry&)>& visit) {
    if (range.last < range.first) {
        return fail(state_errc::invalid_argument, "key group range [{}, {}) is reversed",
                    range.first, range.last);
    }
    for (const entry& e : _entries) {
        if (range.contains(e.group)) {
            visit(state_entry{e.group, e.key, e.name, e.value});
        }
    }
    return {};
}

state_result<void> memory_state_store::erase_range(key_group_range range) {
    if (range.last < range.first) {
        return fail(state_errc::invalid_argument, "key group range [{}, {}) is reversed",
                    range.first, range.last);
    }
    std::erase_if(_entries, [&](const entry& e) {
        if (range.contains(e.group)) {
            _bytes -= e.key.size() + e.value.size() + e.name.size();
            return true;
        }
        return false;
    });
    _last = not_found;
    if (!_slots.empty()) {
        rebuild_index(_slots.size());
    }
    return {};
}

}  // namespace eddy::state
