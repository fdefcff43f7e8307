// Rescaling with state (issue 9): how long a key group moved by `eddy scale`
// pauses, and how much throughput a computation that is not being scaled
// keeps meanwhile, through the `eddy` CLI against `eddy up --detach` in a
// temporary home, as a user runs it. Independent pipelines in one home,
// every computation exactly_once (state in RocksDB):
//
//   scaled:    keys (key_source) -> ballast (key grouping, 2 <-> 3) -> checks (file)
//              keys              -> empty   (key grouping, 2 <-> 3)
//   bystander: traffic (generator, fixed rate) -> relay -> bystander (counting sink)
//
// The ballast gives each key it sees `--state-kib` of state (random bytes,
// in values of `--value-kib`) on its first record. Its keys are chosen with
// the coordinator's own planner (move_plan.hpp) so that each lies in a key
// group of its own that every move of the run moves: `--loaded-groups`
// groups carry that state, the rest of the moving groups (1365 of 4096 in a
// 2 <-> 3 move) carry none. key_source keeps a steady trickle of records on
// those keys, so every move has records in flight and held. Every record
// makes the ballast read back one of its key's values and say "created",
// "kept" or "missing <n>" into the checks file: at the end every key must
// have been created exactly once and nothing found missing, or the state did
// not move with its groups and the run fails. `empty` is the same computation
// on the same keys with no state (a marker per key): the baseline of the
// pause, the cost of a move itself, measured in the same run.
//
// After the state is written and the bystander runs at its rate, the bench
// measures the bystander over a `--baseline-s` window, then does `--moves`
// moves, alternating 2 -> 3 and 3 -> 2: each scales the ballast and then
// empty to the same count, resting `--rest-ms` after each scale. Per scale:
//   - the pause: the coordinator moves the groups in rounds (at most 4 MiB
//     of state each by default) and the scale answer (`eddy --json scale`)
//     gives each round's pause, from the hold to the release of its groups.
//     The pause of a key group is its round's: p50 and max are over every
//     group moved (each round weighted by its groups), over all the groups
//     and over the groups with state (the loaded ones).
//   - the bystander's rate over the whole request (sending `eddy scale` to
//     its exit, which also starts or stops executors) beside the baseline:
//     records/s processed by its sink, from eddy_records_in_total on the
//     sink executor's /metrics, sampled every 20 ms and interpolated at the
//     ends of each window. A window of a few hundred ms holds a few thousand
//     records that arrive in batches, so one move's ratio is noisy: beside
//     the worst move the bench shows the worst window of the same length in
//     the baseline, the noise of the measure itself.
// The rest after a scale also shows the bystander catching up, if it fell
// behind (its generator makes up for lost time). The bystander's rate is
// fixed (`--bystander-rate`, 100,000 records/s, about a third of what it
// reaches alone on two cores): the question is whether a move keeps it from
// its work, not how much CPU a move takes from a saturated machine; at its
// capacity it loses whatever CPU the move uses. If it cannot reach the rate
// the bench says so and the ratios compare capacity.
//
// Targets (issue 9): pause p50 under 100 ms with 1 MiB of state per moved
// key group (the ballast's moves); the bystander keeps at least 90% of its
// throughput during the ballast's moves (their windows together). Reported,
// met or not; a scale that fails, a move that reports other groups than
// planned, or state that did not move, fails the run (exit 1). About 30 s
// with the defaults.
//
//     scale_bench [--moves N] [--loaded-groups G] [--state-kib K] [--value-kib V]
//                 [--key-rate R] [--bystander-rate R] [--baseline-s S] [--rest-ms MS]
//                 [--low N] [--high N] [--round-kib K]
//
// --round-kib sets the coordinator's budget of state a round
// (EDDY_MOVE_ROUND_BYTES, default 4 MiB) for the run.

#include "../support/load_average.hpp"
#include "counter_sampler.hpp"
#include "eddy_home.hpp"
#include "move_plan.hpp"
#include "support/process.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef EDDY_CLI_PATH
#error "EDDY_CLI_PATH must be defined by the build"
#endif
#ifndef EDDY_BENCH_SCALE_COMPUTATIONS
#error "EDDY_BENCH_SCALE_COMPUTATIONS must be defined by the build"
#endif

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;
using eddy::bench::counter_sampler;
using eddy::bench::eddy_home;
using eddy::bench::planned_move;

