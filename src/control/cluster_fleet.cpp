#include "cluster_fleet.hpp"

#include "base/log.hpp"
#include "instance_logs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

namespace eddy::control {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string agent_node(const std::string& agent) {
    return std::string(cluster::agents_path) + "/" + agent;
}

std::string placements_node(const std::string& agent) {
    return std::string(cluster::placements_path) + "/" + agent;
}

std::string status_node(const std::string& agent, std::uint32_t id) {
    return std::string(cluster::status_path) + "/" + agent + "/" + std::to_string(id);
}

}  // namespace

cluster_fleet::cluster_fleet(metadata_store& store, cluster_fleet_options options)
    : _store(store),
      _home(std::move(options.home)),
      _token(std::move(options.token)),
      _handoff_dir(options.handoff_dir.empty() ? _home / "handoff"
                                               : std::move(options.handoff_dir)) {
    std::filesystem::create_directories(run_dir());
}

metadata_result<void> cluster_fleet::load() {
    for (const auto path : {cluster::agents_path, cluster::placements_path, cluster::status_path}) {
        if (auto ok = cluster::ensure_path(_store, path); !ok) {
            return ok;
        }
    }
    auto agents = _store.children(cluster::placements_path);
    if (!agents) {
        return tl::unexpected(agents.error());
    }
    std::map<std::uint32_t, placement> loaded;
    for (const auto& agent : *agents) {
        auto node = _store.get(placements_node(agent));
        if (!node) {
            return tl::unexpected(node.error());
        }
        if (node->data.empty()) {
            continue;
        }
        for (auto& p : cluster::placements_from_json(json::parse(node->data))) {
            const auto id = p.id;
            loaded[id] = placement{agent, std::move(p)};
        }
    }
    std::lock_guard lock(_mu);
    _placements = std::move(loaded);
    return {};
}

std::vector<cluster::agent_info> cluster_fleet::agents() const {
    std::vector<cluster::agent_info> out;
    auto names = _store.children(cluster::agents_path);
    if (!names) {
        return out;
    }
    for (const auto& name : *names) {
        if (auto node = _store.get(agent_node(name))) {
            auto parsed = json::parse(node->data, nullptr, false);
            if (!parsed.is_discarded()) {
                out.push_back(cluster::agent_from_json(parsed));
            }
        }
    }
    return out;
}

nlohmann::json cluster_fleet::describe_hosts() const {
    json agents = json::array();
    for (const auto& a : this->agents()) {
        std::size_t placed = 0;
        {
            std::lock_guard lock(_mu);
            for (const auto& [id, p] : _placements) {
                placed += p.agent == a.name ? 1 : 0;
            }
        }
        auto item = cluster::to_json(a);
        item["instances"] = placed;
        agents.push_back(std::move(item));
    }
    return {{"mode", "cluster"}, {"agents", agents}};
}

std::optional<std::string> cluster_fleet::agent_of(std::uint32_t instance_id) const {
    std::lock_guard lock(_mu);
    if (auto it = _placements.find(instance_id); it != _placements.end()) {
        return it->second.agent;
    }
    if (auto it = _pending.find(instance_id); it != _pending.end()) {
        return it->second.agent;
    }
    return std::nullopt;
}

void cluster_fleet::write_document(const std::string& document) {
    auto parsed = json::parse(document);
    for (const auto& computation : parsed.at("computations")) {
        const auto& run = computation.at("run");
        if (!run.contains("library")) {
            continue;
        }
        const std::filesystem::path library = run.at("library").get<std::string>();
        if (cluster::artifact_hash(library)) {
            if (auto ok = cluster::publish_artifact(_store, library); !ok) {
                eddy::log().error("cluster: {}", ok.error());
            }
        }
    }
    auto written = _store.set(cluster::document_path, document, any_version);
    if (!written && written.error().kind == metadata_errc::no_node) {
        written = _store.create(cluster::document_path, document, node_kind::persistent)
                      .map([](auto version) { return version; });
    }
    if (!written) {
        throw std::runtime_error("cluster: cannot publish the executor document: " +
                                 written.error().message);
    }
}

