// Record-batch codec throughput, each figure beside a baseline measured in the
// same run on the same bytes:
//   encode  vs  memcpy of every key and value into a reused buffer
//   decode  vs  memcpy of the whole frame (the bytes a decoder must look at)
// 100-byte records (16-byte key, 84-byte value), 512 per batch (~54 KB, about
// one default flush). GB/s counts key+value bytes. Each measurement runs
// `repeats` times for ~0.2 s; the median is printed (the machine is shared),
// the best beside it. Runs in about 8 seconds.

#include "wire/record_batch.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace eddy;
using namespace eddy::wire;
using bench_clock = std::chrono::steady_clock;

constexpr std::size_t records_per_batch = 512;
constexpr std::size_t key_bytes = 16;
constexpr std::size_t value_bytes = 84;
constexpr std::size_t record_bytes = key_bytes + value_bytes;
constexpr int repeats = 7;
constexpr auto run_for = std::chrono::milliseconds(200);

// Keeps the optimiser from dropping work whose result is never read.
inline void keep(const void* pointer) {
    asm volatile("" : : "r"(pointer) : "memory");
}

struct rate {
    double records_per_second = 0;
    [[nodiscard]] double gigabytes_per_second() const {
        return records_per_second * record_bytes / 1e9;
    }
};

// Runs `batch` (which handles records_per_batch records) for run_for, `repeats`
// times; returns {median, best}.
template <class Batch>
std::pair<rate, rate> measure(Batch&& batch) {
    std::vector<double> rates;
    for (int repeat = 0; repeat < repeats; ++repeat) {
        std::size_t batches = 0;
        const auto start = bench_clock::now();
        auto now = start;
        do {
            for (int i = 0; i < 64; ++i)
                batch();
            batches += 64;
            now = bench_clock::now();
        } while (now - start < run_for);
        const double seconds = std::chrono::duration<double>(now - start).count();
        rates.push_back(static_cast<double>(batches * records_per_batch) / seconds);
    }
    std::sort(rates.begin(), rates.end());
    return {rate{rates[rates.size() / 2]}, rate{rates.back()}};
}

void report(const char* what, std::pair<rate, rate> codec, const char* baseline_name,
            std::pair<rate, rate> baseline) {
    std::printf(
        "%-6s %6.1f M rec/s %6.2f GB/s (best %5.2f) | %-14s %6.1f M rec/s %6.2f GB/s (best %5.2f)"
        " | ratio %.2f\n",
        what, codec.first.records_per_second / 1e6, codec.first.gigabytes_per_second(),
        codec.second.gigabytes_per_second(), baseline_name, baseline.first.records_per_second / 1e6,
        baseline.first.gigabytes_per_second(), baseline.second.gigabytes_per_second(),
        codec.first.records_per_second / baseline.first.records_per_second);
}

}  // namespace

int main() {
    std::vector<std::string> keys;
    std::vector<std::string> values;
    std::vector<time_micros> times;
    constexpr time_micros base = 1'700'000'000'000'000;
    for (std::size_t i = 0; i < records_per_batch; ++i) {
        std::string key = "user-" + std::to_string(1'000'000 + i * 7919);
        key.resize(key_bytes, '.');
        keys.push_back(std::move(key));
        values.emplace_back(value_bytes, static_cast<char>('a' + i % 26));
        times.push_back(base + static_cast<time_micros>(i * 37 % 5000));  // jittered, ms apart
    }
    const batch_header header{.stream = "clicks",
                              .sender = instance_id(7),
                              .epoch = topology_epoch(3),
                              .sequence = sequence_number(1),
                              .base_time = base};

    byte_buffer out;
    record_batch_writer writer(out);
    const auto encode = [&] {
        out.clear();
        writer.begin(header);
        for (std::size_t i = 0; i < records_per_batch; ++i)
            writer.add(keys[i], values[i], times[i]);
        auto frame = writer.finish();
        keep(frame->data());
    };
    byte_buffer copy;
    const auto copy_records = [&] {
        copy.clear();
        for (std::size_t i = 0; i < records_per_batch; ++i) {
            copy.append(keys[i].data(), key_bytes);
            copy.append(values[i].data(), value_bytes);
        }
        keep(copy.data());
    };

    encode();
    const std::vector<std::byte> frame(out.bytes().begin(), out.bytes().end());
    const auto payload = std::span<const std::byte>(frame).subspan(frame_header_bytes);
    std::vector<record_view> records;
    const auto decode = [&] {
        auto decoded = decode_record_batch(payload, records);
        keep(&decoded);
        keep(records.data());
    };
    std::vector<std::byte> landing(frame.size());
    const auto copy_frame = [&] {
        std::memcpy(landing.data(), frame.data(), frame.size());
        keep(landing.data());
    };
    if (!decode_record_batch(payload, records) || records.size() != records_per_batch) {
        std::fprintf(stderr, "codec_bench: the encoded batch does not decode\n");
        return 1;
    }

    std::printf(
        "codec_bench: %zu-byte records (%zu key + %zu value), %zu per batch, "
        "frame %zu bytes; median of %d, GB/s of key+value bytes\n",
        record_bytes, key_bytes, value_bytes, records_per_batch, frame.size(), repeats);
    report("encode", measure(encode), "memcpy k+v:", measure(copy_records));
    report("decode", measure(decode), "memcpy frame:", measure(copy_frame));
    return 0;
}
