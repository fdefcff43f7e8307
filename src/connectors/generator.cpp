#include "generator.hpp"

#include "options.hpp"
#include "sentences.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace eddy::connectors {

namespace {

constexpr std::uint64_t max_value_size = 1 << 20;
// The shortest wait between two polls of a paced generator (context::poll_again_at).
constexpr time_micros poll_spacing_us = 100;
// 64 characters, so that six random bits pick one uniformly: one 64-bit draw
// makes ten characters (a generator must not be the slowest stage it tests).
constexpr std::string_view value_alphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
static_assert(value_alphabet.size() == 64);

// Every pair of alphabet characters, indexed by twelve bits (low six first):
// one lookup writes two characters, half the lookups of one per character.
// 8 KiB, which stays in the first-level cache.
constexpr auto alphabet_pairs = [] {
    std::array<std::array<char, 2>, 4096> pairs{};
    for (std::size_t bits = 0; bits < pairs.size(); ++bits) {
        pairs[bits] = {value_alphabet[bits & 63], value_alphabet[bits >> 6]};
    }
    return pairs;
}();

void make_random_record(const generator_options& options, xoshiro256& rng, generated_record& out) {
    char key[32] = "key-";
    const auto end = std::to_chars(key + 4, key + sizeof key, rng.below(options.keys)).ptr;
    out.key.assign(key, end);
    out.value.resize(options.value_size);
    char* value = out.value.data();
    std::size_t left = out.value.size();
    // Ten characters per 64-bit draw, six bits each, low bits first; the
    // last draw's unused characters are dropped (the values of a seed are
    // part of the generator's contract: see prng.hpp).
    for (; left >= 10; left -= 10, value += 10) {
        std::uint64_t bits = rng.next();
        for (int pair = 0; pair < 5; ++pair, bits >>= 12) {
            std::memcpy(value + 2 * pair, alphabet_pairs[bits & 4095].data(), 2);
        }
    }
    if (left > 0) {
        std::uint64_t bits = rng.next();
        for (std::size_t i = 0; i < left; ++i, bits >>= 6) {
            value[i] = value_alphabet[bits & 63];
        }
    }
}

}  // namespace

std::span<const std::string_view> generator_option_names() {
    static constexpr std::array<std::string_view, 13> names = {
        "name",       "stream",    "kind",      "rate",  "count",        "seed",         "keys",
        "value_size", "min_words", "max_words", "batch", "time_step_us", "start_time_us"};
    return names;
}

generator_options read_generator_options(const option_reader& reader, generator_options defaults) {
    generator_options o = std::move(defaults);
    if (auto kind = reader.one_of("kind", {"random", "sentences"})) {
        o.kind = *kind == "random" ? generator_kind::random : generator_kind::sentences;
    }
    o.rate = reader.non_negative("rate").value_or(o.rate);
    o.count = reader.unsigned_integer("count").value_or(o.count);
    o.seed = reader.unsigned_integer("seed").value_or(o.seed);
    o.keys = reader.unsigned_integer("keys").value_or(o.keys);
    o.value_size = reader.unsigned_integer("value_size").value_or(o.value_size);
    o.min_words = reader.unsigned_integer("min_words").value_or(o.min_words);
    o.max_words = reader.unsigned_integer("max_words").value_or(o.max_words);
    o.batch = reader.unsigned_integer("batch").value_or(o.batch);
    o.time_step_us = reader.integer("time_step_us").value_or(o.time_step_us);
    if (auto start = reader.integer("start_time_us")) {
        o.start_time_us = *start;
    }

    auto invalid = [&](std::string_view what) {
        throw std::invalid_argument(fmt::format("{}: {}", reader.owner(), what));
    };
    if (o.keys == 0) {
        invalid("option 'keys' must be at least 1");
    }
    if (o.value_size > max_value_size) {
        invalid(fmt::format("option 'value_size' must be at most {}", max_value_size));
    }
    if (o.min_words == 0 || o.min_words > o.max_words) {
        invalid(
            fmt::format("options 'min_words' ({}) and 'max_words' ({}) need "
                        "1 <= min_words <= max_words",
                        o.min_words, o.max_words));
    }
    if (o.batch == 0) {
        invalid("option 'batch' must be at least 1");
    }
    if (o.time_step_us < 0) {
        invalid("option 'time_step_us' must be >= 0");
    }
    return o;
}

generator::generator(generator_options options) : _options(std::move(options)) {}

namespace {
// The state (under the empty key, which a poll is bound to) holding how far
// the generator got: records produced and the random generator's state.
constexpr std::string_view position_state = "generator.position";
}  // namespace

