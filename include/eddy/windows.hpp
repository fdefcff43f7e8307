#pragma once

// Event-time windows over keyed streams, built on keyed state and event-time
// timers: tumbling(size), sliding(size, slide) and session(gap) windows, an
// aggregation the computation supplies, allowed lateness, and a side output
// for records later than that.
//
//     #include <eddy/windows.hpp>
//
//     // Clicks per user in 10 s tumbling windows of event time; clicks up to
//     // 5 s late still count (and fire the window again, marked late).
//     class click_counter final : public eddy::computation {
//     public:
//         eddy::metadata metadata() const override {
//             return {.name = "click_counter",
//                     .inputs = {{"clicks", eddy::grouping::key}},
//                     .outputs = {"click_counts", "late_clicks"}};
//         }
//         void process_record(eddy::context& ctx, const eddy::record& r) override {
//             _counts.add(ctx, r, emit);
//         }
//         void process_timer(eddy::context& ctx, const eddy::timer& t) override {
//             _counts.fire(ctx, t, emit);
//         }
//
//     private:
//         static void emit(eddy::context& ctx, const eddy::windows::firing<std::int64_t>& f) {
//             const auto late = f.when == eddy::windows::timing::late ? " late" : "";
//             ctx.produce("click_counts", f.key, std::to_string(f.value) + late, f.window.end);
//         }
//         eddy::windows::tumbling<eddy::windows::count> _counts{
//             {.size = std::chrono::seconds(10),
//              .allowed_lateness = std::chrono::seconds(5),
//              .late_stream = "late_clicks"}};
//     };
//
// src/runtime/tests/windows_test.cpp compiles this example.
//
// Semantics (those of Flink and Beam, with eddy's watermark: "no record older
// than the watermark will arrive"):
// - A window is [start, end) in microseconds of event time (`record::time`).
//   Tumbling windows start at multiples of `size`; sliding ones at multiples
//   of `slide`, each `size` long, so a record is in about size/slide of them;
//   a session is the span of a key's records closer than `gap` to the next,
//   ending `gap` after its last record.
// - On-time firing: when the watermark reaches the window's end, `fire`
//   calls `emit(ctx, firing)` with the key, the window and its accumulator.
//   Firings accumulate: each carries everything the window has seen so far.
// - Late firing: a record for a window whose end the watermark has passed,
//   but not end + `allowed_lateness`, updates the window and `add` calls
//   `emit` at once, marked `timing::late`. A session that such a record
//   extends past the watermark fires (late) when the watermark reaches its
//   new end.
// - Once the watermark reaches end + allowed_lateness the window's state is
//   dropped. A record that no live window will take is "too late": it is
//   produced unchanged (key, value, time) to `late_stream` if one is named,
//   and counted (`too_late()`).
// - Give what `emit` produces the time `f.window.end`, as the example does:
//   that is the time of the window's timer, which holds the computation's
//   output watermark, so on-time results are never late downstream.
//
// State and timers, per key (they live wherever the key lives, and are as
// durable as the instance's state store):
// - tumbling, sliding: state `<name>/<start>` per open window; its timer's
//   tag is the same string.
// - session: state `<name>` holds every open session of the key; a session's
//   timer tag is `<name>/<start>`.
// One event-time timer per window: first at its end (firing), then, set
// again with the same tag (so replacing it), at end + allowed_lateness
// (cleanup). The tag identifies the window. `name` (default "window") keeps
// two window sets of one computation apart; other state and timer names of
// the computation must not start with `<name>/`. Pending cleanup timers hold
// the computation's output watermark back by up to `allowed_lateness`.
//
// Aggregations: a type with `accumulator` (default-constructible: the empty
// window), `add(accumulator&, const record&)`, and for sessions
// `merge(accumulator& into, const accumulator& from)`; `count` is one.
// Accumulators are kept in state through `codec<accumulator>`, defined for
// std::string and trivially copyable types (their bytes as in memory, in
// this machine's byte order); an aggregation may instead define
// `std::string encode(const accumulator&)` and
// `accumulator decode(std::string_view)`, which may throw on bytes it cannot
// read.
//
// Threading: a window set belongs to one computation instance, used from its
// callbacks only (as the context is). `add` and `fire` may throw what the
// aggregation or `emit` throws; the executor catches it as any user failure.

