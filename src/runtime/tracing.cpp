#include "tracing.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

namespace eddy::runtime {

std::string_view to_string(span_kind kind) {
    switch (kind) {
        case span_kind::received:
            return "received";
        case span_kind::processed:
            return "processed";
        case span_kind::produced:
            return "produced";
        case span_kind::sent:
            return "sent";
    }
    return "unknown";
}

std::int64_t system_micros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::uint64_t random_seed() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32U) ^ device() ^
           static_cast<std::uint64_t>(system_micros());
}

std::string to_hex(std::span<const std::byte> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const auto b = static_cast<unsigned>(bytes[i]);
        out[2 * i] = digits[b >> 4U];
        out[2 * i + 1] = digits[b & 0xFU];
    }
    return out;
}

bool is_zero(const span_id& id) {
    return std::all_of(id.begin(), id.end(), [](std::byte b) { return b == std::byte{0}; });
}

span_ids::span_ids(std::uint64_t seed) : _state(seed) {}

span_id span_ids::next_span() {
    std::uint64_t bits = next();
    while (bits == 0) {
        bits = next();
    }
    span_id id;
    std::memcpy(id.data(), &bits, id.size());
    return id;
}

trace_id span_ids::next_trace() {
    trace_id id;
    const std::uint64_t high = next();
    const std::uint64_t low = next() | 1U;  // never all zero
    std::memcpy(id.data(), &high, 8);
    std::memcpy(id.data() + 8, &low, 8);
    return id;
}

void span_buffer::record(span s) {
    std::lock_guard lock(_mu);
    if (_spans.size() >= _capacity) {
        _dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    _spans.push_back(std::move(s));
    _recorded.fetch_add(1, std::memory_order_relaxed);
}

std::vector<span> span_buffer::drain() {
    std::vector<span> taken;
    std::lock_guard lock(_mu);
    taken.swap(_spans);
    return taken;
}

void tracer::configure(const trace_settings& settings, span_buffer* spans, std::uint64_t seed) {
    _sample_one_in = settings.sample_one_in;
    _keys = settings.keys;
    _ids = span_ids(seed);
    _spans = spans;
    _countdown = _sample_one_in == 0 ? 0 : next_gap();
}

std::uint64_t tracer::next_gap() {
    // Uniform in [1, 2N-1]: mean N, and no lock-step with a periodic input.
    const std::uint64_t width = 2ULL * _sample_one_in - 1;
    return 1 + _ids.next() % width;
}

}  // namespace eddy::runtime
