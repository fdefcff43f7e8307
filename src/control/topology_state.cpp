#include "topology_state.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <set>

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
        computations.push_back(
            {{"spec", spec}, {"instances", instances}, {"generation", c.generation}});
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