#include <eddy/context.hpp>
#include <eddy/record.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace eddy::windows {

// [start, end) in microseconds of event time.
struct window {
    time_micros start = 0;
    time_micros end = 0;

    [[nodiscard]] constexpr bool contains(time_micros t) const { return start <= t && t < end; }
    friend constexpr bool operator==(const window&, const window&) = default;
};

// Why a window fires.
enum class timing {
    on_time,  // the watermark reached the window's end
    late,     // a record came after that (within allowed lateness)
};

// What `add` did with a record.
enum class admission {
    on_time,   // added; its windows fire when the watermark reaches their end
    late,      // added to a window whose end the watermark had passed: it fired at once
    too_late,  // no live window takes it: sent to the late stream, counted
};

// One firing of one window, handed to `emit`. The reference and view are
// valid during the call only.
template <class Accumulator>
struct firing {
    std::string_view key;  // the key the window belongs to
    eddy::windows::window window;
    const Accumulator& value;  // everything the window has seen so far
    timing when = timing::on_time;
};

// How an accumulator is kept in state. Specialise for a type of your own, or
// give the aggregation `encode` and `decode`.
template <class T>
struct codec;

template <class T>
requires std::is_trivially_copyable_v<T>
struct codec<T> {
    static std::string encode(const T& value) {
        return std::string(reinterpret_cast<const char*>(&value), sizeof(T));
    }
    static T decode(std::string_view bytes) {
        if (bytes.size() != sizeof(T)) {
            throw std::invalid_argument("eddy::windows: an accumulator in state has " +
                                        std::to_string(bytes.size()) + " bytes, expected " +
                                        std::to_string(sizeof(T)));
        }
        T value;
        std::memcpy(&value, bytes.data(), sizeof(T));
        return value;
    }
};

template <>
struct codec<std::string> {
    static std::string encode(const std::string& value) { return value; }
    static std::string decode(std::string_view bytes) { return std::string(bytes); }
};

// An aggregation of records into an accumulator (see the overview).
template <class A>
concept aggregation = std::default_initializable<typename A::accumulator> &&
    requires(const A& agg, typename A::accumulator& acc, const record& r) {
    agg.add(acc, r);
};

// An aggregation whose accumulators can be merged, as sessions need.
template <class A>
concept merging_aggregation = aggregation<A> &&
    requires(const A& agg, typename A::accumulator& into, const typename A::accumulator& from) {
    agg.merge(into, from);
};

// `emit(ctx, firing)`: what a window set calls with each firing.
template <class Emit, class Accumulator>
concept emitter = requires(Emit& emit, context& ctx, const firing<Accumulator>& f) {
    emit(ctx, f);
};

// Counts records: accumulator int64.
struct count {
    using accumulator = std::int64_t;
    void add(accumulator& n, const record& r) const {
        (void)r;
        ++n;
    }
    void merge(accumulator& into, const accumulator& from) const { into += from; }
};

struct tumbling_options {
    // Window length; must be above 0. No default; fixed at construction.
    std::chrono::microseconds size{0};
    // How long after a window's end late records still update it. Default 0;
    // fixed at construction.
    std::chrono::microseconds allowed_lateness{0};
    // Where records later than that go (must be an output of the
    // computation); empty: they are only counted. Default empty; fixed at
    // construction.
    std::string late_stream;
    // Prefix of the state names and timer tags; not empty. Default "window";
    // fixed at construction.
    std::string name = "window";
};

struct sliding_options {
    // Window length; must be above 0. No default; fixed at construction.
    std::chrono::microseconds size{0};
    // Distance between window starts; above 0, at most `size`. No default;
    // fixed at construction.
    std::chrono::microseconds slide{0};
    // As in tumbling_options (defaults 0, empty, "window"; fixed).
    std::chrono::microseconds allowed_lateness{0};
    std::string late_stream;
    std::string name = "window";
};

