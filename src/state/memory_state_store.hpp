#pragma once

// The at-most-once state store: a hash table in the instance's memory, lost
// when the instance goes.
//
// Layout, chosen for the per-record get-then-put of a keyed counter: entries
// sit in one dense vector, each holding its address as three parts (key
// group, key, name: keys and names of up to 15 bytes stay inside the entry)
// and its value; an open-addressing index (linear probing, power-of-two size,
// at most half full) maps the address's hash to the entry. A lookup reads one
// index slot and, when the slot's hash tag matches, one entry: two cache
// misses at worst, no address to encode, no modulo. (A node-based
// std::unordered_map cost a chain walk of dependent misses and two 64-bit
// divisions per lookup: a third of the counting stage's time in
// bench/pipeline.)
//
// At most one lookup per call, none for a put (or get) of the address the
// previous call found; a hit allocates nothing, and a put over an existing
// value reuses its buffer when the new value fits.
//
// Lifecycle and threading: see state_store; one owner thread.

#include "detail/same_bytes.hpp"
#include "state_store.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace eddy::state {

class memory_state_store final : public state_store {
public:
    memory_state_store() = default;

    [[nodiscard]] state_result<std::optional<std::string_view>> get(key_group group,
                                                                    std::string_view key,
                                                                    std::string_view name) override;
    [[nodiscard]] state_result<void> put(key_group group, std::string_view key,
                                         std::string_view name, std::string_view value) override;
    [[nodiscard]] state_result<void> erase(key_group group, std::string_view key,
                                           std::string_view name) override;
    [[nodiscard]] state_result<void> scan(
        key_group_range range, const std::function<void(const state_entry&)>& visit) override;
    [[nodiscard]] state_result<void> erase_range(key_group_range range) override;
    [[nodiscard]] state_result<void> commit() override { return {}; }

    [[nodiscard]] std::size_t size() const { return _entries.size(); }
    // Bytes of keys, names and values held.
    [[nodiscard]] std::uint64_t approximate_bytes() override { return _bytes; }

private:
    struct entry {
        std::uint64_t hash;  // of (group, key, name): the index never rehashes a key
        key_group group;
        // Key and value first: a hit reads them, and the name (compared last)
        // is the field most likely to be on the entry's next cache line.
        std::string key;
        std::string value;
        std::string name;
        [[nodiscard]] bool is(key_group g, std::string_view k, std::string_view n) const {
            return group == g && detail::same_bytes(key, k) && detail::same_bytes(name, n);
        }
    };
    // One index slot: the entry's position + 1 (0: empty) and the high half
    // of its hash, which rules out most mismatches without reading the entry.
    struct slot {
        std::uint32_t entry_plus_one = 0;
        std::uint32_t tag = 0;
    };
    static constexpr std::uint32_t not_found = UINT32_MAX;
    struct found {
        std::uint32_t position;  // in _entries, or not_found
        std::uint64_t hash;      // of the address, when it had to be computed
    };

    // The hash of (group, key, name). The key is hashed each call; the name
    // is usually the one of the previous call, whose hash is remembered.
    [[nodiscard]] [[gnu::always_inline]] std::uint64_t hash_of(key_group group,
                                                               std::string_view key,
                                                               std::string_view name);
    // The entry at (group, key, name), or not_found; remembers it for the
    // next call, which needs no hashing if it asks for the same address.
    // Inlined into get and put (once per record each in a keyed counter): as
    // calls, saving and restoring registers cost a fifth of what they do.
    [[nodiscard]] [[gnu::always_inline]] found lookup(key_group group, std::string_view key,
                                                      std::string_view name);
    // The index slot that points at entry `position` (which must be indexed).
    [[nodiscard]] std::size_t slot_of(std::uint32_t position) const;
    // Points a free slot for `hash` at entry `position`; grows the index first
    // if it would be more than half full.
    void index(std::uint64_t hash, std::uint32_t position);
    // Empties slot `at` and shifts later slots of the same probe run back, so
    // that no lookup stops early at the hole (linear-probing deletion).
    void unindex(std::size_t at);
    // Rebuilds the index with `slots` slots (a power of two) from _entries.
    void rebuild_index(std::size_t slots);

    std::vector<entry> _entries;
    std::vector<slot> _slots;  // empty until the first put
    std::size_t _mask = 0;     // _slots.size() - 1
    std::uint64_t _bytes = 0;  // of every entry's key, name and value
    std::string _last_name;    // the name of the previous call and its hash
    std::uint64_t _last_name_hash = 0;
    std::uint32_t _last = not_found;  // the entry the previous call found
};

}  // namespace eddy::state