constexpr std::uint32_t max_key_groups = eddy::default_max_key_groups;
constexpr double target_pause_ms = 100;
constexpr double target_ratio = 0.90;
constexpr auto sample_interval = 20ms;
constexpr auto scale_timeout = 120s;
const std::string loaded_name = "ballast";
const std::string empty_name = "empty";
const std::string bystander_sink = "bystander";

struct settings {
    int moves = 8;
    std::uint32_t loaded_groups = 32;
    std::uint64_t state_kib = 1024;
    std::uint64_t value_kib = 64;
    std::uint64_t key_rate = 320;           // records/s on the loaded keys, in all
    std::uint64_t bystander_rate = 100000;  // records/s of the bystander's generator
    std::chrono::milliseconds baseline{3000};
    std::chrono::milliseconds rest{1000};
    std::uint32_t low = 2;
    std::uint32_t high = 3;
    std::uint64_t round_kib = 0;  // the coordinator's round budget; 0: its default
};

// One round of a move, from the scale answer.
struct round_result {
    std::uint32_t key_groups = 0;
    std::uint32_t with_state = 0;
    std::uint64_t bytes = 0;
    double pause_ms = 0;
};

// One `eddy scale` call and what the bystander did during it.
struct move_result {
    std::string computation;
    std::uint32_t from = 0;
    std::uint32_t to = 0;
    std::uint32_t moved_groups = 0;
    std::vector<round_result> rounds;
    double pause_p50 = 0;  // the answer's, over this move's groups
    double pause_max = 0;
    double request_ms = 0;
    clock_type::time_point began;
    clock_type::time_point ended;
    double bystander_rate = 0;        // records/s during the request
    double bystander_after_rate = 0;  // records/s during the rest after it
};

// What the checks file says about each ballast key.
struct state_checks {
    std::map<std::string, int> created;  // by key
    std::map<std::string, int> kept;
    std::vector<std::string> missing;  // the lines
    std::size_t lines = 0;
};

state_checks read_checks(const fs::path& file) {
    state_checks checks;
    std::istringstream text(eddy::testing::read_file(file));
    std::string line;
    // A last line without its newline may be half written: left out.
    while (std::getline(text, line) && !text.eof()) {
        ++checks.lines;
        const auto space = line.find(' ');
        const auto key = line.substr(0, space);
        const auto what = space == std::string::npos ? "" : line.substr(space + 1);
        if (what == "created") {
            ++checks.created[key];
        } else if (what == "kept") {
            ++checks.kept[key];
        } else {
            checks.missing.push_back(line);
        }
    }
    return checks;
}

