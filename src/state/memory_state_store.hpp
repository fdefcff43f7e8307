#pragma once

// The at-most-once state store: a hash map in the instance's memory, lost when
// the instance goes. At most one hash lookup per call, none for a put (or
// get) of the address the previous call looked up (the usual get-then-put of
// a counter); a hit allocates nothing, and a put over an existing value
// reuses its buffer when the new value fits.
//
// Lifecycle and threading: see state_store; one owner thread.

#include "state_store.hpp"

#include <cstddef>
#include <string>
#include <unordered_map>

namespace eddy::state {

class memory_state_store final : public state_store {
public:
    memory_state_store() = default;
    // Not copyable or movable: _last points into _values.
    memory_state_store(const memory_state_store&) = delete;
    memory_state_store& operator=(const memory_state_store&) = delete;

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

    [[nodiscard]] std::size_t size() const { return _values.size(); }

private:
    struct address_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view address) const;
    };
    struct address_equal {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const { return a == b; }
    };

    // Encodes (group, key, name) into _address and returns a view of it:
    // 4 bytes group (big endian), 4 bytes key size, key, name.
    std::string_view encode(key_group group, std::string_view key, std::string_view name);

    using map = std::unordered_map<std::string, std::string, address_hash, address_equal>;

    // The entry at `address`, or end(); remembers it for the next call.
    map::iterator lookup(std::string_view address);

    map _values;
    std::string _address;  // scratch buffer reused by every call
    // The entry the last call found (end() if none). Reset by anything that
    // may invalidate iterators: an insertion (rehash) or an erase.
    map::iterator _last = _values.end();
};

}  // namespace eddy::state
