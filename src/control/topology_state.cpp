#include "topology_state.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>
#include <set>
#include <stdexcept>

namespace eddy::control {

using json = nlohmann::json;

const computation_record* topology_state::find(std::string_view name) const {
    for (const auto& c : computations) {
        if (c.spec.name == name) {
            return &c;
        }
    }
    return nullptr;
}

computation_record* topology_state::find(std::string_view name) {
    for (auto& c : computations) {
        if (c.spec.name == name) {
            return &c;
        }
    }
    return nullptr;
}

std::string_view to_string(move_phase phase) {
    switch (phase) {
        case move_phase::holding:
            return "holding";
        case move_phase::exporting:
            return "exporting";
        case move_phase::importing:
            return "importing";
        case move_phase::releasing:
            return "releasing";
    }
    return "unknown";
}

key_assignment computation_record::current_assignment(std::uint32_t max_key_groups) const {
    const auto listed = static_cast<std::uint32_t>(instances.size());
    if (move) {
        return move->to;
    }
    if (assignment.empty()) {
        return key_assignment::contiguous(listed, max_key_groups);
    }
    return assignment;
}

key_assignment with_groups_moved(const key_assignment& now, const key_assignment& goal,
                                 const std::vector<key_group_range>& groups) {
    auto owners = now.owners();
    for (const auto& r : groups) {
        for (auto g = r.first.value(); g < r.last.value(); ++g) {
            owners.at(g) = goal.owner(key_group(g));
        }
    }
    std::vector<std::vector<key_group_range>> ranges(std::max(now.instances(), goal.instances()));
    for (std::uint32_t g = 0; g < owners.size(); ++g) {
        auto& mine = ranges[owners[g]];
        if (!mine.empty() && mine.back().last == key_group(g)) {
            mine.back().last = key_group(g + 1);
        } else {
            mine.push_back({key_group(g), key_group(g + 1)});
        }
    }
    return key_assignment::from_ranges(ranges, now.max_key_groups());
}

namespace {

std::vector<key_group_range> ranges_of_groups(std::vector<std::uint32_t> groups) {
    std::sort(groups.begin(), groups.end());
    std::vector<key_group_range> out;
    for (const auto g : groups) {
        if (!out.empty() && out.back().last == key_group(g)) {
            out.back().last = key_group(g + 1);
        } else {
            out.push_back({key_group(g), key_group(g + 1)});
        }
    }
    return out;
}

}  // namespace

std::vector<std::vector<key_group_range>> plan_rounds(const key_assignment& from,
                                                      const key_assignment& goal,
                                                      const std::vector<std::uint64_t>& group_bytes,
                                                      round_limits limits) {
    const auto cap = std::max<std::uint32_t>(1, limits.key_groups);
    std::vector<std::uint32_t> stateful;
    std::vector<std::uint32_t> stateless;
    for (const auto& m : moves_between(from, goal)) {
        for (auto g = m.range.first.value(); g < m.range.last.value(); ++g) {
            (g < group_bytes.size() && group_bytes[g] > 0 ? stateful : stateless).push_back(g);
        }
    }
    // First fit, largest first: few rounds, and a group larger than the
    // budget goes alone.
    std::stable_sort(stateful.begin(), stateful.end(), [&](std::uint32_t a, std::uint32_t b) {
        return group_bytes[a] > group_bytes[b];
    });
    struct round {
        std::uint64_t bytes = 0;
        std::vector<std::uint32_t> groups;
    };
    std::vector<round> rounds;
    for (const auto g : stateful) {
        const auto size = group_bytes[g];
        auto fits = std::find_if(rounds.begin(), rounds.end(), [&](const round& r) {
            return r.groups.size() < cap && r.bytes + size <= limits.bytes;
        });
        if (fits == rounds.end()) {
            fits = rounds.insert(rounds.end(), round{});
        }
        fits->bytes += size;
        fits->groups.push_back(g);
    }
    // Groups without state wait as long as the round they join: the
    // cheapest rounds first, then rounds of their own.
    std::vector<std::size_t> cheapest(rounds.size());
    std::iota(cheapest.begin(), cheapest.end(), std::size_t{0});
    std::stable_sort(cheapest.begin(), cheapest.end(), [&](std::size_t a, std::size_t b) {
        return rounds[a].bytes < rounds[b].bytes;
    });
    std::size_t next = 0;
    for (const auto g : stateless) {
        while (next < cheapest.size() && rounds[cheapest[next]].groups.size() >= cap) {
            ++next;
        }
        if (next == cheapest.size()) {
            cheapest.push_back(rounds.size());
            rounds.emplace_back();
        }
        rounds[cheapest[next]].groups.push_back(g);
    }
    std::vector<std::vector<key_group_range>> out;
    out.reserve(rounds.size());
    for (auto& r : rounds) {
        out.push_back(ranges_of_groups(std::move(r.groups)));
    }
    return out;
}

bool computation_record::keyed() const {
    return std::any_of(spec.inputs.begin(), spec.inputs.end(),
                       [](const subscription& s) { return s.by == grouping::key; });
}

namespace {

json assignment_json(const key_assignment& a) {
    json out = json::array();
    for (std::uint32_t i = 0; i < a.instances(); ++i) {
        json owned = json::array();
        for (const auto& r : a.ranges_of(i)) {
            owned.push_back({r.first.value(), r.last.value()});
        }
        out.push_back(std::move(owned));
    }
    return out;
}

key_assignment assignment_from(const json& list, std::uint32_t max_key_groups) {
    std::vector<std::vector<key_group_range>> ranges;
    for (const auto& owned : list) {
        auto& mine = ranges.emplace_back();
        for (const auto& r : owned) {
            mine.push_back(
                {key_group(r.at(0).get<std::uint32_t>()), key_group(r.at(1).get<std::uint32_t>())});
        }
    }
    return key_assignment::from_ranges(ranges, max_key_groups);
}

json ranges_json(const std::vector<key_group_range>& ranges) {
    json out = json::array();
    for (const auto& r : ranges) {
        out.push_back({r.first.value(), r.last.value()});
    }
    return out;
}

std::vector<key_group_range> ranges_from_json(const json& list) {
    std::vector<key_group_range> out;
    for (const auto& r : list) {
        out.push_back(
            {key_group(r.at(0).get<std::uint32_t>()), key_group(r.at(1).get<std::uint32_t>())});
    }
    return out;
}

move_phase phase_from(const std::string& text) {
    for (const auto p : {move_phase::holding, move_phase::exporting, move_phase::importing,
                         move_phase::releasing}) {
        if (to_string(p) == text) {
            return p;
        }
    }
    throw std::invalid_argument("unknown move phase '" + text + "'");
}

}  // namespace

void topology_state::add_instances(computation_record& computation, std::uint32_t count,
                                   const std::filesystem::path& run_dir) {
    const auto first_index = static_cast<std::uint32_t>(computation.instances.size());
    for (std::uint32_t n = 0; n < count; ++n) {
        const std::uint32_t id = next_instance_id++;
        // Short names: a Unix socket path must fit in 107 bytes.
        computation.instances.push_back(
            {id, first_index + n, "unix:" + (run_dir / (std::to_string(id) + ".sock")).string()});
    }
}

std::string to_json_text(const topology_state& state) {
    json computations = json::array();
    for (const auto& c : state.computations) {
        json instances = json::array();
        for (const auto& i : c.instances) {
            instances.push_back({{"id", i.id}, {"index", i.index}, {"endpoint", i.endpoint}});
        }
        json spec;
        to_json(spec, c.spec);
        json item{{"spec", spec}, {"instances", instances}, {"generation", c.generation}};
        if (!c.assignment.empty()) {
            item["key_groups"] = assignment_json(c.assignment);
        }
        item["assignment_version"] = c.assignment_version;
        if (c.move) {
            json later = json::array();
            for (const auto& groups : c.move->later) {
                later.push_back(ranges_json(groups));
            }
            item["move"] = {{"version", c.move->version},
                            {"phase", to_string(c.move->phase)},
                            {"from", assignment_json(c.move->from)},
                            {"to", assignment_json(c.move->to)},
                            {"target", c.move->target},
                            {"round", c.move->round},
                            {"later", later}};
            if (!c.move->goal.empty()) {
                item["move"]["goal"] = assignment_json(c.move->goal);
            }
        }
        computations.push_back(std::move(item));
    }
    return json{{"epoch", state.epoch},
                {"next_instance_id", state.next_instance_id},
                {"max_key_groups", state.max_key_groups},
                {"computations", computations}}
        .dump();
}

topology_state topology_from_json_text(std::string_view text) {
    const auto doc = json::parse(text);
    topology_state state;
    state.epoch = doc.at("epoch").get<std::uint64_t>();
    state.next_instance_id = doc.at("next_instance_id").get<std::uint32_t>();
    state.max_key_groups = doc.at("max_key_groups").get<std::uint32_t>();
    for (const auto& item : doc.at("computations")) {
        computation_record record;
        from_json(item.at("spec"), record.spec);
        record.generation = item.at("generation").get<std::uint64_t>();
        for (const auto& i : item.at("instances")) {
            record.instances.push_back({i.at("id").get<std::uint32_t>(),
                                        i.at("index").get<std::uint32_t>(),
                                        i.at("endpoint").get<std::string>()});
        }
        if (item.contains("key_groups")) {
            record.assignment = assignment_from(item["key_groups"], state.max_key_groups);
        }
        record.assignment_version = item.value("assignment_version", std::uint64_t{0});
        if (item.contains("move")) {
            const auto& m = item["move"];
            move_record move;
            move.version = m.at("version").get<std::uint64_t>();
            move.phase = phase_from(m.at("phase").get<std::string>());
            move.from = assignment_from(m.at("from"), state.max_key_groups);
            move.to = assignment_from(m.at("to"), state.max_key_groups);
            move.target = m.at("target").get<std::uint32_t>();
            // A move recorded before rescales ran in rounds is one round.
            move.goal =
                m.contains("goal") ? assignment_from(m["goal"], state.max_key_groups) : move.to;
            move.round = m.value("round", 1u);
            for (const auto& groups : m.value("later", json::array())) {
                move.later.push_back(ranges_from_json(groups));
            }
            record.move = std::move(move);
        }
        state.computations.push_back(std::move(record));
    }
    return state;
}

std::string render_executor_document(const topology_state& state) {
    json computations = json::array();
    for (const auto& c : state.computations) {
        json item;
        item["name"] = c.spec.name;
        if (!c.spec.builtin.empty()) {
            item["run"] = {{"builtin", c.spec.builtin}};
        } else if (!c.spec.command.empty() || c.spec.attach) {
            item["run"] = {{"command", c.spec.command},
                           {"workdir", c.spec.workdir.string()},
                           {"attach", c.spec.attach},
                           {"timeout_ms", c.spec.timeout_ms}};
        } else {
            item["run"] = {{"library", c.spec.library.string()}, {"class", c.spec.class_name}};
        }
        item["instances"] = c.instances.size();
        json inputs = json::array();
        for (const auto& sub : c.spec.inputs) {
            inputs.push_back({{"stream", sub.stream}, {"grouping", to_string(sub.by)}});
        }
        item["inputs"] = inputs;
        item["outputs"] = c.spec.outputs;
        item["delivery"] = to_string(c.spec.delivery);
        item["config"] = json(c.spec.config);
        json ids = json::array();
        json endpoints = json::array();
        for (const auto& i : c.instances) {
            ids.push_back(i.id);
            endpoints.push_back(i.endpoint);
        }
        item["ids"] = ids;
        item["endpoints"] = endpoints;
        item["state_version"] = c.spec.state_version;
        if (c.keyed()) {
            const auto owners = c.current_assignment(state.max_key_groups);
            if (!owners.is_contiguous()) {
                item["key_groups"] = assignment_json(owners);
            }
            item["assignment_version"] = c.move ? c.move->version : c.assignment_version;
            if (c.move && c.move->phase != move_phase::releasing) {
                // Upstreams hold what they route to instances gaining groups
                // until those have imported the state.
                json hold = json::array();
                for (const auto& i : c.instances) {
                    if (c.move->to.groups_of(i.index) > c.move->from.groups_of(i.index)) {
                        hold.push_back(i.id);
                    }
                }
                item["hold"] = std::move(hold);
            }
        }
        computations.push_back(std::move(item));
    }
    return json{{"epoch", state.epoch},
                {"max_key_groups", state.max_key_groups},
                {"computations", computations}}
        .dump(2);
}

std::vector<std::string> check_topology(const topology_state& state) {
    std::vector<std::string> problems;
    std::set<std::string> names;
    for (const auto& c : state.computations) {
        if (!names.insert(c.spec.name).second) {
            problems.push_back(
                fmt::format("a computation named '{}' is already deployed", c.spec.name));
        }
        std::set<std::string> subscribed;
        for (const auto& sub : c.spec.inputs) {
            if (!subscribed.insert(sub.stream).second) {
                problems.push_back(fmt::format("computation '{}' subscribes to stream '{}' twice",
                                               c.spec.name, sub.stream));
            }
        }
    }
    return problems;
}

}  // namespace eddy::control