std::string cluster_fleet::place(const computation_record& computation, std::uint32_t instance_id) {
    const auto live = agents();
    if (live.empty()) {
        throw std::runtime_error("cluster: no agent is registered: nowhere to run instance " +
                                 std::to_string(instance_id));
    }
    std::lock_guard lock(_mu);
    // Count what each agent runs (placed or about to be).
    std::map<std::string, std::pair<int, int>> load;  // agent → (this computation, all)
    std::map<std::string, std::set<int>> ports;
    std::map<std::string, std::pair<double, std::uint64_t>> used;  // agent → (cpu, memory)
    const auto count = [&](const placement& p) {
        auto& [mine, all] = load[p.agent];
        ++all;
        if (p.instance.computation == computation.spec.name) {
            ++mine;
        }
        used[p.agent].first += p.instance.cpu;
        used[p.agent].second += p.instance.memory;
        const auto colon = p.instance.endpoint.rfind(':');
        ports[p.agent].insert(std::stoi(p.instance.endpoint.substr(colon + 1)));
    };
    for (const auto& [id, p] : _placements) {
        count(p);
    }
    for (const auto& [id, p] : _pending) {
        count(p);
    }
    // Only agents with room for what the manifest requests (an agent that
    // declares nothing has room for anything).
    const auto& wants = computation.spec.resources;
    const auto fits = [&](const cluster::agent_info& a) {
        const auto& [cpu, memory] = used[a.name];
        return (a.cpu <= 0 || cpu + wants.cpu <= a.cpu + 1e-9) &&
               (a.memory == 0 || memory + wants.memory_bytes <= a.memory);
    };
    const cluster::agent_info* best = nullptr;
    for (const auto& a : live) {
        if (fits(a) && (best == nullptr || load[a.name] < load[best->name])) {
            best = &a;
        }
    }
    if (best == nullptr) {
        throw std::runtime_error(fmt::format(
            "cluster: no agent has room for an instance of '{}' (it requests {} cores and {} "
            "bytes of memory; {} agents are registered)",
            computation.spec.name, wants.cpu, wants.memory_bytes, live.size()));
    }
    int port = best->first_data_port;
    while (ports[best->name].contains(port)) {
        ++port;
    }
    if (port > best->last_data_port) {
        throw std::runtime_error(
            fmt::format("cluster: agent {} has no free data port left in {}-{}", best->name,
                        best->first_data_port, best->last_data_port));
    }
    std::uint32_t index = 0;
    for (const auto& i : computation.instances) {
        if (i.id == instance_id) {
            index = i.index;
        }
    }
    placement p{
        best->name,
        {instance_id, computation.spec.name, index, fmt::format("tcp://{}:{}", best->address, port),
         computation.spec.environment, 0, wants.cpu, wants.memory_bytes}};
    const auto endpoint = p.instance.endpoint;
    _pending[instance_id] = std::move(p);
    return endpoint;
}

void cluster_fleet::discard_placements(const std::vector<std::uint32_t>& instance_ids) {
    std::lock_guard lock(_mu);
    for (const auto id : instance_ids) {
        _pending.erase(id);
    }
}

bool cluster_fleet::write_placements(const std::string& agent) {
    std::vector<cluster::placed_instance> mine;
    for (const auto& [id, p] : _placements) {
        if (p.agent == agent) {
            mine.push_back(p.instance);
        }
    }
    const auto text = cluster::to_json(mine).dump();
    auto written = _store.set(placements_node(agent), text, any_version);
    if (!written && written.error().kind == metadata_errc::no_node) {
        written = _store.create(placements_node(agent), text, node_kind::persistent);
    }
    if (!written) {
        eddy::log().error("cluster: cannot write the placements of agent {}: {}", agent,
                          written.error().message);
        return false;
    }
    return true;
}

std::optional<cluster::instance_status> cluster_fleet::read_status(
    std::uint32_t instance_id) const {
    const auto agent = agent_of(instance_id);
    if (!agent) {
        return std::nullopt;
    }
    auto node = _store.get(status_node(*agent, instance_id));
    if (!node) {
        return std::nullopt;
    }
    auto parsed = json::parse(node->data, nullptr, false);
    if (parsed.is_discarded()) {
        return std::nullopt;
    }
    return cluster::status_from_json(parsed);
}

bool cluster_fleet::wait_for(
    const instance_record& instance, std::chrono::milliseconds timeout,
    const std::function<bool(const std::optional<cluster::instance_status>&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = 2ms;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done(read_status(instance.id))) {
            return true;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, 100ms);
    }
    return false;
}

void cluster_fleet::ensure_running(const computation_record& computation,
                                   const instance_record& instance,
                                   std::chrono::milliseconds timeout) {
    if (std::filesystem::exists(finished_marker(instance))) {
        return;  // its bounded input ended earlier: running it again would repeat it
    }
    {
        std::lock_guard lock(_mu);
        if (!_placements.contains(instance.id)) {
            auto pending = _pending.find(instance.id);
            if (pending == _pending.end()) {
                eddy::log().error("cluster: instance {} of {} was never placed", instance.id,
                                  computation.spec.name);
                return;
            }
            const auto agent = pending->second.agent;
            _placements[instance.id] = std::move(pending->second);
            _pending.erase(pending);
            if (!write_placements(agent)) {
                return;
            }
        }
    }
    const bool up = wait_for(instance, timeout, [](const auto& s) {
        return s && s->process.state == agent::process_state::running && s->admin_port > 0;
    });
    if (!up || !wait_healthy(instance, timeout, [] { return true; })) {
        eddy::log().warn("{}[{}] (instance {}) is not serving its admin interface yet",
                         computation.spec.name, instance.index, instance.id);
    }
}

