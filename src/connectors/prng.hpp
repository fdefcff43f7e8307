#pragma once

// Deterministic pseudo-random numbers for synthetic data. The sequences are
// part of the contract: the same seed gives the same records on every
// platform and standard library, so tests can compute expected results from a
// seed. (std::uniform_int_distribution and friends are implementation-defined;
// nothing here uses them.)

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace eddy::connectors {

// splitmix64: a 64-bit mixer, used to expand a seed into a xoshiro state and
// to derive independent seeds (per instance, per purpose) from one seed.
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) {
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Mixes `salt` into `seed`: a different, reproducible seed for a sub-stream.
[[nodiscard]] constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t salt) {
    std::uint64_t state = seed ^ (salt * 0xd1342543de82ef95ULL);
    return splitmix64(state);
}

// xoshiro256**: fast, 256 bits of state, good statistical quality. A value
// type: copy it to fork a sequence. Not thread-safe; one per generator.
class xoshiro256 {
public:
    explicit constexpr xoshiro256(std::uint64_t seed) {
        std::uint64_t expander = seed;
        for (auto& word : _state) {
            word = splitmix64(expander);
        }
    }

    // The whole generator state, to save and restore (a source's position).
    [[nodiscard]] constexpr std::array<std::uint64_t, 4> state() const {
        return {_state[0], _state[1], _state[2], _state[3]};
    }
    [[nodiscard]] static constexpr xoshiro256 from_state(
        const std::array<std::uint64_t, 4>& words) {
        xoshiro256 restored(0);
        for (std::size_t i = 0; i < 4; ++i) {
            restored._state[i] = words[i];
        }
        return restored;
    }

    [[nodiscard]] constexpr std::uint64_t next() {
        const std::uint64_t result = rotl(_state[1] * 5, 7) * 9;
        const std::uint64_t t = _state[1] << 17;
        _state[2] ^= _state[0];
        _state[3] ^= _state[1];
        _state[1] ^= _state[2];
        _state[0] ^= _state[3];
        _state[2] ^= t;
        _state[3] = rotl(_state[3], 45);
        return result;
    }

    // Uniform in [0, bound), without modulo bias (Lemire's multiply-and-reject).
    // `bound` must be > 0.
    [[nodiscard]] constexpr std::uint64_t below(std::uint64_t bound) {
        unsigned __int128 product = static_cast<unsigned __int128>(next()) * bound;
        auto low = static_cast<std::uint64_t>(product);
        if (low < bound) {
            const std::uint64_t threshold = (0 - bound) % bound;
            while (low < threshold) {
                product = static_cast<unsigned __int128>(next()) * bound;
                low = static_cast<std::uint64_t>(product);
            }
        }
        return static_cast<std::uint64_t>(product >> 64);
    }

    // Uniform in [low, high], inclusive; requires low <= high.
    [[nodiscard]] constexpr std::uint64_t between(std::uint64_t low, std::uint64_t high) {
        return low + below(high - low + 1);
    }

    // True with probability `per_million` / 1'000'000, decided in integers so
    // the outcome never depends on floating-point rounding.
    [[nodiscard]] constexpr bool chance(std::uint64_t per_million) {
        return below(1'000'000) < per_million;
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) {
        return (x << k) | (x >> (64 - k));
    }

    std::uint64_t _state[4]{};
};

// A skewed choice among n items: item i has weight ~ 1/(i+1) (Zipf, s = 1),
// with integer weights so draws are exact. Immutable after construction.
class zipf_table {
public:
    explicit zipf_table(std::size_t items) {
        std::uint64_t total = 0;
        _cumulative.reserve(items);
        for (std::size_t i = 0; i < items; ++i) {
            total += 1'000'000 / (i + 1);
            _cumulative.push_back(total);
        }
    }

    // An index in [0, items); requires items > 0.
    [[nodiscard]] std::size_t draw(xoshiro256& rng) const {
        const std::uint64_t ticket = rng.below(_cumulative.back());
        return static_cast<std::size_t>(
            std::upper_bound(_cumulative.begin(), _cumulative.end(), ticket) - _cumulative.begin());
    }

private:
    std::vector<std::uint64_t> _cumulative;
};

}  // namespace eddy::connectors
