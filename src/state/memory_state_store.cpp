#include "memory_state_store.hpp"

#include "base/key_hash.hpp"

#include <cstdint>
#include <cstring>

namespace eddy::state {
namespace {

constexpr std::size_t header_size = 8;

void put_u32(char* out, std::uint32_t value) {
    out[0] = static_cast<char>(value >> 24);
    out[1] = static_cast<char>(value >> 16);
    out[2] = static_cast<char>(value >> 8);
    out[3] = static_cast<char>(value);
}

std::uint32_t get_u32(const char* in) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(in);
    return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
           (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

struct decoded_address {
    key_group group;
    std::string_view key;
    std::string_view name;
};

decoded_address decode(std::string_view address) {
    const std::uint32_t key_size = get_u32(address.data() + 4);
    return {key_group(get_u32(address.data())), address.substr(header_size, key_size),
            address.substr(header_size + key_size)};
}

}  // namespace

std::size_t memory_state_store::address_hash::operator()(std::string_view address) const {
    return static_cast<std::size_t>(key_hash(address));
}

std::string_view memory_state_store::encode(key_group group, std::string_view key,
                                            std::string_view name) {
    _address.resize(header_size + key.size() + name.size());
    char* out = _address.data();
    put_u32(out, group.value());
    put_u32(out + 4, static_cast<std::uint32_t>(key.size()));
    std::memcpy(out + header_size, key.data(), key.size());
    std::memcpy(out + header_size + key.size(), name.data(), name.size());
    return _address;
}

memory_state_store::map::iterator memory_state_store::lookup(std::string_view address) {
    if (_last != _values.end() && _last->first == address) {
        return _last;
    }
    _last = _values.find(address);
    return _last;
}

state_result<std::optional<std::string_view>> memory_state_store::get(key_group group,
                                                                      std::string_view key,
                                                                      std::string_view name) {
    const auto found = lookup(encode(group, key, name));
    if (found == _values.end()) {
        return std::optional<std::string_view>{};
    }
    return std::optional<std::string_view>{found->second};
}

state_result<void> memory_state_store::put(key_group group, std::string_view key,
                                           std::string_view name, std::string_view value) {
    const std::string_view address = encode(group, key, name);
    const auto found = lookup(address);
    if (found != _values.end()) {
        found->second.assign(value);  // keeps the buffer when the value fits
        return {};
    }
    _last = _values.emplace(std::string(address), std::string(value)).first;
    return {};
}

state_result<void> memory_state_store::erase(key_group group, std::string_view key,
                                             std::string_view name) {
    const auto found = lookup(encode(group, key, name));
    if (found != _values.end()) {
        _values.erase(found);
    }
    _last = _values.end();
    return {};
}

state_result<void> memory_state_store::scan(key_group_range range,
                                            const std::function<void(const state_entry&)>& visit) {
    if (range.last < range.first) {
        return fail(state_errc::invalid_argument, "key group range [{}, {}) is reversed",
                    range.first, range.last);
    }
    for (const auto& [address, value] : _values) {
        const decoded_address decoded = decode(address);
        if (range.contains(decoded.group)) {
            visit(state_entry{decoded.group, decoded.key, decoded.name, value});
        }
    }
    return {};
}

state_result<void> memory_state_store::erase_range(key_group_range range) {
    if (range.last < range.first) {
        return fail(state_errc::invalid_argument, "key group range [{}, {}) is reversed",
                    range.first, range.last);
    }
    std::erase_if(_values,
                  [&](const auto& entry) { return range.contains(decode(entry.first).group); });
    return {};
}

}  // namespace eddy::state
