#pragma once

// The tracing engine's runtime half (docs/architecture.md, "Tracing"): which
// records start a trace, the ids of the spans each hop records, and the
// bounded buffer the spans wait in until the coordinator collects them.
//
// A record starts a trace where it has no traced parent: one record in
// `sample_one_in` of those an instance produces (gaps drawn from a seeded
// PRNG, mean sample_one_in), and every record whose key is a trace key. A
// record produced under a traced parent (task_context::set_trace_parent) is
// always traced: it keeps the parent's trace id with a new span id.
//
// Span kinds, per hop of a traced record:
//   received   the frame holding it decoded .. the batch on the inbound queue
//   processed  the callback (a batched computation: its whole batch)
//   produced   one context::produce under the parent (or starting the trace)
//   sent       that produce .. the encoded frame handed to the channel
// Parents: received ← the upstream's sent; processed ← received; produced ←
// processed; sent ← produced.
//
// Threading: a tracer belongs to one instance's thread; span_ids to one
// thread; span_buffer is safe from any thread.

#include "base/trace_context.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::runtime {

using span_id = std::array<std::byte, 8>;
using trace_id = std::array<std::byte, 16>;

// The default sampling rate: one record in this many starts a trace. Chosen
// so that tracing costs well under 3% of a cheap pipeline's throughput
// (bench/network measures it).
inline constexpr std::uint32_t default_trace_sample_one_in = 1000;

enum class span_kind : std::uint8_t { received, processed, produced, sent };

[[nodiscard]] std::string_view to_string(span_kind kind);

// One timed operation on a traced record at this instance. Which instance
// recorded it is the buffer's owner's to say.
struct span {
    trace_id trace{};
    span_id id{};
    span_id parent{};  // all zero: the root of its trace
    span_kind kind = span_kind::produced;
    std::int64_t start_micros = 0;  // system clock: comparable across processes
    std::int64_t end_micros = 0;
    std::string stream;
    std::string key;
};

// A seed for span_ids that differs between processes and calls.
[[nodiscard]] std::uint64_t random_seed();

// Microseconds since the Unix epoch by the system clock.
[[nodiscard]] std::int64_t system_micros();

// Lower-case hex of an id (32 or 16 digits).
[[nodiscard]] std::string to_hex(std::span<const std::byte> bytes);
[[nodiscard]] bool is_zero(const span_id& id);

// A fast PRNG (splitmix64) for span and trace ids and sampling gaps. Never
// yields an all-zero id (W3C: invalid).
class span_ids {
public:
    explicit span_ids(std::uint64_t seed);
    [[nodiscard]] std::uint64_t next() {
        _state += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    [[nodiscard]] span_id next_span();
    [[nodiscard]] trace_id next_trace();

private:
    std::uint64_t _state;
};

// Spans an executor recorded and the coordinator has not collected yet.
// Bounded: a span that finds it full is dropped and counted, so the data
// path never waits on a slow collector. The lock is held for one push or
// one swap, never across I/O.
class span_buffer {
public:
    explicit span_buffer(std::size_t capacity = 16'384) : _capacity(capacity) {}

    void record(span s);
    // Takes every buffered span, oldest first.
    [[nodiscard]] std::vector<span> drain();
    [[nodiscard]] std::uint64_t recorded() const { return _recorded.load(); }
    [[nodiscard]] std::uint64_t dropped() const { return _dropped.load(); }

private:
    const std::size_t _capacity;
    std::mutex _mu;
    std::vector<span> _spans;  // GUARDED_BY(_mu)
    std::atomic<std::uint64_t> _recorded{0};
    std::atomic<std::uint64_t> _dropped{0};
};

// What an instance traces, from its computation's config (config_settings).
struct trace_settings {
    // One record in this many that have no traced parent starts a trace;
    // 0: none does (records under a traced parent are still traced).
    // Default default_trace_sample_one_in; fixed at start.
    std::uint32_t sample_one_in = default_trace_sample_one_in;
    // Records with one of these keys always start a trace. Default none.
    std::set<std::string, std::less<>> keys;
};

// The per-instance sampler and id source. Owned by the producer; the task,
// the producer and (with their own span_ids) the executor's transports use it.
class tracer {
public:
    // Off (nothing sampled, no buffer) until configure().
    tracer() : _ids(0) {}
    // `spans` may be null: contexts travel but no span is kept (the embedded runtime).
    void configure(const trace_settings& settings, span_buffer* spans, std::uint64_t seed);

    // Whether a record with no traced parent starts a trace. Inline and cheap:
    // one decrement for an unsampled record, plus a lookup with trace keys.
    [[nodiscard]] bool sample(std::string_view key) {
        if (_countdown != 0 && --_countdown == 0) [[unlikely]] {
            _countdown = next_gap();
            return true;
        }
        return !_keys.empty() && _keys.contains(key);
    }
    [[nodiscard]] span_ids& ids() { return _ids; }
    void record(span s) {
        if (_spans != nullptr) {
            _spans->record(std::move(s));
        }
    }
    [[nodiscard]] span_buffer* spans() const { return _spans; }

private:
    [[nodiscard]] std::uint64_t next_gap();

    std::uint64_t _countdown = 0;  // records until the next sampled one; 0: sampling off
    std::uint32_t _sample_one_in = 0;
    std::set<std::string, std::less<>> _keys;
    span_ids _ids;
    span_buffer* _spans = nullptr;
};

}  // namespace eddy::runtime
