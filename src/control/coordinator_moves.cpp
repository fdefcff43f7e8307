// Rescaling a key-grouped computation: the coordinator's side of a move of
// key groups between live instances (topology_state.hpp, move_record; the
// executors' side is src/executor/executor_handoff.cpp; docs/operations.md
// tells users what happens).
//
// A rescale runs as rounds: the coordinator computes the final assignment
// (as few groups moved as the new shares allow), asks the old owners how much
// state each moving group holds, and splits the groups into rounds of at most
// a byte budget (and a group count) each. Each round is a whole move with its
// own assignment version (hold, drain, export, import, release), so a key
// group is held only while its own round runs, whatever the scale moves in all.
//
// The move is recorded in the stored topology before anything changes (this
// round, the rounds after it and the final assignment), and each phase is
// recorded before the next begins. Every step at an executor is idempotent
// for its round's version, so a step cut short (an executor or this
// coordinator killed) is simply run again: by the same request after the
// executor's restart, or by the next coordinator, which resumes every
// recorded move when it starts, from its round and phase.

#include "base/log.hpp"
#include "coordinator.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <thread>

namespace eddy::control {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// How long one step may keep failing (an executor restarting, a slow drain)
// before the request gives up; the move stays recorded and resumes with the
// next coordinator start or the next scale of the computation.
constexpr auto step_deadline = 5min;
constexpr auto retry_pause = 100ms;

json ranges_json(const std::vector<key_group_range>& ranges) {
    json out = json::array();
    for (const auto& r : ranges) {
        out.push_back({r.first.value(), r.last.value()});
    }
    return out;
}

struct upstream {
    instance_record instance;
    delivery_mode delivery;
};

// The instances of every computation that publishes a stream `record` reads.
std::vector<upstream> upstreams_of(const topology_state& state, const computation_record& record) {
    std::vector<upstream> out;
    for (const auto& c : state.computations) {
        const auto dead_letters = c.spec.name + ".dead_letters";
        const bool feeds =
            std::any_of(record.spec.inputs.begin(), record.spec.inputs.end(), [&](const auto& in) {
                return in.stream == dead_letters ||
                       std::find(c.spec.outputs.begin(), c.spec.outputs.end(), in.stream) !=
                           c.spec.outputs.end();
            });
        if (feeds) {
            for (const auto& i : c.instances) {
                out.push_back({i, c.spec.delivery});
            }
        }
    }
    return out;
}

using step = std::function<tl::expected<json, std::string>()>;

// Runs every step on its own thread; each one's answer, or the first failure.
tl::expected<std::vector<json>, std::string> all_of(const std::vector<step>& steps) {
    std::vector<tl::expected<json, std::string>> results(steps.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        threads.emplace_back([&, i] { results[i] = steps[i](); });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::vector<json> answers;
    for (auto& r : results) {
        if (!r) {
            return tl::unexpected(r.error());
        }
        answers.push_back(std::move(*r));
    }
    return answers;
}

// A positive number from the environment variable `variable` (nullopt when
// unset); with `units::bytes` it may end in KiB, MiB or GiB.
enum class units { count, bytes };
tl::expected<std::optional<std::uint64_t>, std::string> number_from_environment(
    const char* variable, units allowed) {
    const char* text = std::getenv(variable);
    if (text == nullptr || *text == '\0') {
        return std::nullopt;
    }
    char* end = nullptr;
    errno = 0;
    const auto value = std::strtoull(text, &end, 10);
    const std::string_view unit(end);
    std::uint64_t scale = unit.empty() ? 1 : 0;
    if (allowed == units::bytes) {
        scale = unit == "KiB"   ? 1ULL << 10
                : unit == "MiB" ? 1ULL << 20
                : unit == "GiB" ? 1ULL << 30
                                : scale;
    }
    if (end == text || errno != 0 || *text == '-' || scale == 0 || value == 0 ||
        value > (UINT64_MAX >> 30)) {
        return tl::unexpected(fmt::format("{}='{}' is not {}", variable, text,
                                          allowed == units::bytes
                                              ? "a positive size (bytes, or with KiB, MiB or GiB)"
                                              : "a positive number"));
    }
    return value * scale;
}

// What a round may carry: EDDY_MOVE_ROUND_BYTES and EDDY_MOVE_ROUND_KEY_GROUPS
// (docs/operations.md), or the defaults.
tl::expected<round_limits, std::string> round_limits_from_environment() {
    round_limits limits;
    const auto bytes = number_from_environment("EDDY_MOVE_ROUND_BYTES", units::bytes);
    if (!bytes) {
        return tl::unexpected(bytes.error());
    }
    const auto groups = number_from_environment("EDDY_MOVE_ROUND_KEY_GROUPS", units::count);
    if (!groups) {
        return tl::unexpected(groups.error());
    }
    limits.bytes = bytes->value_or(limits.bytes);
    limits.key_groups = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(groups->value_or(limits.key_groups), UINT32_MAX));
    return limits;
}

std::uint32_t groups_in(const std::vector<key_group_range>& ranges) {
    std::uint32_t n = 0;
    for (const auto& r : ranges) {
        n += r.size();
    }
    return n;
}

// The pause every moved key group saw, from each round's (pause, groups):
// the median group's and the longest.
json pause_figures(std::vector<std::pair<double, std::uint32_t>> by_pause) {
    std::uint64_t groups = 0;
    double longest = 0;
    for (const auto& [pause, n] : by_pause) {
        groups += n;
        longest = std::max(longest, pause);
    }
    std::sort(by_pause.begin(), by_pause.end());
    double median = longest;
    std::uint64_t seen = 0;
    for (const auto& [pause, n] : by_pause) {
        seen += n;
        if (2 * seen >= groups) {
            median = pause;
            break;
        }
    }
    return json{{"p50", median}, {"max", longest}};
}

std::chrono::milliseconds step_delay_from_environment() {
    const char* text = std::getenv("EDDY_MOVE_STEP_DELAY_MS");
    if (text == nullptr || *text == '\0') {
        return 0ms;
    }
    return std::chrono::milliseconds(std::strtoll(text, nullptr, 10));
}

}  // namespace

