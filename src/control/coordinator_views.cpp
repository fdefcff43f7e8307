// What the coordinator shows: computations, instances, streams, the graph,
// its own status, logs, and the counters it scrapes from the executors.

#include "coordinator.hpp"

#include <unistd.h>

#include <set>

namespace eddy::control {

namespace {
using json = nlohmann::json;
}  // namespace

std::string coordinator::status_of(const computation_record& record) const {
    bool all_finished = !record.instances.empty();
    std::string worst = "running";
    for (const auto& i : record.instances) {
        const auto s = _fleet.status(i);
        if (!s) {
            all_finished = false;
            worst = worst == "running" ? "starting" : worst;
            continue;
        }
        switch (s->state) {
            case agent::process_state::failed:
                return "failed";
            case agent::process_state::backing_off:
                worst = "restarting";
                all_finished = false;
                break;
            case agent::process_state::finished:
                break;
            default:
                all_finished = false;
                break;
        }
    }
    return all_finished ? "finished" : worst;
}

namespace {
std::uint32_t moving_groups(const move_record& move) {
    std::uint32_t n = 0;
    for (const auto& m : moves_between(move.from, move.to)) {
        n += m.range.size();
    }
    return n;
}
}  // namespace

json coordinator::describe(const computation_record& record) const {
    json run = record.spec.builtin.empty() ? json{{"library", record.spec.library.string()},
                                                  {"class", record.spec.class_name}}
                                           : json{{"builtin", record.spec.builtin}};
    json inputs = json::array();
    for (const auto& sub : record.spec.inputs) {
        inputs.push_back({{"stream", sub.stream}, {"grouping", to_string(sub.by)}});
    }
    std::string last_error;
    std::uint64_t restarts = 0;
    for (const auto& i : record.instances) {
        if (const auto s = _fleet.status(i); s) {
            restarts += s->restarts;
            if (!s->last_error.empty()) {
                last_error = s->last_error;
            }
        }
    }
    json metrics;
    {
        std::lock_guard lock(_rates_mu);
        metrics = computation_metrics(record);
    }
    metrics["restarts"] = restarts;
    json described{{"name", record.spec.name},
                   {"status", status_of(record)},
                   {"instances", record.instances.size()},
                   {"delivery", to_string(record.spec.delivery)},
                   {"run", run},
                   {"inputs", inputs},
                   {"outputs", record.spec.outputs},
                   {"generation", record.generation},
                   {"last_error", last_error},
                   {"move", record.move ? json{{"version", record.move->version},
                                               {"phase", to_string(record.move->phase)},
                                               {"key_groups", moving_groups(*record.move)},
                                               {"instances", record.move->target}}
                                        : json(nullptr)}};
    described.update(metrics);
    return described;
}

json coordinator::computations() const {
    std::lock_guard lock(_state_mu);
    json list = json::array();
    for (const auto& c : _state.computations) {
        list.push_back(describe(c));
    }
    return json{{"computations", list}};
}

api_result coordinator::computation(const std::string& name) const {
    json described;
    {
        std::lock_guard lock(_state_mu);
        const auto* record = _state.find(name);
        if (record == nullptr) {
            return tl::unexpected(api_error{404, "no computation named '" + name + "'"});
        }
        described = describe(*record);
    }
    json own = json::array();
    // Held in a local: a range over a member of the temporary would outlive it.
    const json all = instances();
    for (const auto& i : all.at("instances")) {
        if (i.value("computation", "") == name) {
            own.push_back(i);
        }
    }
    described["instance_list"] = own;
    return described;
}

json coordinator::instances() const {
    topology_state state;
    {
        std::lock_guard lock(_state_mu);
        state = _state;
    }
    json list = json::array();
    for (const auto& c : state.computations) {
        for (const auto& i : c.instances) {
            const auto s = _fleet.status(i);
            json counters = json::object();
            json metrics;
            {
                std::lock_guard lock(_rates_mu);
                if (auto r = _rates.find(i.id); r != _rates.end() && r->second.scraped()) {
                    const auto& last = r->second.last();
                    counters = {{"records_in", last.records_in},
                                {"records_out", last.records_out},
                                {"records_dropped", last.records_dropped},
                                {"bytes_in", last.bytes_in},
                                {"bytes_out", last.bytes_out},
                                {"queue_depth", last.queue_depth},
                                {"blocked_on_credit_seconds", last.blocked_seconds}};
                }
                metrics = instance_metrics(i);
            }
            json entry{{"computation", c.spec.name},
                       {"index", i.index},
                       {"id", i.id},
                       {"pid", s ? s->pid : -1},
                       {"state", s ? std::string(agent::to_string(s->state)) : "starting"},
                       {"restarts", s ? s->restarts : 0},
                       {"last_error", s ? s->last_error : ""},
                       {"endpoint", i.endpoint},
                       {"host", _fleet.host_of(i)},
                       {"counters", counters}};
            entry.update(metrics);
            list.push_back(std::move(entry));
        }
    }
    return json{{"instances", list}};
}

json coordinator::streams() const {
    std::lock_guard lock(_state_mu);
    std::map<std::string, std::pair<json, json>> by_stream;
    for (const auto& c : _state.computations) {
        for (const auto& out : c.spec.outputs) {
            auto& entry = by_stream[out];
            if (entry.first.is_null()) {
                entry = {json::array(), json::array()};
            }
            entry.first.push_back(c.spec.name);
        }
        for (const auto& sub : c.spec.inputs) {
            auto& entry = by_stream[sub.stream];
            if (entry.first.is_null()) {
                entry = {json::array(), json::array()};
            }
            entry.second.push_back({{"computation", c.spec.name}, {"grouping", to_string(sub.by)}});
        }
    }
    json list = json::array();
    for (const auto& [name, entry] : by_stream) {
        list.push_back({{"name", name}, {"producers", entry.first}, {"subscribers", entry.second}});
    }
    return json{{"streams", list}};
}

json coordinator::graph() const {
    std::lock_guard lock(_state_mu);
    json nodes = json::array();
    json edges = json::array();
    for (const auto& c : _state.computations) {
        nodes.push_back(
            {{"name", c.spec.name}, {"instances", c.instances.size()}, {"status", status_of(c)}});
        for (const auto& out : c.spec.outputs) {
            for (const auto& d : _state.computations) {
                for (const auto& sub : d.spec.inputs) {
                    if (sub.stream == out) {
                        edges.push_back({{"from", c.spec.name},
                                         {"to", d.spec.name},
                                         {"stream", out},
                                         {"grouping", to_string(sub.by)}});
                    }
                }
            }
        }
    }
    return json{{"nodes", nodes}, {"edges", edges}};
}

json coordinator::status() const {
    std::lock_guard lock(_state_mu);
    std::size_t count = 0;
    for (const auto& c : _state.computations) {
        count += c.instances.size();
    }
    const std::chrono::duration<double> up = std::chrono::steady_clock::now() - _started;
    auto hosts = _fleet.describe_hosts();
    hosts.update(json{{"version", "0.1.0"},
                      {"home", _home.string()},
                      {"pid", ::getpid()},
                      {"uptime_seconds", up.count()},
                      {"computations", _state.computations.size()},
                      {"instances", count},
                      {"epoch", _state.epoch}});
    return hosts;
}

api_result coordinator::logs(const std::string& name, std::uint32_t instance,
                             std::uint64_t offset) const {
    instance_record which;
    {
        std::lock_guard lock(_state_mu);
        const auto* record = _state.find(name);
        if (record == nullptr) {
            return tl::unexpected(api_error{404, "no computation named '" + name + "'"});
        }
        if (instance >= record->instances.size()) {
            return tl::unexpected(
                api_error{404, fmt::format("computation '{}' has no instance {}", name, instance)});
        }
        which = record->instances[instance];
    }
    // The file is named from a known computation name and an index, never
    // from the request; in cluster mode the agent running it serves it.
    auto chunk = _fleet.read_log(name, which, offset);
    if (!chunk) {
        return tl::unexpected(api_error{502, fmt::format("the log of {}[{}] cannot be read: {}",
                                                         name, instance, chunk.error())});
    }
    return std::move(*chunk);
}

void coordinator::refresh_counters() {
    topology_state state;
    {
        std::lock_guard lock(_state_mu);
        state = _state;
    }
    std::set<std::uint32_t> live;
    for (const auto& c : state.computations) {
        for (const auto& i : c.instances) {
            live.insert(i.id);
            // Spans first: a finished executor exits once its final metrics are scraped.
            if (auto spans = _fleet.spans(i)) {
                _traces.add_page(*spans, _fleet.host_of(i));
            }
            auto scraped = _fleet.scrape(i);
            const auto status = scraped ? std::nullopt : _fleet.status(i);
            const auto now = std::chrono::steady_clock::now();
            std::lock_guard lock(_rates_mu);
            auto& window = _rates[i.id];
            if (scraped) {
                window.update(std::move(*scraped), now);
            } else if (status && status->state != agent::process_state::running) {
                window.quiet();  // finished, failed or restarting: nothing flows
            } else {
                ++_scrape_failures;
            }
        }
    }
    std::lock_guard lock(_rates_mu);
    std::erase_if(_rates, [&](const auto& item) { return !live.contains(item.first); });
}

}  // namespace eddy::control