struct session_options {
    // Records closer than this share a session, which ends `gap` after its
    // last record; must be above 0. No default; fixed at construction.
    std::chrono::microseconds gap{0};
    // As in tumbling_options (defaults 0, empty, "window"; fixed).
    std::chrono::microseconds allowed_lateness{0};
    std::string late_stream;
    std::string name = "window";
};

namespace detail {

// a + b for b >= 0, stopping at max_time.
[[nodiscard]] constexpr time_micros add_saturated(time_micros a, time_micros b) {
    return a > max_time - b ? max_time : a + b;
}

// The largest multiple of `step` (> 0) not above t, also for negative t.
[[nodiscard]] constexpr time_micros floor_to(time_micros t, time_micros step) {
    const time_micros rest = t % step;
    return rest < 0 ? t - rest - step : t - rest;
}

[[nodiscard]] inline std::string tag_of(std::string_view name, time_micros start) {
    std::string tag(name);
    tag += '/';
    tag += std::to_string(start);
    return tag;
}

// The window start in a tag made by `tag_of(name, start)`, or nullopt if the
// tag is not one of this window set's.
[[nodiscard]] inline std::optional<time_micros> start_of(std::string_view name,
                                                         std::string_view tag) {
    if (tag.size() <= name.size() + 1 || !tag.starts_with(name) || tag[name.size()] != '/') {
        return std::nullopt;
    }
    const char* first = tag.data() + name.size() + 1;
    const char* last = tag.data() + tag.size();
    time_micros start = 0;
    const auto [end, error] = std::from_chars(first, last, start);
    if (error != std::errc() || end != last) {
        return std::nullopt;
    }
    return start;
}

inline void check_options(std::string_view kind, std::chrono::microseconds length,
                          std::chrono::microseconds lateness, std::string_view name) {
    const auto fail = [&](std::string_view what) {
        throw std::invalid_argument("eddy::windows::" + std::string(kind) + " '" +
                                    std::string(name) + "': " + std::string(what));
    };
    if (length.count() <= 0) {
        fail(kind == "session" ? "gap must be above 0" : "size must be above 0");
    }
    if (lateness.count() < 0) {
        fail("allowed_lateness must not be negative");
    }
    if (name.empty()) {
        fail("name must not be empty");
    }
}

template <class A>
[[nodiscard]] std::string encode(const A& agg, const typename A::accumulator& value) {
    if constexpr (requires { agg.encode(value); }) {
        return agg.encode(value);
    } else {
        return codec<typename A::accumulator>::encode(value);
    }
}

template <class A>
[[nodiscard]] typename A::accumulator decode(const A& agg, std::string_view bytes) {
    if constexpr (requires { agg.decode(bytes); }) {
        return agg.decode(bytes);
    } else {
        return codec<typename A::accumulator>::decode(bytes);
    }
}

// The bytes of window state: fixed-width little-endian integers and byte
// strings, appended to a buffer and read back in order.
inline void append_int(std::string& buffer, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) {
        buffer += static_cast<char>((value >> (8 * i)) & 0xff);
    }
}

class byte_reader {
public:
    explicit byte_reader(std::string_view bytes) : _rest(bytes) {}

    [[nodiscard]] std::uint64_t take_int(int bytes) {
        const auto taken = take(static_cast<std::size_t>(bytes));
        std::uint64_t value = 0;
        for (int i = 0; i < bytes; ++i) {
            value |= static_cast<std::uint64_t>(static_cast<unsigned char>(taken[i])) << (8 * i);
        }
        return value;
    }
    [[nodiscard]] std::string_view take(std::size_t bytes) {
        if (_rest.size() < bytes) {
            throw std::invalid_argument("eddy::windows: window state is truncated");
        }
        const auto taken = _rest.substr(0, bytes);
        _rest.remove_prefix(bytes);
        return taken;
    }
    [[nodiscard]] std::string_view rest() const { return _rest; }

private:
    std::string_view _rest;
};

// One window's state: whether it fired, whether it changed since, its value.
template <class Accumulator>
struct pane {
    eddy::windows::window window;
    bool fired = false;
    bool pending = false;
    Accumulator value{};
};