tl::expected<json, std::string> coordinator::keep_trying(
    std::string_view what, const std::function<tl::expected<json, std::string>()>& step) {
    const auto deadline = std::chrono::steady_clock::now() + step_deadline;
    for (int attempt = 0;; ++attempt) {
        auto done = step();
        if (done) {
            return done;
        }
        if (attempt == 0 || attempt % 50 == 0) {
            eddy::log().warn("rescale: {}: {} (trying again)", what, done.error());
        }
        if (_stopping.load() || std::chrono::steady_clock::now() > deadline) {
            return tl::unexpected(fmt::format("{}: {}", what, done.error()));
        }
        std::this_thread::sleep_for(retry_pause);
    }
}

tl::expected<void, api_error> coordinator::set_phase(const std::string& name, move_phase phase) {
    topology_state next;
    {
        std::lock_guard lock(_state_mu);
        next = _state;
    }
    next.find(name)->move->phase = phase;
    if (const auto pause = step_delay_from_environment(); pause.count() > 0) {
        std::this_thread::sleep_for(pause);  // a test aid: act "during a move"
    }
    return commit(next);
}

std::vector<std::uint64_t> coordinator::moving_state_sizes(const computation_record& record,
                                                           const key_assignment& from,
                                                           const key_assignment& goal) {
    std::vector<std::uint64_t> bytes(from.max_key_groups(), 0);
    std::map<std::uint32_t, std::vector<key_group_range>> giving;  // by instance index
    for (const auto& m : moves_between(from, goal)) {
        giving[m.from].push_back(m.range);
    }
    std::vector<step> asks;
    for (const auto& [index, ranges] : giving) {
        if (index >= record.instances.size()) {
            continue;
        }
        const auto instance = record.instances[index];
        asks.emplace_back(
            [this, instance,
             body = json{{"ranges", ranges_json(ranges)}}]() -> tl::expected<json, std::string> {
                auto answer = _fleet.handoff(instance, "sizes", body, 10s);
                if (!answer) {
                    // Not fatal: its groups are sized as empty, and the group cap
                    // alone bounds their rounds.
                    eddy::log().warn(
                        "rescale: instance {} did not say how much state it moves ({}); its key "
                        "groups go in rounds by count only",
                        instance.id, answer.error());
                    return json::object();
                }
                return answer;
            });
    }
    const auto answers = all_of(asks);  // every step succeeds
    for (const auto& answer : *answers) {
        for (const auto& g : answer.value("groups", json::array())) {
            if (g.is_array() && g.size() == 2 && g[0].is_number_unsigned() &&
                g[1].is_number_unsigned() && g[0].get<std::uint64_t>() < bytes.size()) {
                bytes[g[0].get<std::size_t>()] += g[1].get<std::uint64_t>();
            }
        }
    }
    return bytes;
}

