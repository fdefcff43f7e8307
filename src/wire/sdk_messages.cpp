#include "wire/sdk_messages.hpp"

#include "wire/detail/little_endian.hpp"
#include "wire/detail/payload_reader.hpp"
#include "wire/detail/payload_writer.hpp"

#include <cstring>

namespace eddy::wire {

using detail::payload_reader;
using detail::payload_writer;

namespace {

// Every item of a request or transaction takes at least this many bytes, so
// a count above remaining / minimum cannot be honest: refused before any
// vector is sized by it.
wire_result<std::size_t> checked_count(payload_reader& in, std::string_view what,
                                       std::size_t min_item_bytes) {
    EDDY_WIRE_TRY(count, in.varint(what));
    if (count > in.remaining() / min_item_bytes) {
        return fail(wire_errc::count_mismatch, "{} count {} cannot fit in the {} bytes left", what,
                    count, in.remaining());
    }
    return static_cast<std::size_t>(count);
}

wire_result<time_domain> domain_of(std::uint8_t value) {
    if (value > 1) {
        return fail(wire_errc::bad_flags, "time domain {} is neither 0 (event) nor 1 (processing)",
                    value);
    }
    return value == 0 ? time_domain::event_time : time_domain::processing_time;
}

std::uint8_t domain_byte(time_domain domain) {
    return domain == time_domain::event_time ? 0 : 1;
}

wire_result<void> read_state(payload_reader& in, std::vector<sdk_state_entry>& into) {
    EDDY_WIRE_TRY(entries, checked_count(in, "state entries", 2));
    into.clear();
    into.reserve(entries);
    for (std::size_t i = 0; i < entries; ++i) {
        EDDY_WIRE_TRY(name, in.bytes("state name"));
        EDDY_WIRE_TRY(value, in.bytes("state value"));
        into.push_back({name, value});
    }
    return {};
}

void write_trace(byte_buffer& out, const trace_context& trace) {
    std::byte* at = out.prepare(sdk_trace_context_bytes);
    std::memcpy(at, trace.trace_id.data(), trace.trace_id.size());
    std::memcpy(at + 16, trace.span_id.data(), trace.span_id.size());
    at[24] = static_cast<std::byte>(trace.flags);
    out.commit(at + sdk_trace_context_bytes);
}

// The trace section closing a process or transaction (version 2): `traced`,
// then (index, context) pairs, indices increasing and below `items`. Calls
// `attach(index, context)` for each.
template <class Attach>
wire_result<void> read_traces(payload_reader& in, std::string_view message, std::size_t items,
                              Attach&& attach) {
    EDDY_WIRE_TRY(traced, checked_count(in, "traced items", 1 + sdk_trace_context_bytes));
    std::uint64_t next = 0;  // the smallest index allowed next
    for (std::size_t i = 0; i < traced; ++i) {
        const std::size_t at = in.offset();
        EDDY_WIRE_TRY(index, in.varint("traced index"));
        if (index < next || index >= items) {
            return fail(wire_errc::bad_length,
                        "{}: traced index {} at offset {} is out of order or out of range "
                        "(indices increase and stay below the {} items)",
                        message, index, at, items);
        }
        next = index + 1;
        trace_context trace;
        EDDY_WIRE_TRY(id_high, in.fixed<std::uint64_t>("trace id"));
        EDDY_WIRE_TRY(id_low, in.fixed<std::uint64_t>("trace id"));
        EDDY_WIRE_TRY(span, in.fixed<std::uint64_t>("span id"));
        EDDY_WIRE_TRY(flags, in.fixed<std::uint8_t>("trace flags"));
        // Stored back little-endian: the bytes exactly as they were on the wire.
        (void)detail::store_le(trace.trace_id.data(), id_high);
        (void)detail::store_le(trace.trace_id.data() + 8, id_low);
        (void)detail::store_le(trace.span_id.data(), span);
        trace.flags = flags;
        attach(static_cast<std::size_t>(index), trace);
    }
    return {};
}

}  // namespace

void encode(const sdk_init& message, byte_buffer& out) {
    const std::size_t frame = begin_frame(out, frame_type::sdk_init);
    payload_writer(out)
        .fixed(message.index)
        .fixed(message.count)
        .fixed(message.max_retries)
        .bytes(message.config_json);
    finish_frame(out, frame);
}

void encode(const sdk_error& message, byte_buffer& out) {
    const std::size_t frame = begin_frame(out, frame_type::sdk_error);
    payload_writer(out).fixed(message.code).bytes(message.message);
    finish_frame(out, frame);
}

void encode_sdk_shutdown(byte_buffer& out) {
    finish_frame(out, begin_frame(out, frame_type::sdk_shutdown));
}

void encode_sdk_goodbye(byte_buffer& out) {
    finish_frame(out, begin_frame(out, frame_type::sdk_goodbye));
}

sdk_request::sdk_request(byte_buffer& out, frame_type type, std::uint64_t batch,
                         time_micros watermark, std::size_t items, std::uint16_t version)
    : _out(out), _frame(begin_frame(out, type)), _type(type), _version(version) {
    payload_writer(_out).fixed(batch).fixed(watermark).varint(items);
}

void sdk_request::state(std::span<const sdk_state_entry> entries) {
    payload_writer writer(_out);
    writer.varint(entries.size());
    for (const auto& entry : entries) {
        writer.bytes(entry.name).bytes(entry.value);
    }
}

void sdk_request::record(std::string_view stream, std::string_view key, std::string_view value,
                         time_micros time, std::span<const sdk_state_entry> entries,
                         const trace_context* trace) {
    payload_writer(_out).bytes(stream).bytes(key).bytes(value).fixed(time);
    state(entries);
    if (trace != nullptr && sdk_carries_traces(_version)) {
        _traced.push_back({_items, *trace});
    }
    ++_items;
}

void sdk_request::timer(std::string_view key, std::string_view tag, time_micros time,
                        time_domain domain, std::span<const sdk_state_entry> entries) {
    payload_writer(_out).bytes(key).bytes(tag).fixed(time).fixed(domain_byte(domain));
    state(entries);
    ++_items;
}

std::size_t sdk_request::finish() {
    if (_type == frame_type::sdk_process && sdk_carries_traces(_version)) {
        payload_writer(_out).varint(_traced.size());
        for (const auto& item : _traced) {
            payload_writer(_out).varint(item.index);
            write_trace(_out, item.trace);
        }
    }
    return std::size_t{4} + finish_frame(_out, _frame);
}

wire_result<sdk_hello> decode_sdk_hello(std::span<const std::byte> payload) {
    payload_reader in(payload, "sdk_hello");
    EDDY_WIRE_TRY(version, in.fixed<std::uint16_t>("version"));
    if (version < sdk_oldest_protocol_version || version > sdk_protocol_version) {
        return fail(wire_errc::version_mismatch,
                    "sdk_hello: protocol version {} is not spoken here (this executor speaks {} "
                    "to {})",
                    version, sdk_oldest_protocol_version, sdk_protocol_version);
    }
    EDDY_WIRE_TRY(sdk, in.bytes("sdk"));
    EDDY_WIRE_TRY(metadata, in.bytes("metadata"));
    EDDY_WIRE_CHECK(in.finish());
    return sdk_hello{version, sdk, metadata};
}

wire_result<sdk_init> decode_sdk_init(std::span<const std::byte> payload) {
    payload_reader in(payload, "init");
    EDDY_WIRE_TRY(index, in.fixed<std::uint32_t>("index"));
    EDDY_WIRE_TRY(count, in.fixed<std::uint32_t>("count"));
    EDDY_WIRE_TRY(retries, in.fixed<std::uint32_t>("max_retries"));
    EDDY_WIRE_TRY(config, in.bytes("config"));
    EDDY_WIRE_CHECK(in.finish());
    return sdk_init{index, count, retries, config};
}

wire_result<sdk_error> decode_sdk_error(std::span<const std::byte> payload) {
    payload_reader in(payload, "error");
    EDDY_WIRE_TRY(code, in.fixed<std::uint16_t>("code"));
    EDDY_WIRE_TRY(message, in.bytes("message"));
    EDDY_WIRE_CHECK(in.finish());
    return sdk_error{code, message};
}

wire_result<void> decode_sdk_transaction(std::span<const std::byte> payload, sdk_transaction& into,
                                         std::uint16_t version) {
    payload_reader in(payload, "transaction");
    into.produced.clear();
    into.writes.clear();
    into.timers.clear();
    into.logs.clear();
    into.failures.clear();
    EDDY_WIRE_TRY(batch, in.fixed<std::uint64_t>("batch"));
    into.batch = batch;

    EDDY_WIRE_TRY(produced, checked_count(in, "produced records", 11));
    into.produced.reserve(produced);
    for (std::size_t i = 0; i < produced; ++i) {
        EDDY_WIRE_TRY(stream, in.bytes("produced stream"));
        EDDY_WIRE_TRY(key, in.bytes("produced key"));
        EDDY_WIRE_TRY(value, in.bytes("produced value"));
        EDDY_WIRE_TRY(time, in.fixed<std::int64_t>("produced time"));
        into.produced.push_back({stream, key, value, time, std::nullopt});
    }

    EDDY_WIRE_TRY(writes, checked_count(in, "state writes", 4));
    into.writes.reserve(writes);
    for (std::size_t i = 0; i < writes; ++i) {
        EDDY_WIRE_TRY(key, in.bytes("write key"));
        EDDY_WIRE_TRY(name, in.bytes("write name"));
        EDDY_WIRE_TRY(op, in.fixed<std::uint8_t>("write op"));
        if (op > 1) {
            return fail(wire_errc::bad_flags,
                        "transaction: state write op {} is neither 0 (put) "
                        "nor 1 (erase)",
                        op);
        }
        EDDY_WIRE_TRY(value, in.bytes("write value"));
        into.writes.push_back({key, name, static_cast<sdk_write_op>(op), value});
    }

    EDDY_WIRE_TRY(timers, checked_count(in, "timers", 11));
    into.timers.reserve(timers);
    for (std::size_t i = 0; i < timers; ++i) {
        EDDY_WIRE_TRY(key, in.bytes("timer key"));
        EDDY_WIRE_TRY(tag, in.bytes("timer tag"));
        EDDY_WIRE_TRY(time, in.fixed<std::int64_t>("timer time"));
        EDDY_WIRE_TRY(domain_value, in.fixed<std::uint8_t>("timer domain"));
        EDDY_WIRE_TRY(domain, domain_of(domain_value));
        into.timers.push_back({key, tag, time, domain});
    }

    EDDY_WIRE_TRY(logs, checked_count(in, "log lines", 2));
    into.logs.reserve(logs);
    for (std::size_t i = 0; i < logs; ++i) {
        EDDY_WIRE_TRY(level, in.fixed<std::uint8_t>("log level"));
        if (level > 3) {
            return fail(wire_errc::bad_flags, "transaction: log level {} is not 0-3", level);
        }
        EDDY_WIRE_TRY(text, in.bytes("log text"));
        into.logs.push_back({static_cast<log_level>(level), text});
    }

    EDDY_WIRE_TRY(failures, checked_count(in, "failures", 9));
    into.failures.reserve(failures);
    for (std::size_t i = 0; i < failures; ++i) {
        EDDY_WIRE_TRY(index, in.fixed<std::uint32_t>("failure index"));
        EDDY_WIRE_TRY(attempts, in.fixed<std::uint32_t>("failure attempts"));
        EDDY_WIRE_TRY(message, in.bytes("failure message"));
        into.failures.push_back({index, attempts, message});
    }
    if (sdk_carries_traces(version)) {
        EDDY_WIRE_CHECK(read_traces(in, "transaction", into.produced.size(),
                                    [&](std::size_t index, const trace_context& trace) {
                                        into.produced[index].trace = trace;
                                    }));
    }
    EDDY_WIRE_CHECK(in.finish());
    return {};
}

void encode(const sdk_hello& message, byte_buffer& out) {
    const std::size_t frame = begin_frame(out, frame_type::sdk_hello);
    payload_writer(out).fixed(message.version).bytes(message.sdk).bytes(message.metadata_json);
    finish_frame(out, frame);
}

void encode(const sdk_transaction& message, byte_buffer& out, std::uint16_t version) {
    const std::size_t frame = begin_frame(out, frame_type::sdk_transaction);
    payload_writer writer(out);
    writer.fixed(message.batch).varint(message.produced.size());
    for (const auto& r : message.produced) {
        writer.bytes(r.stream).bytes(r.key).bytes(r.value).fixed(r.time);
    }
    writer.varint(message.writes.size());
    for (const auto& w : message.writes) {
        writer.bytes(w.key).bytes(w.name).fixed(static_cast<std::uint8_t>(w.op)).bytes(w.value);
    }
    writer.varint(message.timers.size());
    for (const auto& t : message.timers) {
        writer.bytes(t.key).bytes(t.tag).fixed(t.time).fixed(domain_byte(t.domain));
    }
    writer.varint(message.logs.size());
    for (const auto& l : message.logs) {
        writer.fixed(static_cast<std::uint8_t>(l.level)).bytes(l.text);
    }
    writer.varint(message.failures.size());
    for (const auto& f : message.failures) {
        writer.fixed(f.index).fixed(f.attempts).bytes(f.message);
    }
    if (sdk_carries_traces(version)) {
        std::size_t traced = 0;
        for (const auto& r : message.produced) {
            traced += r.trace ? 1 : 0;
        }
        writer.varint(traced);
        for (std::size_t i = 0; i < message.produced.size(); ++i) {
            if (const auto& trace = message.produced[i].trace) {
                writer.varint(i);
                write_trace(out, *trace);
            }
        }
    }
    finish_frame(out, frame);
}

wire_result<sdk_decoded_request> decode_sdk_request(frame_type type,
                                                    std::span<const std::byte> payload,
                                                    std::uint16_t version) {
    const bool records = type == frame_type::sdk_process;
    payload_reader in(payload, records ? "process" : "fire_timers");
    sdk_decoded_request request;
    EDDY_WIRE_TRY(batch, in.fixed<std::uint64_t>("batch"));
    EDDY_WIRE_TRY(watermark, in.fixed<std::int64_t>("watermark"));
    request.batch = batch;
    request.watermark = watermark;
    EDDY_WIRE_TRY(items, checked_count(in, records ? "records" : "timers", 12));
    request.items.resize(items);
    for (auto& item : request.items) {
        if (records) {
            EDDY_WIRE_TRY(stream, in.bytes("stream"));
            EDDY_WIRE_TRY(key, in.bytes("key"));
            EDDY_WIRE_TRY(value, in.bytes("value"));
            EDDY_WIRE_TRY(time, in.fixed<std::int64_t>("time"));
            item.stream = stream;
            item.key = key;
            item.value = value;
            item.time = time;
        } else {
            EDDY_WIRE_TRY(key, in.bytes("key"));
            EDDY_WIRE_TRY(tag, in.bytes("tag"));
            EDDY_WIRE_TRY(time, in.fixed<std::int64_t>("time"));
            EDDY_WIRE_TRY(domain_value, in.fixed<std::uint8_t>("domain"));
            EDDY_WIRE_TRY(domain, domain_of(domain_value));
            item.key = key;
            item.tag = tag;
            item.time = time;
            item.domain = domain;
        }
        EDDY_WIRE_CHECK(read_state(in, item.state));
    }
    if (records && sdk_carries_traces(version)) {
        EDDY_WIRE_CHECK(read_traces(in, "process", request.items.size(),
                                    [&](std::size_t index, const trace_context& trace) {
                                        request.items[index].trace = trace;
                                    }));
    }
    EDDY_WIRE_CHECK(in.finish());
    return request;
}

}  // namespace eddy::wire