enum : std::uint8_t { fired_bit = 1, pending_bit = 2 };

// A pane in state: one flags byte, then the encoded accumulator.
template <class A>
[[nodiscard]] std::string encode_pane(const A& agg, const pane<typename A::accumulator>& p) {
    std::string bytes;
    append_int(bytes, (p.fired ? fired_bit : 0) | (p.pending ? pending_bit : 0), 1);
    bytes += encode(agg, p.value);
    return bytes;
}

template <class A>
[[nodiscard]] pane<typename A::accumulator> decode_pane(std::string_view bytes, const A& agg,
                                                        window w) {
    byte_reader in(bytes);
    const auto flags = in.take_int(1);
    return {w, (flags & fired_bit) != 0, (flags & pending_bit) != 0, decode(agg, in.rest())};
}

// Where too-late records go: produced unchanged to the late stream (if
// named) and counted.
class late_records {
public:
    explicit late_records(std::string stream) : _stream(std::move(stream)) {}

    void reject(context& ctx, const record& r) {
        ++_count;
        if (!_stream.empty()) {
            ctx.produce(_stream, r.key, r.value, r.time);
        }
    }
    [[nodiscard]] std::uint64_t count() const { return _count; }

private:
    std::string _stream;
    std::uint64_t _count = 0;
};

// What tumbling and sliding windows share: windows aligned to multiples of
// `slide`, each `size` long, one state value and one timer per window.
template <aggregation A>
class aligned_windows {
public:
    using accumulator = typename A::accumulator;

    // Adds `r` to each of its windows still live (end + allowed lateness
    // above the watermark); fires at once, late, those whose end the
    // watermark has passed; sends `r` to the late stream if none is live.
    // Acts on the state of `r.key`, which must be the current key (as in
    // process_record).
    template <emitter<accumulator> Emit>
    admission add(context& ctx, const record& r, Emit&& emit) {
        const time_micros watermark = ctx.watermark();
        bool taken = false;
        bool late = false;
        for (time_micros start = floor_to(r.time, _slide); add_saturated(start, _size) > r.time;
             start -= _slide) {
            const window w{start, add_saturated(start, _size)};
            if (add_saturated(w.end, _lateness) > watermark) {
                taken = true;
                late |= add_to(ctx, r, w, emit);
            }
            if (start < min_time + _slide) {
                break;
            }
        }
        if (!taken) {
            _late.reject(ctx, r);
            return admission::too_late;
        }
        return late ? admission::late : admission::on_time;
    }

    // Handles `t` if it is one of this window set's timers (its tag starts
    // with `<name>/`): fires the window if it changed since it last fired,
    // then drops it or waits for the end of its lateness. `t.key` must be
    // the current key (as in process_timer). Returns false for other
    // timers, which the computation handles itself.
    template <emitter<accumulator> Emit>
    bool fire(context& ctx, const timer& t, Emit&& emit) {
        const auto start = start_of(_name, t.tag);
        if (t.domain != time_domain::event_time || !start) {
            return false;
        }
        const auto stored = ctx.get(t.tag);
        const window w{*start, add_saturated(*start, _size)};
        if (!stored || t.time < w.end) {
            return true;  // a window already dropped
        }
        auto p = decode_pane(*stored, _aggregation, w);
        if (p.pending) {
            emit(ctx,
                 firing<accumulator>{t.key, w, p.value, p.fired ? timing::late : timing::on_time});
            p.fired = true;
            p.pending = false;
        }
        const time_micros horizon = add_saturated(w.end, _lateness);
        if (std::max(t.time, ctx.watermark()) >= horizon) {
            ctx.erase(t.tag);
        } else {
            ctx.put(t.tag, encode_pane(_aggregation, p));
            ctx.set_timer(t.key, horizon, time_domain::event_time, t.tag);
        }
        return true;
    }

