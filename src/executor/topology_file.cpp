#include "topology_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace eddy::executor {

using json = nlohmann::json;

namespace {

// The member `name` of `object`, or `fallback` when absent. A reference, not
// a copy (json::value copies, and iterating a copied temporary is wasteful).
const json& member(const json& object, const char* name, const json& fallback) {
    const auto found = object.find(name);
    return found == object.end() ? fallback : *found;
}

const json empty_array = json::array();
const json empty_object = json::object();

// Reads one computation; throws std::invalid_argument with the field's path.
computation_entry read_computation(const json& item, std::size_t position,
                                   std::uint32_t max_key_groups) {
    auto where = [&](std::string_view field) {
        const auto name = item.is_object() && item.contains("name") && item["name"].is_string()
                              ? item["name"].get<std::string>()
                              : "#" + std::to_string(position);
        return fmt::format("computation '{}': {}", name, field);
    };
    if (!item.is_object()) {
        throw std::invalid_argument(where("must be an object"));
    }
    computation_entry entry;
    if (!item.contains("name") || !item["name"].is_string() ||
        item["name"].get<std::string>().empty()) {
        throw std::invalid_argument(where("'name' must be a non-empty string"));
    }
    entry.name = item["name"].get<std::string>();
    const json& run = member(item, "run", empty_object);
    if (run.contains("builtin") && run["builtin"].is_string()) {
        entry.builtin = run["builtin"].get<std::string>();
    } else if (run.contains("library") && run["library"].is_string() && run.contains("class") &&
               run["class"].is_string()) {
        entry.library = run["library"].get<std::string>();
        entry.class_name = run["class"].get<std::string>();
    } else if (run.contains("command") && run["command"].is_array()) {
        for (const auto& word : run["command"]) {
            if (!word.is_string()) {
                throw std::invalid_argument(where("'run.command' must be a list of strings"));
            }
            entry.command.push_back(word.get<std::string>());
        }
        entry.attach = run.value("attach", false);
        if (entry.command.empty() && !entry.attach) {
            throw std::invalid_argument(
                where("'run.command' is empty and 'run.attach' is not set"));
        }
        entry.workdir = run.value("workdir", std::string());
        const auto timeout = run.value("timeout_ms", json(30'000u));
        if (!timeout.is_number_unsigned() || timeout.get<std::uint64_t>() == 0) {
            throw std::invalid_argument(where("'run.timeout_ms' must be a positive integer"));
        }
        entry.timeout_ms = timeout.get<std::uint64_t>();
    } else {
        throw std::invalid_argument(
            where("'run' must be {\"builtin\": NAME}, {\"library\": PATH, \"class\": NAME} or "
                  "{\"command\": [PROGRAM, ARGS...]}"));
    }
    const auto instances = item.value("instances", json(1u));
    if (!instances.is_number_unsigned() || instances.get<std::uint64_t>() == 0 ||
        instances.get<std::uint64_t>() > 65536) {
        throw std::invalid_argument(where("'instances' must be an integer from 1 to 65536"));
    }
    entry.instances = instances.get<std::uint32_t>();
    const json& inputs = member(item, "inputs", empty_array);
    const json& outputs = member(item, "outputs", empty_array);
    const json& config = member(item, "config", empty_object);
    if (!inputs.is_array() || !outputs.is_array() || !config.is_object()) {
        throw std::invalid_argument(
            where("'inputs' and 'outputs' must be lists and 'config' an object"));
    }
    for (const auto& input : inputs) {
        if (!input.is_object() || !input.contains("stream") || !input["stream"].is_string()) {
            throw std::invalid_argument(where("every input needs a 'stream' string"));
        }
        subscription sub{input["stream"].get<std::string>(), grouping::shuffle};
        const auto by = input.value("grouping", std::string("shuffle"));
        const auto parsed = parse_grouping(by);
        if (!parsed) {
            throw std::invalid_argument(
                where("grouping '" + by + "' is not one of key, shuffle, broadcast"));
        }
        sub.by = *parsed;
        entry.inputs.push_back(std::move(sub));
    }
    for (const auto& output : outputs) {
        if (!output.is_string()) {
            throw std::invalid_argument(where("'outputs' must be a list of stream names"));
        }
        entry.outputs.push_back(output.get<std::string>());
    }
    const auto delivery = item.value("delivery", std::string("at_most_once"));
    const auto mode = parse_delivery_mode(delivery);
    if (!mode) {
        throw std::invalid_argument(where("delivery '" + delivery +
                                          "' is not one of at_most_once, at_least_once, "
                                          "exactly_once"));
    }
    entry.delivery = *mode;
    for (const auto& [key, value] : config.items()) {
        if (!value.is_string()) {
            throw std::invalid_argument(where("config '" + key + "' must be a string"));
        }
        entry.config.emplace(key, value.get<std::string>());
    }
    const json& endpoints = member(item, "endpoints", empty_array);
    if (!endpoints.is_array() || endpoints.size() != entry.instances) {
        throw std::invalid_argument(where(
            fmt::format("'endpoints' must list one address per instance ({})", entry.instances)));
    }
    for (const auto& address : endpoints) {
        if (!address.is_string()) {
            throw std::invalid_argument(where("every endpoint must be a string"));
        }
        auto parsed = transport::endpoint::parse(address.get<std::string>());
        if (!parsed) {
            throw std::invalid_argument(where(parsed.error().message));
        }
        entry.endpoints.push_back(std::move(*parsed));
    }
    const json& ids = member(item, "ids", empty_array);
    if (!ids.is_array() || (!ids.empty() && ids.size() != entry.instances)) {
        throw std::invalid_argument(where(
            fmt::format("'ids' must list one instance id per instance ({})", entry.instances)));
    }
    for (const auto& id : ids) {
        if (!id.is_number_unsigned() || id.get<std::uint64_t>() >= UINT32_MAX) {
            throw std::invalid_argument(where("every id must be an integer from 0 to 2^32-2"));
        }
        entry.ids.push_back(instance_id(id.get<std::uint32_t>()));
    }
    const json& key_groups = member(item, "key_groups", empty_array);
    if (!key_groups.is_array() || (!key_groups.empty() && key_groups.size() != entry.instances)) {
        throw std::invalid_argument(where(fmt::format(
            "'key_groups' must list the ranges of each instance ({})", entry.instances)));
    }
    if (!key_groups.empty()) {
        std::vector<std::vector<key_group_range>> ranges;
        for (const auto& owned : key_groups) {
            auto& mine = ranges.emplace_back();
            for (const auto& range : owned) {
                if (!range.is_array() || range.size() != 2 || !range[0].is_number_unsigned() ||
                    !range[1].is_number_unsigned()) {
                    throw std::invalid_argument(
                        where("every key group range must be [first, last]"));
                }
                mine.push_back({key_group(range[0].get<std::uint32_t>()),
                                key_group(range[1].get<std::uint32_t>())});
            }
        }
        try {
            entry.assignment = key_assignment::from_ranges(ranges, max_key_groups);
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(where(std::string("'key_groups': ") + e.what()));
        }
    }
    const auto version = item.value("assignment_version", json(0u));
    const auto state_version = item.value("state_version", json(1u));
    if (!version.is_number_unsigned() || !state_version.is_number_unsigned() ||
        state_version.get<std::uint64_t>() == 0 ||
        state_version.get<std::uint64_t>() > UINT32_MAX) {
        throw std::invalid_argument(
            where("'assignment_version' and 'state_version' must be integers (>= 1)"));
    }
    entry.assignment_version = version.get<std::uint64_t>();
    entry.state_version = state_version.get<std::uint32_t>();
    for (const auto& id : member(item, "hold", empty_array)) {
        if (!id.is_number_unsigned() ||
            std::find(entry.ids.begin(), entry.ids.end(), instance_id(id.get<std::uint32_t>())) ==
                entry.ids.end()) {
            throw std::invalid_argument(where("'hold' must list ids of its own instances"));
        }
        entry.hold.push_back(instance_id(id.get<std::uint32_t>()));
    }
    return entry;
}

}  // namespace

executor_result<topology_document> parse_topology(std::string_view json_text) {
    const auto parsed = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        return fail(executor_errc::bad_topology, "topology: not a JSON object");
    }
    topology_document topology;
    try {
        const auto epoch = parsed.value("epoch", json(0u));
        if (!epoch.is_number_unsigned()) {
            return fail(executor_errc::bad_topology, "topology: 'epoch' must be an integer >= 0");
        }
        topology.epoch = topology_epoch(epoch.get<std::uint64_t>());
        const auto groups = parsed.value("max_key_groups", json(4096u));
        if (!groups.is_number_unsigned() || groups.get<std::uint64_t>() == 0 ||
            groups.get<std::uint64_t>() > (1u << 20)) {
            return fail(executor_errc::bad_topology,
                        "topology: 'max_key_groups' must be an integer from 1 to 1048576");
        }
        topology.max_key_groups = groups.get<std::uint32_t>();
        const json& computations = member(parsed, "computations", empty_array);
        if (!computations.is_array() || computations.empty()) {
            return fail(executor_errc::bad_topology,
                        "topology: 'computations' must be a non-empty list");
        }
        std::set<std::string> names;
        std::set<std::string> addresses;
        std::set<instance_id> ids;
        bool explicit_ids = false;
        for (std::size_t i = 0; i < computations.size(); ++i) {
            auto entry = read_computation(computations[i], i, topology.max_key_groups);
            if (!names.insert(entry.name).second) {
                return fail(executor_errc::bad_topology, "topology: computation '{}' appears twice",
                            entry.name);
            }
            for (const auto& address : entry.endpoints) {
                if (!addresses.insert(address.to_string()).second &&
                    !(address.type == transport::endpoint::kind::tcp && address.port == 0)) {
                    return fail(executor_errc::bad_topology,
                                "topology: computation '{}': endpoint {} is used twice", entry.name,
                                address.to_string());
                }
            }
            if (topology.computations.empty()) {
                explicit_ids = !entry.ids.empty();
            } else if (explicit_ids != !entry.ids.empty()) {
                return fail(executor_errc::bad_topology,
                            "topology: computation '{}': either every computation lists its "
                            "'ids' or none does",
                            entry.name);
            }
            for (const auto id : entry.ids) {
                if (!ids.insert(id).second) {
                    return fail(executor_errc::bad_topology,
                                "topology: computation '{}': instance id {} is used twice",
                                entry.name, id);
                }
            }
            topology.computations.push_back(std::move(entry));
        }
        if (!explicit_ids) {
            std::uint32_t next = 0;
            for (auto& entry : topology.computations) {
                for (std::uint32_t n = 0; n < entry.instances; ++n) {
                    entry.ids.push_back(instance_id(next++));
                }
            }
        }
    } catch (const std::exception& e) {
        // nlohmann's type errors on a field of the wrong type, and our own.
        return fail(executor_errc::bad_topology, "topology: {}", e.what());
    }
    return topology;
}

std::string to_json(const topology_document& topology) {
    json computations = json::array();
    for (const auto& entry : topology.computations) {
        json item;
        item["name"] = entry.name;
        if (!entry.builtin.empty()) {
            item["run"] = json{{"builtin", entry.builtin}};
        } else if (!entry.library.empty()) {
            item["run"] = json{{"library", entry.library}, {"class", entry.class_name}};
        } else {
            item["run"] = json{{"command", entry.command},
                               {"workdir", entry.workdir},
                               {"attach", entry.attach},
                               {"timeout_ms", entry.timeout_ms}};
        }
        item["instances"] = entry.instances;
        json inputs = json::array();
        for (const auto& sub : entry.inputs) {
            inputs.push_back({{"stream", sub.stream}, {"grouping", to_string(sub.by)}});
        }
        item["inputs"] = inputs;
        item["outputs"] = entry.outputs;
        item["delivery"] = to_string(entry.delivery);
        item["config"] = json(entry.config);
        json endpoints = json::array();
        for (const auto& address : entry.endpoints) {
            endpoints.push_back(address.to_string());
        }
        item["endpoints"] = endpoints;
        json ids = json::array();
        for (const auto id : entry.ids) {
            ids.push_back(id.value());
        }
        item["ids"] = ids;
        if (!entry.assignment.empty()) {
            json key_groups = json::array();
            for (std::uint32_t i = 0; i < entry.assignment.instances(); ++i) {
                json owned = json::array();
                for (const auto& r : entry.assignment.ranges_of(i)) {
                    owned.push_back({r.first.value(), r.last.value()});
                }
                key_groups.push_back(std::move(owned));
            }
            item["key_groups"] = std::move(key_groups);
        }
        item["assignment_version"] = entry.assignment_version;
        item["state_version"] = entry.state_version;
        if (!entry.hold.empty()) {
            json hold = json::array();
            for (const auto id : entry.hold) {
                hold.push_back(id.value());
            }
            item["hold"] = std::move(hold);
        }
        computations.push_back(std::move(item));
    }
    return json{{"epoch", topology.epoch.value()},
                {"max_key_groups", topology.max_key_groups},
                {"computations", computations}}
        .dump(2);
}

}  // namespace eddy::executor