generator::generator(generator_options options, record_maker maker)
    : _options(std::move(options)), _maker(std::move(maker)) {}

eddy::metadata generator::metadata() const {
    return {.name = _options.name, .inputs = {}, .outputs = {_options.stream}};
}

void generator::init(context& ctx) {
    auto reader = option_reader::of(ctx, _options.name);
    reader.require_unchanged("name", _options.name);
    reader.require_unchanged("stream", _options.stream);
    _options = read_generator_options(reader, std::move(_options));
    const auto index = ctx.instance_index();
    _rng = xoshiro256(index == 0 ? _options.seed : derive_seed(_options.seed, index));
    _produced = 0;
    _first_poll.reset();
    // In the durable modes the position survives a restart: go on from it
    // (the records are a pure function of the seed, so these are the ones
    // the first run would have made next).
    if (const auto saved = ctx.get(position_state)) {
        std::array<std::uint64_t, 4> words{};
        std::istringstream in(*saved);
        in >> _produced >> words[0] >> words[1] >> words[2] >> words[3];
        if (!in) {
            throw std::runtime_error(
                fmt::format("{}: saved position '{}' does not parse", _options.name, *saved));
        }
        _rng = xoshiro256::from_state(words);
    }
    _initialized = true;
}

std::uint64_t generator::allowed_now(time_micros now) const {
    if (_options.rate <= 0) {
        return UINT64_MAX;
    }
    // Records due by `now`: floor(elapsed seconds * rate). A generator that
    // fell behind (a stalled process) catches up, at most `batch` per poll.
    const auto elapsed = static_cast<double>(std::max<time_micros>(0, now - *_first_poll));
    const double due = std::floor(elapsed * _options.rate / 1e6);
    return due >= 1.8e19 ? UINT64_MAX : _produced_at_first_poll + static_cast<std::uint64_t>(due);
}

poll_status generator::poll(context& ctx) {
    if (!_initialized) {
        throw std::logic_error(fmt::format("{}: poll before init", _options.name));
    }
    if (_options.count > 0 && _produced >= _options.count) {
        return poll_status::finished;
    }
    const time_micros now = ctx.processing_time();
    if (!_first_poll) {
        _first_poll = now;
        _produced_at_first_poll = _produced;
        if (_options.time_step_us > 0 && !_options.start_time_us) {
            _options.start_time_us = now;
        }
    }
    std::uint64_t budget = _options.batch;
    if (_options.count > 0) {
        budget = std::min(budget, _options.count - _produced);
    }
    const std::uint64_t allowed = allowed_now(now);
    if (allowed <= _produced) {
        // Polled again when the next record is due, but not sooner than
        // poll_spacing: at a high rate the records of that while leave
        // together, a batch's worth rather than one per poll.
        const double next_due_us =
            static_cast<double>(_produced - _produced_at_first_poll + 1) * 1e6 / _options.rate;
        const auto due = *_first_poll + static_cast<time_micros>(std::ceil(next_due_us));
        ctx.poll_again_at(std::max(due, now + poll_spacing_us));
        return poll_status::idle;
    }
    budget = std::min(budget, allowed - _produced);

    for (std::uint64_t i = 0; i < budget; ++i) {
        const std::uint64_t index = _produced;
        generated_record& r = _made;
        r.time.reset();
        make_record(index, _rng, r);
        time_micros time = now;
        if (r.time) {
            time = *r.time;
        } else if (_options.time_step_us > 0) {
            time =
                *_options.start_time_us + static_cast<time_micros>(index) * _options.time_step_us;
        }
        ctx.produce(_options.stream, r.key, r.value, time);
        ++_produced;
    }
    const auto words = _rng.state();
    ctx.put(position_state,
            fmt::format("{} {} {} {} {}", _produced, words[0], words[1], words[2], words[3]));
    // Even when the count is reached, report `produced`: the next poll says finished.
    return poll_status::produced;
}

void generator::make_record(std::uint64_t index, xoshiro256& rng, generated_record& out) {
    if (_maker) {
        out = _maker(index, rng);
        return;
    }
    switch (_options.kind) {
        case generator_kind::random:
            make_random_record(_options, rng, out);
            return;
        case generator_kind::sentences:
            out.key.clear();
            fmt::format_to(std::back_inserter(out.key), "{}", index);
            out.value = make_sentence(rng, _options.min_words, _options.max_words);
            return;
    }
    throw std::logic_error("generator: unknown kind");
}

}  // namespace eddy::connectors