    // Records no live window would take, since this object was made.
    [[nodiscard]] std::uint64_t too_late() const { return _late.count(); }

protected:
    aligned_windows(std::string_view kind, sliding_options options, A aggregation)
        : _size(options.size.count()),
          _slide(options.slide.count()),
          _lateness(options.allowed_lateness.count()),
          _late(std::move(options.late_stream)),
          _name(std::move(options.name)),
          _aggregation(std::move(aggregation)) {
        check_options(kind, options.size, options.allowed_lateness, _name);
        if (_slide <= 0 || _slide > _size) {
            throw std::invalid_argument("eddy::windows::sliding '" + _name +
                                        "': slide must be above 0 and at most size");
        }
    }

private:
    // Adds `r` to `w`; true if that fired it (late).
    template <class Emit>
    bool add_to(context& ctx, const record& r, const window& w, Emit& emit) {
        const std::string tag = tag_of(_name, w.start);
        const auto stored = ctx.get(tag);
        auto p = stored ? decode_pane(*stored, _aggregation, w) : pane<accumulator>{w};
        _aggregation.add(p.value, r);
        const bool complete = w.end <= ctx.watermark();
        if (complete) {
            emit(ctx, firing<accumulator>{r.key, w, p.value, timing::late});
            if (!p.fired) {
                ctx.set_timer(r.key, add_saturated(w.end, _lateness), time_domain::event_time, tag);
            }
            p.fired = true;
            p.pending = false;
        } else {
            if (!stored) {
                ctx.set_timer(r.key, w.end, time_domain::event_time, tag);
            }
            p.pending = true;
        }
        ctx.put(tag, encode_pane(_aggregation, p));
        return complete;
    }

    time_micros _size;
    time_micros _slide;
    time_micros _lateness;
    late_records _late;
    std::string _name;
    A _aggregation;
};

}  // namespace detail

// Tumbling windows: [k·size, (k+1)·size), one per record. Throws
// std::invalid_argument on invalid options. `add`, `fire` and `too_late` are
// aligned_windows' above.
template <aggregation A>
class tumbling : public detail::aligned_windows<A> {
public:
    explicit tumbling(tumbling_options options, A aggregation = {})
        : detail::aligned_windows<A>("tumbling",
                                     {.size = options.size,
                                      .slide = options.size,
                                      .allowed_lateness = options.allowed_lateness,
                                      .late_stream = std::move(options.late_stream),
                                      .name = std::move(options.name)},
                                     std::move(aggregation)) {}
};

// Sliding windows: [k·slide, k·slide + size), each record in every window
// that contains it. Throws std::invalid_argument on invalid options. `add`,
// `fire` and `too_late` are aligned_windows' above.
template <aggregation A>
class sliding : public detail::aligned_windows<A> {
public:
    explicit sliding(sliding_options options, A aggregation = {})
        : detail::aligned_windows<A>("sliding", std::move(options), std::move(aggregation)) {}
};

// Session windows: a key's records closer than `gap` to the next share a
// session [first record, last record + gap). A record that bridges two
// sessions merges them into one (accumulators merged in start order, then the
// record added), which fires at the merged end. Throws std::invalid_argument
// on invalid options.
template <merging_aggregation A>
class session {
public:
    using accumulator = typename A::accumulator;

    explicit session(session_options options, A aggregation = {})
        : _gap(options.gap.count()),
          _lateness(options.allowed_lateness.count()),
          _late(std::move(options.late_stream)),
          _name(std::move(options.name)),
          _aggregation(std::move(aggregation)) {
        detail::check_options("session", options.gap, options.allowed_lateness, _name);
    }

