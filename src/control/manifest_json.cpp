// The JSON form of a computation_spec (manifest.hpp): what the coordinator
// keeps in the metadata store.

#include "control/manifest.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace eddy::control {

using json = nlohmann::json;

namespace {

template <class Enum, std::size_t N>
Enum enum_from(const json& value, const Enum (&choices)[N], const char* field) {
    const auto text = value.get<std::string>();
    for (const auto choice : choices) {
        if (to_string(choice) == text) {
            return choice;
        }
    }
    throw std::invalid_argument(std::string("computation JSON: bad ") + field + " '" + text + "'");
}

constexpr grouping groupings[] = {grouping::key, grouping::shuffle, grouping::broadcast};
constexpr delivery_mode deliveries[] = {delivery_mode::at_most_once, delivery_mode::at_least_once,
                                        delivery_mode::exactly_once};

}  // namespace

void to_json(json& out, const computation_spec& spec) {
    json run;
    if (!spec.builtin.empty()) {
        run = {{"builtin", spec.builtin}};
    } else if (!spec.command.empty() || spec.attach) {
        run = {{"command", spec.command},
               {"workdir", spec.workdir.string()},
               {"attach", spec.attach},
               {"timeout_ms", spec.timeout_ms}};
    } else {
        run = {{"library", spec.library.string()}, {"class", spec.class_name}};
    }
    json inputs = json::array();
    for (const auto& input : spec.inputs) {
        inputs.push_back({{"stream", input.stream}, {"grouping", to_string(input.by)}});
    }
    out = json{
        {"name", spec.name},
        {"run", std::move(run)},
        {"instances", spec.instances},
        {"inputs", std::move(inputs)},
        {"outputs", spec.outputs},
        {"delivery", to_string(spec.delivery)},
        {"config", spec.config},
        {"environment", spec.environment},
        {"resources", {{"cpu", spec.resources.cpu}, {"memory_bytes", spec.resources.memory_bytes}}},
        {"state_version", spec.state_version}};
}

void from_json(const json& in, computation_spec& spec) {
    spec = computation_spec{};
    spec.name = in.at("name").get<std::string>();
    const json& run = in.at("run");
    if (run.contains("builtin")) {
        spec.builtin = run.at("builtin").get<std::string>();
    } else if (run.contains("command")) {
        spec.command = run.at("command").get<std::vector<std::string>>();
        spec.workdir = run.value("workdir", std::string());
        spec.attach = run.value("attach", false);
        spec.timeout_ms = run.value("timeout_ms", std::uint64_t{30'000});
    } else if (run.contains("library")) {
        spec.library = run.at("library").get<std::string>();
        spec.class_name = run.at("class").get<std::string>();
    } else {
        throw std::invalid_argument("computation JSON: 'run' names no builtin, library or command");
    }
    spec.instances = in.at("instances").get<std::uint32_t>();
    for (const auto& input : in.at("inputs")) {
        spec.inputs.push_back({input.at("stream").get<std::string>(),
                               enum_from(input.at("grouping"), groupings, "grouping")});
    }
    spec.outputs = in.at("outputs").get<std::vector<std::string>>();
    spec.delivery = enum_from(in.at("delivery"), deliveries, "delivery");
    for (const auto& [key, value] : in.at("config").items()) {
        spec.config.emplace(key, value.get<std::string>());
    }
    for (const auto& [key, value] : in.at("environment").items()) {
        spec.environment.emplace(key, value.get<std::string>());
    }
    const json& resources = in.at("resources");
    spec.resources.cpu = resources.at("cpu").get<double>();
    spec.resources.memory_bytes = resources.at("memory_bytes").get<std::uint64_t>();
    spec.state_version = in.value("state_version", std::uint32_t{1});
}

}  // namespace eddy::control
