#pragma once

// A fixed-size log-linear histogram of non-negative integer latencies
// (microseconds here): exact below 128, then 64 buckets per power of two, so a
// percentile is off by less than 1.6% and the whole range of int64 fits in
// ~30 KB. Recording is a few instructions with no allocation, which matters
// because the sink records every record at several million per second.
// Single-threaded; the sink owns one.

#include <array>
#include <bit>
#include <cstdint>

namespace eddy::bench {

class latency_histogram {
public:
    void record(std::int64_t value) {
        const auto v = static_cast<std::uint64_t>(value < 0 ? 0 : value);
        ++_counts[index_of(v)];
        ++_total;
    }

    [[nodiscard]] std::uint64_t total() const { return _total; }

    // The smallest recorded bucket's upper bound such that at least `fraction`
    // of the values are at or below it (HdrHistogram's "highest equivalent
    // value": never understates a percentile). 0 when empty.
    [[nodiscard]] std::int64_t percentile(double fraction) const {
        if (_total == 0) {
            return 0;
        }
        auto wanted = static_cast<std::uint64_t>(fraction * static_cast<double>(_total) + 0.5);
        wanted = wanted == 0 ? 1 : wanted;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += _counts[i];
            if (seen >= wanted) {
                return highest_in(i);
            }
        }
        return highest_in(bucket_count - 1);
    }

private:
    static constexpr unsigned linear_bits = 7;  // values below 128 are exact
    static constexpr unsigned half = 1u << (linear_bits - 1);
    // Largest bit position is 63: (63 - 6) * 64 + 128 buckets.
    static constexpr std::size_t bucket_count = (64 - (linear_bits - 1)) * half + 2 * half;

    [[nodiscard]] static std::size_t index_of(std::uint64_t v) {
        if (v < (1u << linear_bits)) {
            return static_cast<std::size_t>(v);
        }
        const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
        const unsigned shift = msb - (linear_bits - 1);
        // v >> shift lies in [64, 128): the top 7 bits of v.
        return static_cast<std::size_t>(shift) * half + static_cast<std::size_t>(v >> shift);
    }

    [[nodiscard]] static std::int64_t highest_in(std::size_t index) {
        if (index < (1u << linear_bits)) {
            return static_cast<std::int64_t>(index);
        }
        const std::size_t shift = index / half - 1;
        const std::uint64_t top = index - shift * half;
        const std::uint64_t highest = ((top + 1) << shift) - 1;
        return highest > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX
                                                               : static_cast<std::int64_t>(highest);
    }

    std::array<std::uint64_t, bucket_count> _counts{};
    std::uint64_t _total = 0;
};

}  // namespace eddy::bench
