#pragma once

// The baseline the executor pipeline is compared with: two plain processes
// (this one and a forked child) and one socket of the same kind (TCP loopback
// or a Unix socket); optionally a third process relaying, for the same shape
// as the pipeline. The child encodes records like the generator's into
// record_batch frames of `batch_records` with wire::record_batch_writer and
// writes them with blocking send(); this process reads into a 64 KiB buffer,
// splits frames and decodes every batch with wire::decode_record_batch. So it
// does the same codec and socket work as one hop of the pipeline, with no
// runtime: no threads, no queues, no credit, no computation.
//
// Call from a single-threaded process (it forks).

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace eddy::bench {

enum class socket_kind { tcp, unix_socket };

struct stream_figures {
    std::uint64_t records = 0;
    std::uint64_t payload_bytes = 0;  // key + value bytes
    double seconds = 0;               // first record made → last record decoded
    // Latency of the records, from their making to their decoding at the end.
    std::int64_t p50_us = 0;
    std::int64_t p99_us = 0;
    std::int64_t p999_us = 0;
    std::int64_t max_us = 0;
    [[nodiscard]] double records_per_second() const {
        return seconds > 0 ? static_cast<double>(records) / seconds : 0;
    }
    [[nodiscard]] double megabytes_per_second() const {
        return seconds > 0 ? static_cast<double>(payload_bytes) / seconds / 1e6 : 0;
    }
};

// Streams records of `key_space` keys ("key-<n>") and `value_size` random
// bytes each for `duration` (whole batches) over `hops` sockets: 1 (sender →
// receiver) or 2 (sender → relay → receiver, the relay decoding and
// re-encoding every batch like a pass-through stage). `rate` records/s paces
// the sender (whole batches, evenly spaced); 0 sends as fast as it can.
// Throws std::runtime_error on any socket failure. `dir` holds the Unix sockets.
[[nodiscard]] stream_figures run_socket_baseline(socket_kind kind, const std::filesystem::path& dir,
                                                 std::uint32_t hops,
                                                 std::chrono::milliseconds duration,
                                                 std::size_t batch_records, std::uint64_t key_space,
                                                 std::size_t value_size, double rate = 0);

}  // namespace eddy::bench