double ms_between(clock_type::time_point from, clock_type::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// The p50 of values each counted `weight` times (pairs of value, weight).
double weighted_median(std::vector<std::pair<double, std::uint64_t>> values) {
    std::sort(values.begin(), values.end());
    std::uint64_t total = 0;
    for (const auto& [value, weight] : values) {
        total += weight;
    }
    std::uint64_t seen = 0;
    for (const auto& [value, weight] : values) {
        seen += weight;
        if (2 * seen >= total && weight > 0) {
            return value;
        }
    }
    return values.empty() ? 0 : values.back().first;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const auto n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

using eddy::bench::load_average;

std::string verdict(bool met, const std::string& by) {
    return met ? "met" : "missed by " + by;
}

std::string manifest_text(const settings& options, const std::vector<std::string>& keys,
                          const fs::path& checks_file) {
    const std::string library = EDDY_BENCH_SCALE_COMPUTATIONS;
    return fmt::format(R"(computations:
  - name: keys
    library: "{library}"
    class: key_source
    outputs: [keyed]
    delivery: exactly_once
    config: {{stream: keyed, rate: {key_rate}, keys: "{keys}"}}
  - name: {loaded}
    library: "{library}"
    class: ballast
    instances: {low}
    inputs: [{{stream: keyed, grouping: key}}]
    outputs: [checked]
    delivery: exactly_once
    config: {{output: checked, state_bytes: {state_bytes}, value_bytes: {value_bytes}}}
  - name: checks
    builtin: file
    inputs: [checked]
    delivery: exactly_once
    config: {{stream: checked, path: "{checks}", format: "key value", flush_interval_ms: 20}}
  - name: {empty}
    library: "{library}"
    class: ballast
    instances: {low}
    inputs: [{{stream: keyed, grouping: key}}]
    delivery: exactly_once
    config: {{report: "off", state_bytes: 0}}
  - name: traffic
    builtin: generator
    outputs: [traffic]
    delivery: exactly_once
    config: {{stream: traffic, kind: random, keys: 1000, value_size: 32, rate: {rate}}}
  - name: relay
    library: "{library}"
    class: relay
    inputs: [{{stream: traffic, grouping: shuffle}}]
    outputs: [relayed]
    delivery: exactly_once
    config: {{output: relayed}}
  - name: {sink}
    library: "{library}"
    class: counting_sink
    inputs: [{{stream: relayed, grouping: shuffle}}]
    delivery: exactly_once
)",
                       fmt::arg("library", library), fmt::arg("key_rate", options.key_rate),
                       fmt::arg("keys", fmt::join(keys, ",")), fmt::arg("loaded", loaded_name),
                       fmt::arg("empty", empty_name), fmt::arg("low", options.low),
                       fmt::arg("state_bytes", options.state_kib * 1024),
                       fmt::arg("value_bytes", options.value_kib * 1024),
                       fmt::arg("checks", checks_file.string()),
                       fmt::arg("rate", options.bystander_rate), fmt::arg("sink", bystander_sink));
}

// The id of the one instance of `computation`.
std::uint32_t instance_id_of(eddy_home& home, const std::string& computation) {
    for (const auto& i : home.instances()) {
        if (i["computation"] == computation) {
            return i["id"].get<std::uint32_t>();
        }
    }
    throw std::runtime_error("no instance of " + computation + " is listed");
}

// Waits until the sampler holds a sample taken after `at`.
void wait_sampled_after(const counter_sampler& sampler, clock_type::time_point at) {
    const bool sampled = eddy::testing::wait_until(
        [&] {
            const auto last = sampler.latest();
            return last && last->at > at;
        },
        5s);
    if (!sampled) {
        throw std::runtime_error(fmt::format(
            "the bystander's /metrics gave no sample for 5 s ({} failed scrapes, last: {})",
            sampler.failures(), sampler.last_failure()));
    }
}

double rate_over(const counter_sampler& sampler, clock_type::time_point from,
                 clock_type::time_point to) {
    wait_sampled_after(sampler, to);
    const auto rate = sampler.rate(from, to);
    if (!rate) {
        throw std::runtime_error("no bystander samples around a window");
    }
    return *rate;
}

// The lowest rate of the windows `length` long (every `length / 2`) within
// [from, to], relative to `reference`: how far one window strays by itself.
double worst_window_ratio(const counter_sampler& sampler, clock_type::time_point from,
                          clock_type::time_point to, clock_type::duration length,
                          double reference) {
    double worst = 1;
    const auto step = std::max<clock_type::duration>(length / 2, sample_interval);
    for (auto at = from; at + length <= to; at += step) {
        if (const auto rate = sampler.rate(at, at + length)) {
            worst = std::min(worst, *rate / reference);
        }
    }
    return worst;
}

// `eddy --json scale <computation> n`, checked against the plan.
move_result scale_once(eddy_home& home, const std::string& computation,
                       const planned_move& planned) {
    move_result result{
        .computation = computation, .from = planned.from_instances, .to = planned.to_instances};
    result.began = clock_type::now();
    const auto answer =
        home.json({"scale", computation, std::to_string(planned.to_instances)}, scale_timeout);
    result.ended = clock_type::now();
    result.request_ms = ms_between(result.began, result.ended);
    if (!answer.contains("pause_ms") || !answer["pause_ms"].is_object() ||
        !answer.contains("rounds") || !answer["rounds"].is_array() || answer["rounds"].empty() ||
        !answer.contains("moved_key_groups")) {
        throw std::runtime_error(
            "the scale answer has no pause_ms {p50, max}, rounds or moved_key_groups: " +
            answer.dump());
    }
    result.pause_p50 = answer["pause_ms"].value("p50", 0.0);
    result.pause_max = answer["pause_ms"].value("max", 0.0);
    std::uint32_t in_rounds = 0;
    for (const auto& r : answer["rounds"]) {
        result.rounds.push_back({r.value("key_groups", 0u), r.value("key_groups_with_state", 0u),
                                 r.value("bytes", std::uint64_t{0}), r.value("pause_ms", 0.0)});
        in_rounds += result.rounds.back().key_groups;
    }
    result.moved_groups = answer["moved_key_groups"].get<std::uint32_t>();
    if (in_rounds != result.moved_groups) {
        throw std::runtime_error(
            fmt::format("the rounds of the scale answer move {} key groups, not the {} it says: {}",
                        in_rounds, result.moved_groups, answer.dump()));
    }
    if (answer.value("instances", 0u) != planned.to_instances ||
        result.moved_groups != planned.moved_groups) {
        throw std::runtime_error(fmt::format(
            "scaling {} from {} to {} was planned to move {} key groups; the answer: {}",
            computation, planned.from_instances, planned.to_instances, planned.moved_groups,
            answer.dump()));
    }
    return result;
}

// The move `eddy ls` still shows on `computation` ("" if none).
std::string move_in_progress(eddy_home& home, const std::string& computation) {
    for (const auto& c : home.computations()) {
        if (c["name"] == computation && c.contains("move") && !c["move"].is_null()) {
            return c["move"].dump();
        }
    }
    return "";
}

// Scales `computation` as planned, rests, and reads the bystander's rates.
move_result move_and_rest(eddy_home& home, const counter_sampler& sampler,
                          const std::string& computation, const planned_move& planned,
                          const settings& options) {
    auto move = scale_once(home, computation, planned);
    std::this_thread::sleep_for(options.rest);  // the window after the move
    const auto rested = clock_type::now();
    move.bystander_rate = rate_over(sampler, move.began, move.ended);
    move.bystander_after_rate = rate_over(sampler, move.ended, rested);
    if (const auto left = move_in_progress(home, computation); !left.empty()) {
        throw std::runtime_error("eddy scale " + computation +
                                 " returned before its move ended: " + left);
    }
    home.wait_running({{computation, planned.to_instances}}, 30s);
    return move;
}

void wait_for_state(const fs::path& checks_file, const std::vector<std::string>& keys,
                    eddy_home& home) {
    state_checks checks;
    const bool all = eddy::testing::wait_until(
        [&] {
            checks = read_checks(checks_file);
            return checks.created.size() == keys.size();
        },
        60s);
    if (!all) {
        throw std::runtime_error(
            fmt::format("only {} of {} ballast keys reported their state written within 60 s\n{}",
                        checks.created.size(), keys.size(), home.coordinator_log_tail()));
    }
}

// After the last move: the ballast keeps answering, every key was created
// exactly once and read back since, and no value went missing. Returns the
// number of read-backs.
std::size_t check_state_moved(const fs::path& checks_file, const std::vector<std::string>& keys,
                              eddy_home& home) {
    const auto lines = read_checks(checks_file).lines;
    state_checks checks;
    const bool flowing = eddy::testing::wait_until(
        [&] {
            checks = read_checks(checks_file);
            return checks.lines >= lines + 2 * keys.size();
        },
        30s);
    if (!flowing) {
        throw std::runtime_error(
            fmt::format("the ballast's checks stopped after the last move ({} lines)\n{}",
                        checks.lines, home.coordinator_log_tail()));
    }
    std::vector<std::string> wrong;
    for (const auto& key : keys) {
        if (checks.created[key] != 1 || checks.kept[key] == 0) {
            wrong.push_back(fmt::format("{} (created {}, kept {})", key, checks.created[key],
                                        checks.kept[key]));
        }
    }
    if (!wrong.empty() || !checks.missing.empty()) {
        throw std::runtime_error(fmt::format(
            "state did not move with its key groups: {} keys wrong: {}; {} values missing{}{}",
            wrong.size(), fmt::join(wrong, ", "), checks.missing.size(),
            checks.missing.empty() ? "" : ", first: ",
            checks.missing.empty() ? "" : checks.missing.front()));
    }
    return checks.lines - checks.created.size();
}

// The bystander's sink at (nearly) the generator's rate, or a warning.
void wait_for_bystander_rate(const counter_sampler& sampler, const settings& options) {
    const auto wanted = 0.95 * static_cast<double>(options.bystander_rate);
    double last = 0;
    const bool reached = eddy::testing::wait_until(
        [&] {
            const auto now = clock_type::now();
            const auto rate = sampler.rate(now - 1s, now - sample_interval * 2);
            last = rate.value_or(0);
            return rate && *rate >= wanted;
        },
        20s);
    if (!reached) {
        std::printf(
            "warning: the bystander runs at %.0f records/s, below the %llu its generator makes: "
            "the machine is its limit, and the ratios compare capacity\n",
            last, static_cast<unsigned long long>(options.bystander_rate));
    }
}

void print_move(std::size_t n, const move_result& m, double baseline, const settings& options) {
    std::string rounds;
    for (const auto& r : m.rounds) {
        rounds += fmt::format("{}{:.0f}", rounds.empty() ? "" : " ", r.pause_ms);
    }
    std::printf(
        "move %zu  %-7s %u -> %u  %4u groups in %2zu rounds  pause p50 %6.1f max %6.1f ms  "
        "request %7.1f ms  bystander %6.0f rec/s (%.2f of before), %6.0f rec/s in the %.1f s "
        "after\n    round pauses (ms): %s\n",
        n, m.computation.c_str(), m.from, m.to, m.moved_groups, m.rounds.size(), m.pause_p50,
        m.pause_max, m.request_ms, m.bystander_rate, m.bystander_rate / baseline,
        m.bystander_after_rate, static_cast<double>(options.rest.count()) / 1000, rounds.c_str());
    std::fflush(stdout);
}

// Pauses and bystander figures over the moves of one computation.
struct move_summary {
    double pause_p50 = 0;  // over every moved group
    double pause_max = 0;
    double stateful_p50 = 0;  // over the moved groups with state
    double stateful_max = 0;
    double rounds_p50 = 0;   // rounds a move
    double round_p50 = 0;    // over the rounds
    double round_bytes = 0;  // bytes moved a round, p50
    double request_p50 = 0;
    double seconds = 0;      // the move windows together
    double rate = 0;         // the bystander over those windows
    double worst_ratio = 1;  // the bystander's lowest single move, to the baseline
    double noise = 1;  // the lowest baseline window as long as the median move, to the baseline
};

move_summary summarize(const std::vector<move_result>& moves, const counter_sampler& sampler,
                       clock_type::time_point baseline_from, clock_type::time_point baseline_to,
                       double baseline) {
    move_summary s;
    std::vector<std::pair<double, std::uint64_t>> by_group;
    std::vector<std::pair<double, std::uint64_t>> by_stateful_group;
    std::vector<double> round_pauses;
    std::vector<double> round_bytes;
    std::vector<double> rounds;
    std::vector<double> requests;
    double records = 0;
    for (const auto& m : moves) {
        for (const auto& r : m.rounds) {
            by_group.emplace_back(r.pause_ms, r.key_groups);
            by_stateful_group.emplace_back(r.pause_ms, r.with_state);
            round_pauses.push_back(r.pause_ms);
            round_bytes.push_back(static_cast<double>(r.bytes));
            s.pause_max = std::max(s.pause_max, r.pause_ms);
            if (r.with_state > 0) {
                s.stateful_max = std::max(s.stateful_max, r.pause_ms);
            }
        }
        rounds.push_back(static_cast<double>(m.rounds.size()));
        requests.push_back(m.request_ms);
        s.seconds += m.request_ms / 1000;
        records += m.bystander_rate * m.request_ms / 1000;
        s.worst_ratio = std::min(s.worst_ratio, m.bystander_rate / baseline);
    }
    s.pause_p50 = weighted_median(by_group);
    s.stateful_p50 = weighted_median(by_stateful_group);
    s.rounds_p50 = median(rounds);
    s.round_p50 = median(round_pauses);
    s.round_bytes = median(round_bytes);
    s.request_p50 = median(requests);
    s.rate = records / s.seconds;
    s.noise = worst_window_ratio(sampler, baseline_from, baseline_to,
                                 std::chrono::duration_cast<clock_type::duration>(
                                     std::chrono::duration<double, std::milli>(s.request_p50)),
                                 baseline);
    return s;
}

void measure(const settings& options) {
    std::vector<std::uint32_t> targets;
    for (int n = 0; n < options.moves; ++n) {
        targets.push_back(n % 2 == 0 ? options.high : options.low);
    }
    const auto plan = eddy::bench::plan_moves(options.low, targets, max_key_groups);
    const auto keys =
        eddy::bench::keys_moved_by_every(plan, options.loaded_groups, max_key_groups, "ballast-");
    const double state_mib = static_cast<double>(options.state_kib) / 1024;
    const double moved_mib = state_mib * options.loaded_groups;

    eddy::testing::temp_dir dir("eddy-scale-bench");
    const auto checks_file = dir / "checks.txt";
    const auto manifest = dir / "scale.yaml";
    std::ofstream(manifest) << manifest_text(options, keys, checks_file);

    const auto start = clock_type::now();
    eddy_home home(EDDY_CLI_PATH, dir.path());
    home.up();
    (void)home.json({"deploy", manifest.string()}, 60s);
    home.wait_running({{"keys", 1},
                       {loaded_name, options.low},
                       {"checks", 1},
                       {empty_name, options.low},
                       {"traffic", 1},
                       {"relay", 1},
                       {bystander_sink, 1}},
                      60s);
    wait_for_state(checks_file, keys, home);

    counter_sampler sampler(home.admin(instance_id_of(home, bystander_sink)),
                            "eddy_records_in_total", sample_interval);
    wait_sampled_after(sampler, clock_type::now());
    wait_for_bystander_rate(sampler, options);

    std::printf(
        "scale_bench: %s and %s (exactly_once, key grouping) %u <-> %u instances, %d moves "
        "each; %u of the key groups every move moves carry %.2f MiB of state each in %s (values "
        "of %llu KiB), none in %s; %llu records/s on their keys; bystander traffic -> relay -> "
        "%s (exactly_once) at %llu records/s; load average %s\n",
        loaded_name.c_str(), empty_name.c_str(), options.low, options.high, options.moves,
        options.loaded_groups, state_mib, loaded_name.c_str(),
        static_cast<unsigned long long>(options.value_kib), empty_name.c_str(),
        static_cast<unsigned long long>(options.key_rate), bystander_sink.c_str(),
        static_cast<unsigned long long>(options.bystander_rate), load_average().c_str());
    std::fflush(stdout);

    const auto baseline_from = clock_type::now();
    std::this_thread::sleep_for(options.baseline);  // the measuring window
    const auto baseline_to = clock_type::now();
    const double baseline = rate_over(sampler, baseline_from, baseline_to);
    std::printf("bystander before the moves: %.0f records/s over %.1f s\n", baseline,
                static_cast<double>(options.baseline.count()) / 1000);
    std::fflush(stdout);

    std::vector<move_result> loaded_moves;
    std::vector<move_result> empty_moves;
    for (std::size_t n = 0; n < plan.size(); ++n) {
        loaded_moves.push_back(move_and_rest(home, sampler, loaded_name, plan[n], options));
        print_move(n + 1, loaded_moves.back(), baseline, options);
        empty_moves.push_back(move_and_rest(home, sampler, empty_name, plan[n], options));
        print_move(n + 1, empty_moves.back(), baseline, options);
    }

    const auto read_backs = check_state_moved(checks_file, keys, home);
    if (sampler.went_down()) {
        throw std::runtime_error(
            "the bystander's sink counter went down: its executor restarted during the run");
    }
    const auto loaded = summarize(loaded_moves, sampler, baseline_from, baseline_to, baseline);
    const auto empty = summarize(empty_moves, sampler, baseline_from, baseline_to, baseline);
    sampler.stop();

    std::printf(
        "pause of a moved key group (hold to release of its round; p50 and max over every group "
        "the moves moved, each round weighted by its groups)\n"
        "  %-7s %u groups of %.2f MiB (%.1f MiB a move), %.0f rounds a move: groups with state "
        "p50 %6.1f ms  max %6.1f ms; all groups p50 %6.1f ms  max %6.1f ms\n"
        "  %-7s the same moves, groups empty, %.0f rounds a move:            all groups p50 "
        "%6.1f ms  max %6.1f ms\n"
        "  a round: p50 %.1f ms with %.2f MiB (%s), %.1f ms empty (%s): the moved state costs "
        "%.1f ms per MiB\n"
        "  target p50 < %.0f ms with 1 MiB per moved group: %s\n",
        loaded_name.c_str(), options.loaded_groups, state_mib, moved_mib, loaded.rounds_p50,
        loaded.stateful_p50, loaded.stateful_max, loaded.pause_p50, loaded.pause_max,
        empty_name.c_str(), empty.rounds_p50, empty.pause_p50, empty.pause_max, loaded.round_p50,
        loaded.round_bytes / (1 << 20), loaded_name.c_str(), empty.round_p50, empty_name.c_str(),
        loaded.round_bytes > 0
            ? (loaded.round_p50 - empty.round_p50) / (loaded.round_bytes / (1 << 20))
            : 0.0,
        target_pause_ms,
        verdict(loaded.stateful_p50 < target_pause_ms,
                fmt::format("{:.1f} ms", loaded.stateful_p50 - target_pause_ms))
            .c_str());
    const double ratio = loaded.rate / baseline;
    std::printf(
        "bystander  before %.0f rec/s | during %s's moves %.0f rec/s over %.1f s: ratio %.2f, "
        "worst move %.2f (worst baseline window as long: %.2f) | during %s's moves: ratio %.2f, "
        "worst move %.2f (baseline window: %.2f)\n  target >= %.2f during %s's moves: %s\n",
        baseline, loaded_name.c_str(), loaded.rate, loaded.seconds, ratio, loaded.worst_ratio,
        loaded.noise, empty_name.c_str(), empty.rate / baseline, empty.worst_ratio, empty.noise,
        target_ratio, loaded_name.c_str(),
        verdict(ratio >= target_ratio, fmt::format("{:.2f}", target_ratio - ratio)).c_str());
    std::printf(
        "state: %zu keys created once each and read back %zu times since, none missing; %.0f s "
        "in all; load average %s\n",
        keys.size(), read_backs, std::chrono::duration<double>(clock_type::now() - start).count(),
        load_average().c_str());
}

settings parse(int argc, char** argv) {
    settings out;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) {
            throw std::invalid_argument("missing value after " + flag);
        }
        const std::string value = argv[++i];
        if (flag == "--moves") {
            out.moves = std::stoi(value);
        } else if (flag == "--loaded-groups") {
            out.loaded_groups = static_cast<std::uint32_t>(std::stoul(value));
        } else if (flag == "--state-kib") {
            out.state_kib = std::stoull(value);
        } else if (flag == "--value-kib") {
            out.value_kib = std::stoull(value);
        } else if (flag == "--key-rate") {
            out.key_rate = std::stoull(value);
        } else if (flag == "--bystander-rate") {
            out.bystander_rate = std::stoull(value);
        } else if (flag == "--baseline-s") {
            out.baseline = std::chrono::milliseconds(static_cast<long>(std::stod(value) * 1000));
        } else if (flag == "--rest-ms") {
            out.rest = std::chrono::milliseconds(std::stol(value));
        } else if (flag == "--low") {
            out.low = static_cast<std::uint32_t>(std::stoul(value));
        } else if (flag == "--high") {
            out.high = static_cast<std::uint32_t>(std::stoul(value));
        } else if (flag == "--round-kib") {
            out.round_kib = std::stoull(value);
        } else {
            throw std::invalid_argument("unknown option " + flag);
        }
    }
    if (out.moves <= 0 || out.loaded_groups == 0 || out.state_kib == 0 || out.value_kib == 0 ||
        out.key_rate == 0 || out.bystander_rate == 0 || out.low == 0 || out.high <= out.low ||
        out.baseline < 500ms || out.rest < 200ms) {
        throw std::invalid_argument(
            "--moves, --loaded-groups, --state-kib, --value-kib, --key-rate, --bystander-rate and "
            "--low must be at least 1, --high above --low, --baseline-s at least 0.5 and "
            "--rest-ms at least 200");
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const auto options = parse(argc, argv);
        // A test aid that stretches every move: the pause would measure it.
        ::unsetenv("EDDY_MOVE_STEP_DELAY_MS");
        if (options.round_kib > 0) {  // read by the coordinator `eddy up` starts
            ::setenv("EDDY_MOVE_ROUND_BYTES", fmt::format("{}KiB", options.round_kib).c_str(), 1);
        }
        measure(options);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scale_bench: %s\n", e.what());
        return 1;
    }
}