    // Adds `r` to its session, opening, extending or merging sessions of
    // `r.key` (the current key, as in process_record); fires it at once
    // (late) if the watermark has passed its end. Sends `r` to the late
    // stream if the watermark has passed that end + allowed lateness.
    template <emitter<accumulator> Emit>
    admission add(context& ctx, const record& r, Emit&& emit) {
        const time_micros watermark = ctx.watermark();
        auto open = load(ctx);
        window span{r.time, detail::add_saturated(r.time, _gap)};
        std::optional<pane> joined;  // the sessions `r` touches, merged
        std::vector<pane> kept;
        for (auto& p : open) {
            if (!(p.window.start < span.end && span.start < p.window.end)) {
                kept.push_back(std::move(p));
            } else if (!joined) {
                joined = std::move(p);
            } else {
                _aggregation.merge(joined->value, p.value);
                joined->fired |= p.fired;
                joined->window.end = std::max(joined->window.end, p.window.end);
            }
        }
        pane p = joined ? std::move(*joined) : pane{span};
        p.window = {std::min(p.window.start, span.start), std::max(p.window.end, span.end)};
        if (detail::add_saturated(p.window.end, _lateness) <= watermark) {
            _late.reject(ctx, r);
            return admission::too_late;
        }
        _aggregation.add(p.value, r);
        const std::string tag = detail::tag_of(_name, p.window.start);
        const bool complete = p.window.end <= watermark;
        if (complete) {
            emit(ctx, firing<accumulator>{r.key, p.window, p.value, timing::late});
            p.fired = true;
            p.pending = false;
            ctx.set_timer(r.key, detail::add_saturated(p.window.end, _lateness),
                          time_domain::event_time, tag);
        } else {
            p.pending = true;
            ctx.set_timer(r.key, p.window.end, time_domain::event_time, tag);
        }
        const auto at = std::find_if(kept.begin(), kept.end(), [&](const pane& other) {
            return other.window.start > p.window.start;
        });
        kept.insert(at, std::move(p));
        store(ctx, kept);
        return complete ? admission::late : admission::on_time;
    }

    // As tumbling::fire. Timers of sessions merged away are recognised and
    // ignored (returning true).
    template <emitter<accumulator> Emit>
    bool fire(context& ctx, const timer& t, Emit&& emit) {
        const auto start = detail::start_of(_name, t.tag);
        if (t.domain != time_domain::event_time || !start) {
            return false;
        }
        auto open = load(ctx);
        const auto it = std::find_if(open.begin(), open.end(),
                                     [&](const pane& p) { return p.window.start == *start; });
        if (it == open.end() || t.time < it->window.end) {
            return true;  // merged into another session, or already dropped
        }
        if (it->pending) {
            emit(ctx, firing<accumulator>{t.key, it->window, it->value,
                                          it->fired ? timing::late : timing::on_time});
            it->fired = true;
            it->pending = false;
        }
        const time_micros horizon = detail::add_saturated(it->window.end, _lateness);
        if (std::max(t.time, ctx.watermark()) >= horizon) {
            open.erase(it);
        } else {
            ctx.set_timer(t.key, horizon, time_domain::event_time, t.tag);
        }
        store(ctx, open);
        return true;
    }

    // Records no live session would take, since this object was made.
    [[nodiscard]] std::uint64_t too_late() const { return _late.count(); }

private:
    using pane = detail::pane<accumulator>;

    // State `<name>`: u32 sessions, each i64 start, i64 end, u32 length, pane.
    [[nodiscard]] std::vector<pane> load(context& ctx) const {
        std::vector<pane> open;
        const auto stored = ctx.get(_name);
        if (!stored) {
            return open;
        }
        detail::byte_reader in(*stored);
        const auto sessions = in.take_int(4);
        for (std::uint64_t i = 0; i < sessions; ++i) {
            window w;
            w.start = static_cast<time_micros>(in.take_int(8));
            w.end = static_cast<time_micros>(in.take_int(8));
            const auto length = in.take_int(4);
            open.push_back(detail::decode_pane(in.take(length), _aggregation, w));
        }
        return open;
    }

    void store(context& ctx, const std::vector<pane>& open) const {
        if (open.empty()) {
            ctx.erase(_name);
            return;
        }
        std::string bytes;
        detail::append_int(bytes, open.size(), 4);
        for (const auto& p : open) {
            const auto encoded = detail::encode_pane(_aggregation, p);
            detail::append_int(bytes, static_cast<std::uint64_t>(p.window.start), 8);
            detail::append_int(bytes, static_cast<std::uint64_t>(p.window.end), 8);
            detail::append_int(bytes, encoded.size(), 4);
            bytes += encoded;
        }
        ctx.put(_name, bytes);
    }

    time_micros _gap;
    time_micros _lateness;
    detail::late_records _late;
    std::string _name;
    A _aggregation;
};

}  // namespace eddy::windows
