#pragma once

// The byte layout of every key the RocksDB store writes. One kind byte comes
// first, then fixed-width fields in big-endian order (so that bytewise order,
// RocksDB's, is numeric order) and length-prefixed strings (LEB128 varint
// lengths, so that ("ab", "c") is not ("a", "bc")):
//
//   state     's' | group u32 | varint len | key | name             -> value
//   timer     't' | group u32 | varint len | key | varint len | tag | domain u8
//                                                                    -> time i64 (BE)
//   outbox    'o' | receiver u32 | epoch u64 | sequence u64         -> frame bytes
//   mark      'm' | sender u32 | epoch u64                          -> sequence u64 (BE)
//   position  'p' | name                                            -> bytes
//
// Every kind and every key group is therefore a contiguous key range: a scan
// of key groups [first, last) is one range scan from `state_key_prefix(first)`
// to `state_key_prefix(last)`, and an outbox channel is one range whose keys
// come in sequence order.
//
// Pure functions on bytes: no RocksDB types, no I/O; any thread.

#include "base/strong_id.hpp"
#include <eddy/context.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy::state::detail {

inline constexpr char state_kind = 's';
inline constexpr char timer_kind = 't';
inline constexpr char outbox_kind = 'o';
inline constexpr char mark_kind = 'm';
inline constexpr char position_kind = 'p';

void append_u32(std::string& out, std::uint32_t value);
void append_u64(std::string& out, std::uint64_t value);
void append_varint(std::string& out, std::uint32_t value);
void append_sized(std::string& out, std::string_view bytes);  // varint length, then the bytes

// Reads a field from the front of `in` and advances it; nullopt if `in` is too short.
[[nodiscard]] std::optional<std::uint32_t> take_u32(std::string_view& in);
[[nodiscard]] std::optional<std::uint64_t> take_u64(std::string_view& in);
[[nodiscard]] std::optional<std::string_view> take_sized(std::string_view& in);

// The smallest key greater than every key that starts with `prefix` (empty
// when there is none: `prefix` is all 0xff bytes).
[[nodiscard]] std::string prefix_successor(std::string prefix);

// State: 's' | group, the first key of group `group` and (used as an
// exclusive end) the end of group `group - 1`.
[[nodiscard]] std::string state_group_prefix(key_group group);
// Writes the state key of (group, key, name) into `out` (cleared first).
void encode_state_key(std::string& out, key_group group, std::string_view key,
                      std::string_view name);
struct state_address {
    key_group group;
    std::string_view key;
    std::string_view name;
};
[[nodiscard]] std::optional<state_address> decode_state_key(std::string_view stored);

[[nodiscard]] std::string timer_group_prefix(key_group group);
[[nodiscard]] std::string encode_timer_key(key_group group, std::string_view key,
                                           std::string_view tag, time_domain domain);
struct timer_address {
    key_group group;
    std::string_view key;
    std::string_view tag;
    time_domain domain;
};
[[nodiscard]] std::optional<timer_address> decode_timer_key(std::string_view stored);

// Outbox channel prefix: 'o' | receiver | epoch.
[[nodiscard]] std::string outbox_channel_prefix(instance_id receiver, topology_epoch epoch);
[[nodiscard]] std::string encode_outbox_key(instance_id receiver, topology_epoch epoch,
                                            sequence_number sequence);
struct outbox_address {
    instance_id receiver;
    topology_epoch epoch;
    sequence_number sequence;
};
[[nodiscard]] std::optional<outbox_address> decode_outbox_key(std::string_view stored);

[[nodiscard]] std::string encode_mark_key(instance_id sender, topology_epoch epoch);
struct mark_address {
    instance_id sender;
    topology_epoch epoch;
};
[[nodiscard]] std::optional<mark_address> decode_mark_key(std::string_view stored);

[[nodiscard]] std::string encode_position_key(std::string_view name);

// Fixed-width values: a u64 (marks) and an i64 time (timers), big-endian.
[[nodiscard]] std::string encode_u64_value(std::uint64_t value);
[[nodiscard]] std::optional<std::uint64_t> decode_u64_value(std::string_view stored);

}  // namespace eddy::state::detail