api_result coordinator::start_move(const std::string& name, std::uint32_t instances) {
    topology_state next;
    {
        std::lock_guard lock(_state_mu);
        next = _state;
    }
    auto* record = next.find(name);
    const auto current = static_cast<std::uint32_t>(record->instances.size());
    for (const auto& i : record->instances) {
        if (const auto s = _fleet.status(i); s && s->state == agent::process_state::finished) {
            return tl::unexpected(api_error{
                409, fmt::format("'{}' instance {} has finished (its input ended): there is no "
                                 "running state to move",
                                 name, i.index)});
        }
    }
    const auto limits = round_limits_from_environment();
    if (!limits) {
        return tl::unexpected(api_error{500, "the coordinator's " + limits.error()});
    }
    const auto listed = std::max(current, instances);
    const auto from = record->current_assignment(next.max_key_groups).with_instances(listed);
    const auto goal = record->current_assignment(next.max_key_groups)
                          .rebalanced(instances)
                          .with_instances(listed);
    // Sized before anything changes: the old owners hold all of it.
    const auto sizes = moving_state_sizes(*record, from, goal);
    auto rounds = plan_rounds(from, goal, sizes, *limits);
    if (rounds.empty()) {
        rounds.emplace_back();  // nothing moves, but instances come or go: one round
    }
    std::uint32_t moving = 0;
    std::uint64_t moving_bytes = 0;
    std::vector<std::uint32_t> with_state;  // by round
    for (const auto& groups : rounds) {
        moving += groups_in(groups);
        std::uint32_t n = 0;
        for (const auto& r : groups) {
            for (auto g = r.first.value(); g < r.last.value(); ++g) {
                moving_bytes += sizes[g];
                n += sizes[g] > 0 ? 1 : 0;
            }
        }
        with_state.push_back(n);
    }
    move_record move;
    move.version = record->assignment_version + 1;
    move.from = from;
    move.to = with_groups_moved(from, goal, rounds.front());
    move.target = instances;
    move.goal = goal;
    move.round = 1;
    move.later.assign(rounds.begin() + 1, rounds.end());
    std::vector<std::uint32_t> fresh;
    if (instances > current) {
        next.add_instances(*record, instances - current, _fleet.run_dir());
        for (std::uint32_t n = current; n < instances; ++n) {
            try {
                record->instances[n].endpoint = _fleet.place(*record, record->instances[n].id);
            } catch (const std::exception& e) {
                _fleet.discard_placements(fresh);
                return tl::unexpected(api_error{503, e.what()});
            }
            fresh.push_back(record->instances[n].id);
        }
    }
    record->move = std::move(move);
    if (auto ok = commit(next); !ok) {
        _fleet.discard_placements(fresh);
        return tl::unexpected(ok.error());
    }
    eddy::log().info(
        "rescale: {} from {} to {} instances moves {} key groups (about {:.1f} MiB of state) in "
        "{} rounds of at most {} bytes and {} groups (versions {} to {})",
        name, current, instances, moving, static_cast<double>(moving_bytes) / (1 << 20),
        rounds.size(), limits->bytes, limits->key_groups, record->move->version,
        record->move->version + rounds.size() - 1);
    // New instances first (they own nothing until they import); upstreams
    // learn of them in the first round's holding phase.
    const computation_record scaled = *next.find(name);
    _fleet.write_document(render_executor_document(next));
    for (const auto& i : scaled.instances) {
        if (std::find(fresh.begin(), fresh.end(), i.id) != fresh.end()) {
            _fleet.ensure_running(scaled, i, start_timeout);
        }
    }
    auto ran = run_move(name);
    if (!ran) {
        return tl::unexpected(ran.error());
    }
    json per_round = json::array();
    std::vector<std::pair<double, std::uint32_t>> pauses;
    for (const auto& r : *ran) {
        per_round.push_back(
            {{"round", r.round},
             {"key_groups", r.key_groups},
             {"key_groups_with_state", r.round <= with_state.size() ? with_state[r.round - 1] : 0},
             {"bytes", r.bytes},
             {"pause_ms", r.pause_ms}});
        pauses.emplace_back(r.pause_ms, r.key_groups);
    }
    return json{{"name", name},
                {"instances", instances},
                {"moved_key_groups", moving},
                {"rounds", per_round},
                {"pause_ms", pause_figures(std::move(pauses))}};
}

