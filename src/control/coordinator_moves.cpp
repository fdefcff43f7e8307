// Rescaling a key-grouped computation: the coordinator's side of a move of
// key groups between live instances (topology_state.hpp, move_record; the
// executors' side is src/executor/executor_handoff.cpp; docs/operations.md
// tells users what happens).
//
// The move is recorded in the stored topology before anything changes, and
// each phase is recorded before the next begins. Every step at an executor
// is idempotent for the move's version, so a step cut short (an executor or
// this coordinator killed) is simply run again: by the same request after the
// executor's restart, or by the next coordinator, which resumes every
// recorded move when it starts.

#include "base/log.hpp"
#include "coordinator.hpp"

#include <cstdlib>
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

// Runs every step on its own thread; the first failure, if any.
tl::expected<void, std::string> all_of(
    const std::vector<std::function<tl::expected<json, std::string>()>>& steps) {
    std::vector<tl::expected<json, std::string>> results(steps.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        threads.emplace_back([&, i] { results[i] = steps[i](); });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (auto& r : results) {
        if (!r) {
            return tl::unexpected(r.error());
        }
    }
    return {};
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
    const auto from = record->current_assignment(next.max_key_groups);
    const auto listed = std::max(current, instances);
    move_record move;
    move.version = record->assignment_version + 1;
    move.from = from.with_instances(listed);
    move.to = from.rebalanced(instances).with_instances(listed);
    move.target = instances;
    std::vector<std::uint32_t> fresh;
    if (instances > current) {
        next.add_instances(*record, instances - current, _fleet.run_dir());
        for (std::uint32_t n = current; n < instances; ++n) {
            fresh.push_back(record->instances[n].id);
        }
    }
    std::uint32_t moving = 0;
    for (const auto& m : moves_between(move.from, move.to)) {
        moving += m.range.size();
    }
    record->move = std::move(move);
    if (auto ok = commit(next); !ok) {
        return tl::unexpected(ok.error());
    }
    eddy::log().info("rescale: {} from {} to {} instances moves {} key groups (version {})", name,
                     current, instances, moving, record->move->version);
    // New instances first (they own nothing until they import); upstreams
    // learn of them in the holding phase.
    const computation_record scaled = *next.find(name);
    _fleet.write_document(render_executor_document(next));
    for (const auto& i : scaled.instances) {
        if (std::find(fresh.begin(), fresh.end(), i.id) != fresh.end()) {
            _fleet.ensure_running(scaled, i, start_timeout);
        }
    }
    // From the hold to the release: how long the moving groups wait.
    const auto began = std::chrono::steady_clock::now();
    if (auto moved = run_move(name); !moved) {
        return tl::unexpected(moved.error());
    }
    const auto pause =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
    return json{{"name", name},
                {"instances", instances},
                {"moved_key_groups", moving},
                {"pause_ms", pause}};
}

tl::expected<void, api_error> coordinator::run_move(const std::string& name) {
    const auto failed = [&](const std::string& why) {
        return tl::unexpected(api_error{
            503, fmt::format("the rescale of '{}' is not done: {}; it stays recorded and resumes "
                             "with the next coordinator start or scale of '{}'",
                             name, why, name)});
    };
    for (;;) {
        topology_state state;
        {
            std::lock_guard lock(_state_mu);
            state = _state;
        }
        const auto* record = state.find(name);
        if (record == nullptr || !record->move) {
            return {};
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
                // Upstreams route by the new assignment and hold what goes to
                // gaining instances; then wait until the losing instances have
                // committed everything routed to them before.
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
                std::vector<std::function<tl::expected<json, std::string>()>> steps;
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
                if (auto done = all_of(steps); !done) {
                    return failed(done.error());
                }
                if (auto ok = set_phase(name, move_phase::importing); !ok) {
                    return tl::unexpected(ok.error());
                }
                break;
            }
            case move_phase::importing: {
                std::vector<std::function<tl::expected<json, std::string>()>> steps;
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
                topology_state next = state;
                auto* done = next.find(name);
                const auto target = done->move->target;
                const std::vector<instance_record> removed(done->instances.begin() + target,
                                                           done->instances.end());
                done->instances.resize(target);
                done->assignment = done->move->to.with_instances(target);
                done->assignment_version = done->move->version;
                done->spec.instances = target;
                const auto version = done->move->version;
                done->move.reset();
                if (auto ok = commit(next); !ok) {
                    return tl::unexpected(ok.error());
                }
                // Upstreams send what they held and stop routing to removed
                // instances (everything sent to those is acknowledged); then
                // the removed instances drain and stop.
                push_all();
                for (const auto& i : removed) {
                    _fleet.stop(i, stop_grace);
                }
                std::error_code ignored;
                std::filesystem::remove_all(_fleet.handoff_dir() / name / std::to_string(version),
                                            ignored);
                eddy::log().info("rescale: {} now runs {} instances (assignment version {})", name,
                                 target, version);
                return {};
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
        if (auto done = run_move(name); !done) {
            eddy::log().error("{}", done.error().message);
        }
    }
}

}  // namespace eddy::control
