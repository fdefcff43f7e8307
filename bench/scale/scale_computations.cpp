// The computations scale_bench deploys, loaded by class name from this MODULE:
//
//   - `key_source`: produces records on a fixed list of keys, in turn, at a
//     fixed rate: the steady trickle that keeps the moved key groups busy.
//   - `ballast`: keyed; gives each key it sees `state_bytes` of state (the
//     first record of a key writes it, as `value_bytes` values of random
//     bytes), then on every record checks one of those values and reports
//     what it found to `output`: "created", "kept", or "missing <n>". A key
//     group whose state did not move with it says "created" a second time.
//     With `report: off` it produces nothing; with `state_bytes: 0` it keeps
//     only a marker per key (the bench's twin with empty key groups).
//   - `relay`: the bystander's pass-through.
//   - `counting_sink`: the bystander's end; the runtime's records_in counter
//     is its figure.
//
// Threading: each instance is called by its own instance thread only.

#include <eddy/computation.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::uint64_t config_number(eddy::context& ctx, std::string_view name, std::uint64_t fallback) {
    const auto text = ctx.config(name);
    if (!text) {
        return fallback;
    }
    std::uint64_t value = 0;
    const auto* end = text->data() + text->size();
    const auto [at, error] = std::from_chars(text->data(), end, value);
    if (error != std::errc() || at != end) {
        throw std::invalid_argument("option '" + std::string(name) + "' is not a number: '" +
                                    std::string(*text) + "'");
    }
    return value;
}

std::string config_text(eddy::context& ctx, std::string_view name, std::string_view fallback) {
    return std::string(ctx.config(name).value_or(fallback));
}

// Produces to `stream` the keys of `keys` (comma-separated) in turn, `rate`
// records a second in all, each with its sequence number as the value. A
// source that falls behind catches up, at most `batch` records a poll. It
// keeps no position: after a restart it starts again from the first key.
class key_source final : public eddy::source {
public:
    eddy::metadata metadata() const override { return {.name = "key_source"}; }

    void init(eddy::context& ctx) override {
        _stream = config_text(ctx, "stream", "keyed");
        _rate = static_cast<double>(config_number(ctx, "rate", 100));
        _batch = std::max<std::uint64_t>(1, config_number(ctx, "batch", 64));
        const auto list = config_text(ctx, "keys", "");
        std::string_view rest = list;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            if (const auto key = rest.substr(0, comma); !key.empty()) {
                _keys.emplace_back(key);
            }
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
        if (_keys.empty() || _rate <= 0) {
            throw std::invalid_argument("key_source needs 'keys' (comma-separated) and a rate > 0");
        }
    }

    eddy::poll_status poll(eddy::context& ctx) override {
        const eddy::time_micros now = ctx.processing_time();
        if (!_first_poll) {
            _first_poll = now;
        }
        const double elapsed = static_cast<double>(now - *_first_poll) / 1e6;
        const auto due = static_cast<std::uint64_t>(std::floor(elapsed * _rate));
        if (due <= _made) {
            return eddy::poll_status::idle;
        }
        const auto until = std::min(due, _made + _batch);
        for (; _made < until; ++_made) {
            ctx.produce(_stream, _keys[_made % _keys.size()], std::to_string(_made), now);
        }
        return eddy::poll_status::produced;
    }

private:
    std::string _stream;
    double _rate = 0;
    std::uint64_t _batch = 0;
    std::vector<std::string> _keys;
    std::optional<eddy::time_micros> _first_poll;
    std::uint64_t _made = 0;
};

// Keyed ballast: see the file comment. State names: "size" (the number of
// values, as text, written last) and "part.<n>" for n below it.
class ballast final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "ballast"}; }

    void init(eddy::context& ctx) override {
        _output = config_text(ctx, "output", "checked");
        _report = config_text(ctx, "report", "on") != "off";
        const auto state_bytes = config_number(ctx, "state_bytes", 1 << 20);
        _value_bytes = std::max<std::uint64_t>(1, config_number(ctx, "value_bytes", 64 << 10));
        _values = (state_bytes + _value_bytes - 1) / _value_bytes;
    }

    void process_record(eddy::context& ctx, const eddy::record& r) override {
        if (!ctx.get(size_name)) {
            create(ctx, r.key);
            if (_report) {
                ctx.produce(_output, r.key, "created", r.time);
            }
            return;
        }
        if (_values == 0 || !_report) {
            return;
        }
        // The value checked is chosen by the record's sequence number, so
        // that over a run every value of every key is read back.
        std::uint64_t sequence = 0;
        (void)std::from_chars(r.value.data(), r.value.data() + r.value.size(), sequence);
        const auto n = sequence % _values;
        const auto part = ctx.get(part_name(n));
        const bool whole = part && part->size() == _value_bytes;
        ctx.produce(_output, r.key, whole ? "kept" : "missing " + std::to_string(n), r.time);
    }

private:
    static constexpr std::string_view size_name = "size";

    static std::string part_name(std::uint64_t n) { return "part." + std::to_string(n); }

    // Random bytes (xorshift64*, seeded from the key) so that no compression
    // on the way (RocksDB's, a handoff file's) makes the state smaller.
    void create(eddy::context& ctx, std::string_view key) {
        std::uint64_t x = 0x9e3779b97f4a7c15ULL;
        for (const char c : key) {
            x = (x ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
        }
        std::string value(_value_bytes, '\0');
        for (std::uint64_t n = 0; n < _values; ++n) {
            for (std::size_t i = 0; i < value.size(); i += 8) {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                const std::uint64_t word = x * 0x2545f4914f6cdd1dULL;
                for (std::size_t b = 0; b < 8 && i + b < value.size(); ++b) {
                    value[i + b] = static_cast<char>(word >> (8 * b));
                }
            }
            ctx.put(part_name(n), value);
        }
        ctx.put(size_name, std::to_string(_values));
    }

    std::string _output;
    std::uint64_t _value_bytes = 0;
    std::uint64_t _values = 0;
    bool _report = true;
};

// Sends every record on unchanged, key, value and event time, to `output`.
class relay final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "relay"}; }
    void init(eddy::context& ctx) override { _output = config_text(ctx, "output", "relayed"); }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        ctx.produce(_output, r.key, r.value, r.time);
    }

private:
    std::string _output;
};

// Takes what arrives and does nothing else.
class counting_sink final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "counting_sink"}; }
    void process_record(eddy::context&, const eddy::record&) override {}
};

}  // namespace

EDDY_EXPORT_COMPUTATION(key_source)
EDDY_EXPORT_COMPUTATION(ballast)
EDDY_EXPORT_COMPUTATION(relay)
EDDY_EXPORT_COMPUTATION(counting_sink)