void cluster_fleet::restart(const computation_record& computation, const instance_record& instance,
                            std::chrono::milliseconds timeout) {
    std::uint64_t wanted = 0;
    {
        std::lock_guard lock(_mu);
        auto it = _placements.find(instance.id);
        if (it == _placements.end()) {
            return;
        }
        it->second.instance.environment = computation.spec.environment;
        wanted = ++it->second.instance.restart;
        if (!write_placements(it->second.agent)) {
            return;
        }
    }
    if (!wait_for(instance, timeout, [&](const auto& s) {
            return s && s->restart == wanted && s->process.state == agent::process_state::running &&
                   s->admin_port > 0;
        })) {
        eddy::log().warn("{}[{}] did not come back within the timeout", computation.spec.name,
                         instance.index);
    }
}

void cluster_fleet::stop(const instance_record& instance, std::chrono::milliseconds grace) {
    {
        std::lock_guard lock(_mu);
        _pending.erase(instance.id);
        auto it = _placements.find(instance.id);
        if (it == _placements.end()) {
            return;
        }
        const auto agent = it->second.agent;
        _placements.erase(it);
        if (!write_placements(agent)) {
            return;
        }
        // The agent removes the status node once the executor has stopped;
        // the lookup below needs the agent's name a little longer.
        _pending[instance.id] = placement{agent, {}};
    }
    (void)wait_for(instance, grace + 5s, [](const auto& s) { return !s.has_value(); });
    std::lock_guard lock(_mu);
    _pending.erase(instance.id);
}

std::vector<agent::process_status> cluster_fleet::processes() const {
    std::vector<std::uint32_t> ids;
    {
        std::lock_guard lock(_mu);
        for (const auto& [id, p] : _placements) {
            ids.push_back(id);
        }
    }
    std::vector<agent::process_status> out;
    for (const auto id : ids) {
        if (auto s = read_status(id)) {
            out.push_back(s->process);
        }
    }
    return out;
}

std::optional<agent::process_status> cluster_fleet::status(const instance_record& instance) const {
    auto s = read_status(instance.id);
    if (!s) {
        if (std::filesystem::exists(finished_marker(instance))) {
            return agent::process_status{process_id(instance), agent::process_state::finished, -1,
                                         0, ""};
        }
        return std::nullopt;
    }
    if (s->process.state == agent::process_state::finished) {
        std::ofstream(finished_marker(instance)) << "0\n";  // remembered by this coordinator
    }
    return s->process;
}

std::filesystem::path cluster_fleet::log_path(std::string_view /*computation*/,
                                              std::uint32_t /*index*/) const {
    return {};  // on the agent's host
}

tl::expected<nlohmann::json, std::string> cluster_fleet::read_log(std::string_view computation,
                                                                  const instance_record& instance,
                                                                  std::uint64_t offset) const {
    const auto agent = agent_of(instance.id);
    if (!agent) {
        return tl::unexpected(std::string("it is not placed on any agent"));
    }
    auto node = _store.get(agent_node(*agent));
    if (!node) {
        return tl::unexpected(fmt::format("its agent {} is not registered", *agent));
    }
    auto parsed = json::parse(node->data, nullptr, false);
    if (parsed.is_discarded()) {
        return tl::unexpected(fmt::format("the registration of agent {} is not JSON", *agent));
    }
    const auto info = cluster::agent_from_json(parsed);
    if (info.admin_port == 0) {
        return tl::unexpected(fmt::format("agent {} serves no admin port", *agent));
    }
    return fetch_agent_log({.host = info.address,
                            .port = info.admin_port,
                            .token = _token,
                            .computation = std::string(computation),
                            .index = instance.index,
                            .offset = offset});
}

std::optional<admin_address> cluster_fleet::admin_of(const instance_record& instance) const {
    const auto agent = agent_of(instance.id);
    if (!agent) {
        return std::nullopt;
    }
    const auto s = read_status(instance.id);
    if (!s || s->admin_port <= 0) {
        return std::nullopt;
    }
    auto node = _store.get(agent_node(*agent));
    if (!node) {
        return std::nullopt;  // the agent is gone
    }
    auto parsed = json::parse(node->data, nullptr, false);
    if (parsed.is_discarded()) {
        return std::nullopt;
    }
    return admin_address{cluster::agent_from_json(parsed).address, s->admin_port};
}

}  // namespace eddy::control
