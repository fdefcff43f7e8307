#include "key_codec.hpp"

namespace eddy::state::detail {
namespace {

// Stored domain bytes: fixed here, independent of the enum's values.
constexpr char event_time_byte = 0;
constexpr char processing_time_byte = 1;

}  // namespace

void append_u32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

void append_u64(std::string& out, std::uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

void append_varint(std::string& out, std::uint32_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

void append_sized(std::string& out, std::string_view bytes) {
    append_varint(out, static_cast<std::uint32_t>(bytes.size()));
    out.append(bytes);
}

namespace {

// A big-endian unsigned integer of sizeof(Int) bytes off the front of `in`.
template <class Int>
std::optional<Int> take_big_endian(std::string_view& in) {
    if (in.size() < sizeof(Int)) {
        return std::nullopt;
    }
    Int value = 0;
    for (std::size_t i = 0; i < sizeof(Int); ++i) {
        value = static_cast<Int>((value << 8) | static_cast<unsigned char>(in[i]));
    }
    in.remove_prefix(sizeof(Int));
    return value;
}

}  // namespace

std::optional<std::uint32_t> take_u32(std::string_view& in) {
    return take_big_endian<std::uint32_t>(in);
}

std::optional<std::uint64_t> take_u64(std::string_view& in) {
    return take_big_endian<std::uint64_t>(in);
}

std::optional<std::string_view> take_sized(std::string_view& in) {
    std::uint64_t length = 0;
    std::size_t used = 0;
    for (int shift = 0;; shift += 7) {
        if (used == in.size() || shift > 28) {
            return std::nullopt;
        }
        const auto byte = static_cast<unsigned char>(in[used++]);
        length |= std::uint64_t{byte & 0x7fu} << shift;
        if ((byte & 0x80) == 0) {
            break;
        }
    }
    if (in.size() - used < length) {
        return std::nullopt;
    }
    const std::string_view bytes = in.substr(used, length);
    in.remove_prefix(used + length);
    return bytes;
}

std::string prefix_successor(std::string prefix) {
    while (!prefix.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(prefix.back());
        if (last != 0xff) {
            ++last;
            return prefix;
        }
        prefix.pop_back();
    }
    return prefix;
}

std::string state_group_prefix(key_group group) {
    std::string out(1, state_kind);
    append_u32(out, group.value());
    return out;
}

void encode_state_key(std::string& out, key_group group, std::string_view key,
                      std::string_view name) {
    out.clear();
    out.push_back(state_kind);
    append_u32(out, group.value());
    append_sized(out, key);
    out.append(name);
}

std::optional<state_address> decode_state_key(std::string_view stored) {
    if (stored.empty() || stored.front() != state_kind) {
        return std::nullopt;
    }
    stored.remove_prefix(1);
    const auto group = take_u32(stored);
    if (!group) {
        return std::nullopt;
    }
    const auto key = take_sized(stored);
    if (!key) {
        return std::nullopt;
    }
    return state_address{key_group(*group), *key, stored};
}

std::string timer_group_prefix(key_group group) {
    std::string out(1, timer_kind);
    append_u32(out, group.value());
    return out;
}

std::string encode_timer_key(key_group group, std::string_view key, std::string_view tag,
                             time_domain domain) {
    std::string out = timer_group_prefix(group);
    append_sized(out, key);
    append_sized(out, tag);
    out.push_back(domain == time_domain::event_time ? event_time_byte : processing_time_byte);
    return out;
}

std::optional<timer_address> decode_timer_key(std::string_view stored) {
    if (stored.empty() || stored.front() != timer_kind) {
        return std::nullopt;
    }
    stored.remove_prefix(1);
    const auto group = take_u32(stored);
    if (!group) {
        return std::nullopt;
    }
    const auto key = take_sized(stored);
    if (!key) {
        return std::nullopt;
    }
    const auto tag = take_sized(stored);
    if (!tag || stored.size() != 1) {
        return std::nullopt;
    }
    time_domain domain;
    if (stored.front() == event_time_byte) {
        domain = time_domain::event_time;
    } else if (stored.front() == processing_time_byte) {
        domain = time_domain::processing_time;
    } else {
        return std::nullopt;
    }
    return timer_address{key_group(*group), *key, *tag, domain};
}

std::string outbox_channel_prefix(instance_id receiver, topology_epoch epoch) {
    std::string out(1, outbox_kind);
    append_u32(out, receiver.value());
    append_u64(out, epoch.value());
    return out;
}

std::string encode_outbox_key(instance_id receiver, topology_epoch epoch,
                              sequence_number sequence) {
    std::string out = outbox_channel_prefix(receiver, epoch);
    append_u64(out, sequence.value());
    return out;
}

std::optional<outbox_address> decode_outbox_key(std::string_view stored) {
    if (stored.empty() || stored.front() != outbox_kind) {
        return std::nullopt;
    }
    stored.remove_prefix(1);
    const auto receiver = take_u32(stored);
    const auto epoch = take_u64(stored);
    const auto sequence = take_u64(stored);
    if (!receiver || !epoch || !sequence || !stored.empty()) {
        return std::nullopt;
    }
    return outbox_address{instance_id(*receiver), topology_epoch(*epoch),
                          sequence_number(*sequence)};
}

std::string encode_mark_key(instance_id sender, topology_epoch epoch) {
    std::string out(1, mark_kind);
    append_u32(out, sender.value());
    append_u64(out, epoch.value());
    return out;
}

std::optional<mark_address> decode_mark_key(std::string_view stored) {
    if (stored.empty() || stored.front() != mark_kind) {
        return std::nullopt;
    }
    stored.remove_prefix(1);
    const auto sender = take_u32(stored);
    const auto epoch = take_u64(stored);
    if (!sender || !epoch || !stored.empty()) {
        return std::nullopt;
    }
    return mark_address{instance_id(*sender), topology_epoch(*epoch)};
}

std::string encode_position_key(std::string_view name) {
    std::string out(1, position_kind);
    out.append(name);
    return out;
}

std::string encode_u64_value(std::uint64_t value) {
    std::string out;
    append_u64(out, value);
    return out;
}

std::optional<std::uint64_t> decode_u64_value(std::string_view stored) {
    auto value = take_u64(stored);
    if (!value || !stored.empty()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace eddy::state::detail
