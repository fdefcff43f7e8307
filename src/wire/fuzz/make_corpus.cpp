// Writes the seed corpus of the wire fuzz target into a directory:
//     wire_make_corpus src/wire/fuzz/corpus
// One file per valid frame of each type, a few frames back to back, and
// "selector + payload" inputs that reach each decoder directly (see
// wire_fuzz_target.cpp). Deterministic: rerunning it rewrites the same files.

#include "wire/frame.hpp"
#include "wire/messages.hpp"
#include "wire/record_batch.hpp"
#include "wire/sdk_messages.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace eddy;
using namespace eddy::wire;

void write(const std::filesystem::path& dir, const std::string& name,
           std::span<const std::byte> bytes) {
    std::ofstream file(dir / name, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
}

// The selector form: selector byte + payload. The target maps selectors 0-6
// to types 0x01-0x07 and 7-14 to the SDK's 0x40-0x47.
void write_selected(const std::filesystem::path& dir, const std::string& name,
                    const byte_buffer& frame) {
    std::vector<std::byte> bytes(frame.bytes().begin() + 4, frame.bytes().end());
    const auto type = static_cast<std::uint8_t>(bytes[0]);
    const auto first_sdk = static_cast<std::uint8_t>(frame_type::sdk_hello);
    bytes[0] = static_cast<std::byte>(type < first_sdk ? type - 1 : type - first_sdk + 7);
    write(dir, name, bytes);
}

void batch(byte_buffer& out, int records, bool traced) {
    record_batch_writer writer(out);
    writer.begin({.stream = "clicks",
                  .sender = instance_id(7),
                  .epoch = topology_epoch(3),
                  .sequence = sequence_number(42),
                  .base_time = 1'700'000'000'000'000});
    trace_context trace;
    trace.trace_id[0] = std::byte{0x4b};
    trace.span_id[7] = std::byte{0x01};
    trace.flags = 1;
    for (int i = 0; i < records; ++i) {
        const std::string key = "user-" + std::to_string(i);
        const std::string value(static_cast<std::size_t>(i * 7 % 200), 'a' + i % 26);
        const time_micros time = 1'700'000'000'000'000 + (i % 3 - 1) * 1000 * i;
        if (traced && i % 2 == 1) {
            writer.add(key, value, time, trace);
        } else {
            writer.add(key, value, time);
        }
    }
    (void)writer.finish();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s corpus_dir\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir(argv[1]);
    std::filesystem::create_directories(dir);

    const auto one = [&](const std::string& name, auto&& fill) {
        byte_buffer out;
        fill(out);
        write(dir, name + ".frame", out.bytes());
        write_selected(dir, name + ".payload", out);
    };
    one("hello", [](byte_buffer& out) {
        encode(hello{protocol_version, instance_id(7), instance_id(9), topology_epoch(3), "count"},
               out);
    });
    one("credit", [](byte_buffer& out) { encode(credit{1u << 20}, out); });
    one("ack", [](byte_buffer& out) { encode(ack{sequence_number(41)}, out); });
    one("watermark", [](byte_buffer& out) { encode(watermark{-1}, out); });
    one("heartbeat", [](byte_buffer& out) { encode(heartbeat{}, out); });
    one("goodbye", [](byte_buffer& out) {
        encode(goodbye{goodbye_reason::protocol_error, "bad frame"}, out);
    });
    one("batch_empty", [](byte_buffer& out) { batch(out, 0, false); });
    one("batch_small", [](byte_buffer& out) { batch(out, 3, true); });
    one("batch_many", [](byte_buffer& out) { batch(out, 40, true); });

    // The SDK protocol (docs/protocol.md 11): traced and untraced requests
    // and transactions.
    trace_context sampled;
    sampled.trace_id[0] = std::byte{0x4b};
    sampled.trace_id[15] = std::byte{0x36};
    sampled.span_id[0] = std::byte{0x00};
    sampled.span_id[7] = std::byte{0xb7};
    sampled.flags = 1;
    one("sdk_hello", [](byte_buffer& out) {
        encode(sdk_hello{sdk_protocol_version, "python/1.0.0",
                         R"({"name":"counter","inputs":[{"stream":"words","grouping":"key"}],)"
                         R"("outputs":["counts"]})"},
               out);
    });
    one("sdk_init", [](byte_buffer& out) {
        encode(sdk_init{0, 2, 2, R"({"greeting":"hi"})"}, out);
    });
    one("sdk_process", [&](byte_buffer& out) {
        const sdk_state_entry count{"count", "2"};
        sdk_request request(out, frame_type::sdk_process, 1, -1, 3);
        request.record("words", "ab", "1", 5, {&count, 1}, &sampled);
        request.record("words", "cd", "1", 6, {});
        request.record("words", "ab", "1", 7, {}, &sampled);
        request.finish();
    });
    one("sdk_fire_timers", [](byte_buffer& out) {
        sdk_request request(out, frame_type::sdk_fire_timers, 2, 100, 1);
        request.timer("ab", "flush", 90, time_domain::event_time, {});
        request.finish();
    });
    one("sdk_transaction", [&](byte_buffer& out) {
        sdk_transaction transaction;
        transaction.batch = 1;
        transaction.produced = {{"counts", "ab", "3", 5, sampled},
                                {"counts", "cd", "1", 6, std::nullopt}};
        transaction.writes = {{"ab", "count", sdk_write_op::put, "3"}};
        transaction.timers = {{"ab", "flush", 90, time_domain::event_time}};
        transaction.logs = {{log_level::info, "counted"}};
        transaction.failures = {{1, 3, "ValueError: bad"}};
        encode(transaction, out);
    });

    byte_buffer stream;
    encode(hello{protocol_version, instance_id(1), instance_id(2), topology_epoch(1), "src"},
           stream);
    encode(credit{65536}, stream);
    batch(stream, 5, true);
    encode(watermark{1'700'000'000'000'000}, stream);
    encode(ack{sequence_number(42)}, stream);
    encode(heartbeat{}, stream);
    encode(goodbye{goodbye_reason::normal, ""}, stream);
    write(dir, "conversation.frames", stream.bytes());
    return 0;
}
