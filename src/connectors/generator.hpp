#pragma once

// `generator`: a source of synthetic records, for demos, tests and benchmarks.
//
// It makes records at a set rate (per second of the context's processing
// time, so a manual clock drives it in tests) or as fast as it is polled, up
// to an optional count, and the records are a pure function of the seed and
// the instance index: the same options give the same records, every run.
//
// Two kinds are built in (`random`, `sentences`); C++ code makes its own
// records by passing a `record_maker`, or by deriving and overriding
// `make_record`:
//
//     eddy::connectors::generator_options o{.name = "clicks", .stream = "clicks"};
//     auto maker = [](std::uint64_t i, eddy::connectors::xoshiro256& rng) {
//         return eddy::connectors::generated_record{
//             .key = fmt::format("user-{}", rng.below(100)), .value = std::to_string(i)};
//     };
//     topology.add([=] { return std::make_unique<eddy::connectors::generator>(o, maker); });
//
// Options given to the constructor are defaults; `init` overrides them with
// the context's configuration (names in docs/connectors.md), except `name`
// and `stream`, which shape the metadata and must be given at construction.

#include "prng.hpp"
#include <eddy/computation.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

namespace eddy::connectors {

class option_reader;

enum class generator_kind {
    random,     // key `key-<n>`, n < keys; value: `value_size` random [a-z0-9]
    sentences,  // key: the record's index; value: a line of words (see sentences.hpp)
};

struct generator_options {
    // Computation name. Default "generator". Fixed at construction.
    std::string name = "generator";
    // Stream the records go to. Default "records". Fixed at construction.
    std::string stream = "records";
    // What the records look like. Default random. Config `kind`.
    generator_kind kind = generator_kind::random;
    // Records per second per instance; 0 means as fast as polled. Default 0. Config `rate`.
    double rate = 0;
    // Records per instance, then `poll` reports finished; 0 means unbounded.
    // Default 0. Config `count`.
    std::uint64_t count = 0;
    // Seed of the instance-0 sequence; instance i uses derive_seed(seed, i). Default 1.
    std::uint64_t seed = 1;
    // Distinct keys of kind random. Default 1000. Config `keys`.
    std::uint64_t keys = 1000;
    // Value bytes of kind random. Default 16. Config `value_size`.
    std::uint64_t value_size = 16;
    // Words per line of kind sentences, inclusive. Default 3 and 12.
    std::uint64_t min_words = 3;
    std::uint64_t max_words = 12;
    // Most records made by one `poll`, so the runtime stays responsive. Default 256.
    std::uint64_t batch = 256;
    // If > 0, record i gets event time start_time + i * time_step_us (reproducible);
    // if 0, the processing time when it is made. Default 0. Config `time_step_us`.
    std::int64_t time_step_us = 0;
    // First event time with time_step_us > 0; unset means the processing time of
    // the first poll. Default unset. Config `start_time_us`.
    std::optional<std::int64_t> start_time_us;
};

// One record as a maker makes it; `time` unset means the generator's event time.
struct generated_record {
    std::string key;
    std::string value;
    std::optional<std::int64_t> time;
};

// Makes record `index` (0-based, per instance), drawing randomness only from
// `rng` so that the records are reproducible. Called on the instance's thread.
using record_maker = std::function<generated_record(std::uint64_t index, xoshiro256& rng)>;

// Reads every generator option from `reader` over `defaults`. Throws
// std::invalid_argument on a bad or inconsistent value.
[[nodiscard]] generator_options read_generator_options(const option_reader& reader,
                                                       generator_options defaults);

// The option names a generator understands (for docs and typo checks).
[[nodiscard]] std::span<const std::string_view> generator_option_names();

// Lifecycle: constructed (options are defaults) → metadata → init (reads the
// configuration, seeds the sequence) → poll until finished. Driven by one
// runtime thread at a time, like every computation.
class generator : public source {
public:
    explicit generator(generator_options options = {});
    // Records come from `maker`; the option `kind` is then ignored.
    generator(generator_options options, record_maker maker);

    [[nodiscard]] eddy::metadata metadata() const override;
    void init(context& ctx) override;
    [[nodiscard]] poll_status poll(context& ctx) override;

    // The options in force (after `init`, including the configuration).
    [[nodiscard]] const generator_options& options() const { return _options; }
    // Records made so far by this instance.
    [[nodiscard]] std::uint64_t produced() const { return _produced; }

protected:
    // Makes record `index` into `out`; by default from the maker or the kind.
    // `out` holds the record made before (its time reset to unset), so that
    // an override which assigns into its strings reuses their buffers and a
    // record costs no allocation.
    virtual void make_record(std::uint64_t index, xoshiro256& rng, generated_record& out);

private:
    [[nodiscard]] std::uint64_t allowed_now(time_micros now) const;

    generator_options _options;
    record_maker _maker;
    generated_record _made;  // the last record made; its buffers are reused
    xoshiro256 _rng{1};
    std::uint64_t _produced = 0;
    std::uint64_t _produced_at_first_poll = 0;  // a resumed run paces from here
    std::optional<time_micros> _first_poll;
    bool _initialized = false;
};

}  // namespace eddy::connectors