tl::expected<std::vector<coordinator::round_pause>, api_error> coordinator::run_move(
    const std::string& name) {
    const auto failed = [&](const std::string& why) {
        return tl::unexpected(api_error{
            503, fmt::format("the rescale of '{}' is not done: {}; it stays recorded and resumes "
                             "with the next coordinator start or scale of '{}'",
                             name, why, name)});
    };
    std::vector<round_pause> rounds;
    // This round's hold as this call saw it begin (a resumed round: now), and
    // the bytes its exports wrote.
    std::optional<std::chrono::steady_clock::time_point> held_since;
    std::uint64_t round_bytes = 0;
    for (;;) {
        topology_state state;
        {
            std::lock_guard lock(_state_mu);
            state = _state;
        }
        const auto* record = state.find(name);
        if (record == nullptr || !record->move) {
            return rounds;
        }
        if (!held_since) {
            held_since = std::chrono::steady_clock::now();
        }
        const auto& move = *record->move;
        const auto id_of = [&](std::uint32_t index) { return record->instances.at(index).id; };
        std::vector<instance_record> losing;
        std::vector<instance_record> gaining;
        for (const auto& i : record->instances) {
            if (move.from.groups_of(i.index) > move.to.groups_of(i.index)) {
                losing.push_back(i);
            } else if (move.to.groups_of(i.index) > move.from.groups_of(i.index)) {
                gaining.push_back(i);
            }
        }
        const auto moves = moves_between(move.from, move.to);
        switch (move.phase) {
            case move_phase::holding: {
                // Upstreams route by the round's assignment and hold what goes
                // to gaining instances; then wait until the losing instances
                // have committed everything routed to them before.
                push_all();
                json drain_ids = json::array();
                for (const auto& i : losing) {
                    drain_ids.push_back(i.id);
                }
                for (const auto& feeding : upstreams_of(state, *record)) {
                    const auto& up = feeding.instance;
                    const auto delivery = feeding.delivery;
                    auto drained = keep_trying(
                        fmt::format("draining instance {} towards '{}'", up.id, name),
                        [&]() -> tl::expected<json, std::string> {
                            if (std::filesystem::exists(_fleet.finished_marker(up))) {
                                return json{{"drained", true}};  // it ended: nothing in flight
                            }
                            auto answer = _fleet.handoff(up, "drain",
                                                         {{"instances", drain_ids},
                                                          {"computation", name},
                                                          {"version", move.version},
                                                          {"timeout_ms", 5000}},
                                                         10s);
                            if (answer && !answer->value("drained", false)) {
                                if (answer->value("routing", "") == "stale") {
                                    // It missed the push (busy, or restarted
                                    // in between): push again.
                                    (void)_fleet.push(up, render_executor_document(state));
                                } else if (delivery == delivery_mode::at_most_once) {
                                    // What it dropped while a receiver was
                                    // down is never acknowledged: after one
                                    // full wait, what is left is such a loss.
                                    return json{{"drained", false}};
                                }
                                return tl::unexpected(std::string("not drained yet"));
                            }
                            return answer;
                        });
                    if (!drained) {
                        return failed(drained.error());
                    }
                }
                if (auto ok = set_phase(name, move_phase::exporting); !ok) {
                    return tl::unexpected(ok.error());
                }
                break;
            }
            case move_phase::exporting: {
                // Every old owner at once: the pause is the slowest export.
                std::vector<step> steps;
                for (const auto& from : losing) {
                    json outgoing = json::array();
                    std::map<std::uint32_t, std::vector<key_group_range>> by_receiver;
                    for (const auto& m : moves) {
                        if (m.from == from.index) {
                            by_receiver[m.to].push_back(m.range);
                        }
                    }
                    for (const auto& [to, ranges] : by_receiver) {
                        outgoing.push_back({{"to", id_of(to)}, {"ranges", ranges_json(ranges)}});
                    }
                    json body{{"version", move.version},
                              {"moves", outgoing},
                              {"keep", ranges_json(move.to.ranges_of(from.index))}};
                    steps.emplace_back([this, from, body = std::move(body), &name] {
                        return keep_trying(
                            fmt::format("export from instance {} of '{}'", from.id, name),
                            [&] { return _fleet.handoff(from, "export", body, 90s); });
                    });
                }
                auto done = all_of(steps);
                if (!done) {
                    return failed(done.error());
                }
                for (const auto& answer : *done) {
                    for (const auto& file : answer.value("files", json::array())) {
                        round_bytes += file.value("bytes", std::uint64_t{0});
                    }
                }
                if (auto ok = set_phase(name, move_phase::importing); !ok) {
                    return tl::unexpected(ok.error());
                }
                break;
            }
            case move_phase::importing: {
                std::vector<step> steps;
                for (const auto& to : gaining) {
                    std::set<std::uint32_t> senders;
                    for (const auto& m : moves) {
                        if (m.to == to.index) {
                            senders.insert(id_of(m.from));
                        }
                    }
                    json body{{"version", move.version},
                              {"from", json(senders)},
                              {"own", ranges_json(move.to.ranges_of(to.index))}};
                    steps.emplace_back([this, to, body = std::move(body), &name] {
                        return keep_trying(
                            fmt::format("import into instance {} of '{}'", to.id, name),
                            [&] { return _fleet.handoff(to, "import", body, 90s); });
                    });
                }
                if (auto done = all_of(steps); !done) {
                    return failed(done.error());
                }
                if (auto ok = set_phase(name, move_phase::releasing); !ok) {
                    return tl::unexpected(ok.error());
                }
                break;
            }
            case move_phase::releasing: {
                auto remaining = move.later;
                if (remaining.empty() && !move.goal.empty()) {
                    // Nothing planned is left; whatever still differs from
                    // the goal (a record that lost its plan) is one more round.
                    std::vector<key_group_range> rest;
                    for (const auto& m : moves_between(move.to, move.goal)) {
                        rest.push_back(m.range);
                    }
                    if (!rest.empty()) {
                        remaining.push_back(std::move(rest));
                    }
                }
                std::uint32_t moved = 0;
                for (const auto& m : moves) {
                    moved += m.range.size();
                }
                const auto version = move.version;
                const auto round = move.round;
                // Called right after the release reached the upstreams.
                const auto released = [&] {
                    rounds.push_back({round, moved, round_bytes,
                                      std::chrono::duration<double, std::milli>(
                                          std::chrono::steady_clock::now() - *held_since)
                                          .count()});
                    held_since.reset();
                    round_bytes = 0;
                };
                const auto handoff_files = _fleet.handoff_dir() / name / std::to_string(version);
                if (remaining.empty()) {
                    topology_state next = state;
                    auto* done = next.find(name);
                    const auto target = done->move->target;
                    const std::vector<instance_record> removed(done->instances.begin() + target,
                                                               done->instances.end());
                    done->instances.resize(target);
                    done->assignment = done->move->to.with_instances(target);
                    done->assignment_version = version;
                    done->spec.instances = target;
                    done->move.reset();
                    if (auto ok = commit(next); !ok) {
                        return tl::unexpected(ok.error());
                    }
                    // Upstreams send what they held and stop routing to
                    // removed instances (everything sent to those is
                    // acknowledged); then the removed instances drain and stop.
                    push_all();
                    released();
                    for (const auto& i : removed) {
                        _fleet.stop(i, stop_grace);
                    }
                    std::error_code ignored;
                    std::filesystem::remove_all(handoff_files, ignored);
                    eddy::log().info(
                        "rescale: {} now runs {} instances (assignment version {}, round {})", name,
                        target, version, round);
                    return rounds;
                }
                // Upstreams send what they held: the document of a releasing
                // round holds nothing.
                push_all();
                released();
                std::error_code ignored;
                std::filesystem::remove_all(handoff_files, ignored);
                // Before the next round holds instances again (often the same
                // ones), what this round held reaches them: best effort, a
                // short wait at most, since it only spares them a second wait.
                if (!gaining.empty()) {
                    json released_ids = json::array();
                    for (const auto& i : gaining) {
                        released_ids.push_back(i.id);
                    }
                    std::vector<step> drains;
                    for (const auto& feeding : upstreams_of(state, *record)) {
                        drains.emplace_back([this, up = feeding.instance,
                                             body = json{{"instances", released_ids},
                                                         {"computation", name},
                                                         {"version", version},
                                                         {"timeout_ms", 1000}}]() {
                            if (!std::filesystem::exists(_fleet.finished_marker(up))) {
                                (void)_fleet.handoff(up, "drain", body, 5s);
                            }
                            return tl::expected<json, std::string>(json::object());
                        });
                    }
                    (void)all_of(drains);
                }
                // The next round: this one's assignment is the current one.
                topology_state next = state;
                auto* done = next.find(name);
                auto& going = *done->move;
                done->assignment = going.to;
                done->assignment_version = version;
                going.version = version + 1;
                going.round = round + 1;
                going.from = going.to;
                going.to = with_groups_moved(going.from, going.goal, remaining.front());
                going.later.assign(remaining.begin() + 1, remaining.end());
                going.phase = move_phase::holding;
                if (auto ok = commit(next); !ok) {
                    return tl::unexpected(ok.error());
                }
                eddy::log().info("rescale: {} round {} of {} done (version {}, {} key groups)",
                                 name, round, round + remaining.size(), version, moved);
                break;
            }
        }
    }
}

void coordinator::resume_moves() {
    std::lock_guard change(_change_mu);
    std::vector<std::string> moving;
    {
        std::lock_guard lock(_state_mu);
        for (const auto& c : _state.computations) {
            if (c.move) {
                moving.push_back(c.spec.name);
            }
        }
    }
    for (const auto& name : moving) {
        eddy::log().info("rescale: resuming the move of {}", name);
        auto done = run_move(name);
        if (!done) {
            eddy::log().error("{}", done.error().message);
            continue;
        }
        for (const auto& r : *done) {
            eddy::log().info("rescale: {} round {}: {} key groups held {:.0f} ms", name, r.round,
                             r.key_groups, r.pause_ms);
        }
    }
}

}  // namespace eddy::control
