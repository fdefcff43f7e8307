#pragma once

// The executor <-> SDK protocol (docs/protocol.md, section 11): the frames an
// executor exchanges with the user process of a computation written in
// another language. The executor encodes requests (init, process,
// fire_timers, shutdown) and decodes what the SDK sends (sdk_hello,
// transaction, sdk goodbye, error). Decoders check every length against what
// is left before reading it; decoded string_views point into the payload.
//
// A request is built in place: begin it with its header and the number of
// items, then append each item (record or timer) followed by its state
// entries, then finish it.
//
//     wire::sdk_request request(out, wire::frame_type::sdk_process, batch_id, watermark, n);
//     request.record(stream, key, value, time, entries, trace);   // n times
//     request.finish();
//
// Trace contexts (version 2 and later) travel in a trailing section of
// `process` and `transaction`: (item index, 25-byte context) pairs for the
// traced items only, so untraced traffic costs one byte per frame.
//
// Pure functions and single-owner builders, safe from any thread.

#include "base/trace_context.hpp"
#include "wire/byte_buffer.hpp"
#include "wire/errc.hpp"
#include "wire/frame.hpp"
#include <eddy/context.hpp>
#include <eddy/record.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace eddy::wire {

// The newest SDK protocol version this build speaks (sdk_hello.version), and
// the oldest it still accepts. The executor speaks the version the SDK said
// hello with: version 1 has no trace sections.
inline constexpr std::uint16_t sdk_protocol_version = 2;
inline constexpr std::uint16_t sdk_oldest_protocol_version = 1;
[[nodiscard]] constexpr bool sdk_carries_traces(std::uint16_t version) {
    return version >= 2;
}

// A trace context on the SDK connection: trace id, span id, flags (6.3).
inline constexpr std::size_t sdk_trace_context_bytes = 25;

// Requests go out up to this size; transactions are accepted up to this size.
inline constexpr std::uint32_t max_sdk_request_bytes = 16u << 20;
inline constexpr std::uint32_t max_sdk_transaction_bytes = 64u << 20;

// SDK -> executor, the first frame of a connection.
struct sdk_hello {
    std::uint16_t version = 0;
    std::string_view sdk;            // "python/1.0.0"
    std::string_view metadata_json;  // {"name", "inputs": [{"stream", "grouping"}], "outputs"}
};

// Executor -> SDK, answered by the transaction of batch 0.
struct sdk_init {
    std::uint32_t index = 0;
    std::uint32_t count = 1;
    std::uint32_t max_retries = 2;
    std::string_view config_json;  // a JSON object of strings
};

// One stored value of the current key, sent with its first record or timer.
struct sdk_state_entry {
    std::string_view name;
    std::string_view value;
};

enum class sdk_write_op : std::uint8_t { put = 0, erase = 1 };

// What one transaction holds, in the order the callbacks did it.
struct sdk_produced {
    std::string_view stream;
    std::string_view key;
    std::string_view value;
    time_micros time = 0;
    // The context of the input it was produced while processing, as the SDK
    // echoed it; the executor derives the record's own span from it.
    std::optional<trace_context> trace;
};
struct sdk_state_write {
    std::string_view key;
    std::string_view name;
    sdk_write_op op = sdk_write_op::put;
    std::string_view value;
};
struct sdk_timer_set {
    std::string_view key;
    std::string_view tag;
    time_micros time = 0;
    time_domain domain = time_domain::event_time;
};
struct sdk_log_line {
    log_level level = log_level::info;
    std::string_view text;
};
struct sdk_failure {
    std::uint32_t index = 0;     // the record's or timer's position in the request
    std::uint32_t attempts = 0;  // how many times the callback raised
    std::string_view message;    // the last error
};
struct sdk_transaction {
    std::uint64_t batch = 0;
    std::vector<sdk_produced> produced;
    std::vector<sdk_state_write> writes;
    std::vector<sdk_timer_set> timers;
    std::vector<sdk_log_line> logs;
    std::vector<sdk_failure> failures;
};

enum class sdk_error_code : std::uint16_t {
    protocol_error = 1,
    unsupported_version = 2,
    internal = 3,
};

// Either way: a fatal error; the sender closes afterwards.
struct sdk_error {
    std::uint16_t code = 0;
    std::string_view message;
};

void encode(const sdk_init& message, byte_buffer& out);
void encode(const sdk_error& message, byte_buffer& out);
// shutdown: an empty frame.
void encode_sdk_shutdown(byte_buffer& out);

// A process or fire_timers request under construction in `out`.
class sdk_request {
public:
    // `type` is sdk_process or sdk_fire_timers; `items` is how many records
    // or timers will follow; `version` the SDK's (from its hello).
    sdk_request(byte_buffer& out, frame_type type, std::uint64_t batch, time_micros watermark,
                std::size_t items, std::uint16_t version = sdk_protocol_version);

    // `trace`: the record's trace context, or nullptr; dropped for a
    // version-1 SDK.
    void record(std::string_view stream, std::string_view key, std::string_view value,
                time_micros time, std::span<const sdk_state_entry> state,
                const trace_context* trace = nullptr);
    void timer(std::string_view key, std::string_view tag, time_micros time, time_domain domain,
               std::span<const sdk_state_entry> state);
    // Patches the frame length; returns the frame's size in bytes.
    std::size_t finish();

private:
    void state(std::span<const sdk_state_entry> entries);

    struct traced_item {
        std::uint64_t index;
        trace_context trace;
    };

    byte_buffer& _out;
    std::size_t _frame;
    frame_type _type;
    std::uint16_t _version;
    std::uint64_t _items = 0;          // appended so far
    std::vector<traced_item> _traced;  // allocates only for a traced request
};

// Decoders of a frame's payload (as split_frame gives it).
[[nodiscard]] wire_result<sdk_hello> decode_sdk_hello(std::span<const std::byte> payload);
[[nodiscard]] wire_result<sdk_init> decode_sdk_init(std::span<const std::byte> payload);
[[nodiscard]] wire_result<sdk_error> decode_sdk_error(std::span<const std::byte> payload);
// Fills `into` (cleared first, its vectors' memory reused); `version` is the
// SDK's, from its hello.
[[nodiscard]] wire_result<void> decode_sdk_transaction(
    std::span<const std::byte> payload, sdk_transaction& into,
    std::uint16_t version = sdk_protocol_version);

// Test and tooling side: the SDK's half of the encoders and decoders, used by
// the executor's tests to play a user process.
void encode(const sdk_hello& message, byte_buffer& out);
void encode(const sdk_transaction& message, byte_buffer& out,
            std::uint16_t version = sdk_protocol_version);
void encode_sdk_goodbye(byte_buffer& out);

// One record or timer of a decoded request, with its state entries.
struct sdk_request_item {
    std::string_view stream;  // records only
    std::string_view key;
    std::string_view value;  // records only
    std::string_view tag;    // timers only
    time_micros time = 0;
    time_domain domain = time_domain::event_time;  // timers only
    std::vector<sdk_state_entry> state;
    std::optional<trace_context> trace;  // records only
};
struct sdk_decoded_request {
    std::uint64_t batch = 0;
    time_micros watermark = 0;
    std::vector<sdk_request_item> items;
};
[[nodiscard]] wire_result<sdk_decoded_request> decode_sdk_request(
    frame_type type, std::span<const std::byte> payload,
    std::uint16_t version = sdk_protocol_version);

}  // namespace eddy::wire
