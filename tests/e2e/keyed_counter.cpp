// `keyed_counter`: counts records per key in keyed state and produces, for
// every record, the key's running count to the stream configured as `output`
// (default "counts"), as the value "<build> <key> <count>". The scale test
// builds it twice and updates v1 to v2 while data flows:
//
//   - v1 (state_version 1, the default) keeps the count as decimal text: "41";
//   - v2 (its manifest says `state_version: 2`) keeps it as "n=41" and turns
//     v1's text into that in `migrate_state`.
//
// v2 does not accept v1's format when it reads a count: a value that is not
// "n=<decimal>" is logged and counted from zero again, so a key group whose
// state reached v2 unmigrated (or migrated twice: "n=n=41") shows up in the
// sink as counts 1, 2, ... seen twice, which the test reports.

#include <eddy/computation.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#ifndef EDDY_KEYED_COUNTER_VERSION
#error "EDDY_KEYED_COUNTER_VERSION must name the build (1 or 2)"
#endif

namespace {

constexpr std::string_view count_name = "count";

// A whole string of decimal digits as a number, or nullopt.
std::optional<std::int64_t> parse_decimal(std::string_view text) {
    std::int64_t n = 0;
    const auto* end = text.data() + text.size();
    const auto [at, error] = std::from_chars(text.data(), end, n);
    if (text.empty() || error != std::errc() || at != end || n < 0) {
        return std::nullopt;
    }
    return n;
}

#if EDDY_KEYED_COUNTER_VERSION == 1

constexpr std::string_view build = "v1";

std::optional<std::int64_t> decode(std::string_view stored) {
    return parse_decimal(stored);
}
std::string encode(std::int64_t n) {
    return std::to_string(n);
}

#elif EDDY_KEYED_COUNTER_VERSION == 2

constexpr std::string_view build = "v2";
constexpr std::string_view v2_prefix = "n=";

std::optional<std::int64_t> decode(std::string_view stored) {
    if (!stored.starts_with(v2_prefix)) {
        return std::nullopt;
    }
    return parse_decimal(stored.substr(v2_prefix.size()));
}
std::string encode(std::int64_t n) {
    return std::string(v2_prefix) + std::to_string(n);
}

#else
#error "EDDY_KEYED_COUNTER_VERSION must be 1 or 2"
#endif

class keyed_counter final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "counter"}; }

    void init(eddy::context& ctx) override {
        _output = std::string(ctx.config("output").value_or("counts"));
    }

    void process_record(eddy::context& ctx, const eddy::record& r) override {
        std::int64_t n = 0;
        if (const auto stored = ctx.get(count_name)) {
            if (const auto decoded = decode(*stored)) {
                n = *decoded;
            } else {
                ctx.log(eddy::log_level::error, std::string(build) + ": count of key '" +
                                                    std::string(r.key) +
                                                    "' is not in this build's format: '" + *stored +
                                                    "'; counting from 0 again");
            }
        }
        ++n;
        ctx.put(count_name, encode(n));
        std::string value(build);
        value.append(" ").append(r.key).append(" ").append(std::to_string(n));
        ctx.produce(_output, r.key, value, r.time);
    }

#if EDDY_KEYED_COUNTER_VERSION == 2
    // v1 wrote the count as plain decimal text; anything else is kept as it
    // was (and then reported by `process_record` when it is read).
    std::optional<std::string> migrate_state(std::uint32_t from_version, std::string_view key,
                                             std::string_view name,
                                             std::string_view value) override {
        (void)key;
        if (from_version == 1 && name == count_name) {
            if (const auto n = parse_decimal(value)) {
                return encode(*n);
            }
        }
        return std::string(value);
    }
#endif

private:
    std::string _output;
};

}  // namespace

EDDY_EXPORT_COMPUTATION(keyed_counter)
