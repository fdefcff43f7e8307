#include "control/manifest.hpp"

#include "control/manifest_checks.hpp"

#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>

namespace eddy::control {

namespace fs = std::filesystem;
using manifest_detail::describe;
using manifest_detail::problem_log;
using manifest_detail::valid_identifier;
using manifest_detail::valid_name;

namespace {

constexpr std::uint32_t max_instances = 4096;

constexpr std::array<std::string_view, 15> computation_keys{
    "name",     "builtin", "library",     "class",     "command",
    "attach",   "timeout", "instances",   "inputs",    "outputs",
    "delivery", "config",  "environment", "resources", "state_version"};
constexpr std::array<std::string_view, 1> top_level_keys{"computations"};
constexpr std::array<std::string_view, 2> input_keys{"stream", "grouping"};
constexpr std::array<std::string_view, 2> resource_keys{"cpu", "memory"};
constexpr std::array<std::string_view, 9> builtins{"generator",   "stdout",       "file",
                                                   "file-source", "rolling-file", "postgres-sink",
                                                   "mysql-sink",  "kafka-source", "kafka-sink"};

// Reads one computation's map, reporting every problem of it. The spec it
// returns is only meaningful when nothing was reported.
class computation_reader {
public:
    computation_reader(const YAML::Node& item, std::size_t position, const fs::path& base_dir,
                       library_check check, problem_log& log)
        : _item(item), _base_dir(base_dir), _check(check), _log(log) {
        const auto name = item["name"];
        _owner = name.IsDefined() && name.IsScalar() && !name.Scalar().empty()
                     ? fmt::format("computation '{}': ", name.Scalar())
                     : fmt::format("computation #{}: ", position + 1);
    }

    computation_spec read() {
        manifest_detail::check_keys(_item, computation_keys, _owner, _log);
        read_name();
        read_run();
        read_instances();
        read_state_version();
        read_inputs();
        read_outputs();
        read_delivery();
        _spec.config = read_string_map("config", valid_name_any);
        check_tracing();
        _spec.environment = read_string_map("environment", valid_identifier);
        read_resources();
        return std::move(_spec);
    }

private:
    static bool valid_name_any(std::string_view name) { return !name.empty(); }

    template <class... Args>
    void problem(const YAML::Node& at, fmt::format_string<Args...> format, Args&&... args) {
        _log.add_message(at.IsDefined() ? at.Mark() : _item.Mark(),
                         _owner + fmt::format(format, std::forward<Args>(args)...));
    }

    // The scalar text of `field`, or nothing (reported) when it has another shape.
    std::optional<std::string> scalar(const YAML::Node& node, std::string_view field) {
        if (!node.IsScalar()) {
            problem(node, "'{}' must be a single value, not {}", field, describe(node));
            return std::nullopt;
        }
        return node.Scalar();
    }

    void read_name() {
        const auto node = _item["name"];
        if (!node.IsDefined()) {
            problem(node, "'name' is required");
        } else if (auto name = scalar(node, "name")) {
            if (!valid_name(*name)) {
                problem(node, "name '{}' may only contain letters, digits, '_', '.' and '-'",
                        *name);
            }
            _spec.name = std::move(*name);
        }
    }

    void read_run() {
        const auto builtin = _item["builtin"];
        const auto library = _item["library"];
        const auto class_name = _item["class"];
        const auto command = _item["command"];
        const auto attach = _item["attach"];
        const auto timeout = _item["timeout"];
        const bool program = command.IsDefined() || attach.IsDefined();
        const int ways = builtin.IsDefined() + library.IsDefined() + (program ? 1 : 0);
        if (ways == 0) {
            problem(_item, "say how to run it: 'builtin', 'library' with 'class', or 'command'");
        } else if (ways > 1) {
            const auto& second = command.IsDefined() ? command : library;
            problem(second, "'builtin', 'library' and 'command' are exclusive: choose one");
        }
        if (builtin.IsDefined()) {
            read_builtin(builtin);
        }
        if (library.IsDefined()) {
            read_library(library, class_name);
        } else if (class_name.IsDefined()) {
            problem(class_name, "'class' goes with 'library'");
        }
        if (command.IsDefined()) {
            read_command(command);
        }
        if (attach.IsDefined()) {
            read_attach(attach, command);
        }
        if (timeout.IsDefined()) {
            read_timeout(timeout, program);
        }
        if (program) {
            std::error_code ec;
            _spec.workdir = fs::absolute(_base_dir, ec).lexically_normal();
        }
    }

    void read_attach(const YAML::Node& node, const YAML::Node& command) {
        if (auto text = scalar(node, "attach")) {
            if (*text == "true" || *text == "True" || *text == "TRUE") {
                _spec.attach = true;
            } else if (*text != "false" && *text != "False" && *text != "FALSE") {
                problem(node, "'attach' must be true or false, not '{}'", *text);
            }
        }
        if (!_spec.attach && !command.IsDefined()) {
            problem(node, "'attach: false' needs a 'command' to start");
        }
    }

    void read_timeout(const YAML::Node& node, bool program) {
        if (!program) {
            problem(node, "'timeout' applies to a 'command' computation only");
            return;
        }
        if (auto text = scalar(node, "timeout")) {
            double seconds = 0;
            const auto [end, ec] =
                std::from_chars(text->data(), text->data() + text->size(), seconds);
            if (ec != std::errc() || end != text->data() + text->size() || !(seconds > 0) ||
                seconds > 86'400) {
                problem(node,
                        "'timeout' must be a number of seconds above 0 and at most 86400, "
                        "not '{}'",
                        *text);
            } else {
                _spec.timeout_ms = static_cast<std::uint64_t>(seconds * 1000 + 0.5);
            }
        }
    }

    void read_builtin(const YAML::Node& node) {
        auto name = scalar(node, "builtin");
        if (!name) {
            return;
        }
        if (std::find(builtins.begin(), builtins.end(), *name) == builtins.end()) {
            problem(node, "builtin '{}' is not one of {}", *name, fmt::join(builtins, ", "));
        }
        _spec.builtin = std::move(*name);
    }

    void read_library(const YAML::Node& node, const YAML::Node& class_node) {
        if (auto path = scalar(node, "library")) {
            std::error_code ec;
            const fs::path given(*path);
            _spec.library = fs::absolute(_base_dir / given, ec).lexically_normal();
            const auto status = fs::status(_spec.library, ec);
            if (path->empty()) {
                problem(node, "'library' must name a shared library");
            } else if (_check == library_check::skip) {
                // The libraries travel with the request (a deploy through the API).
            } else if (!fs::exists(status)) {
                problem(node, "library '{}' does not exist (looked for {})", *path,
                        _spec.library.string());
            } else if (!fs::is_regular_file(status)) {
                problem(node, "library '{}' is not a regular file ({})", *path,
                        _spec.library.string());
            }
        }
        if (!class_node.IsDefined()) {
            problem(node, "'library' needs 'class': the name the library exports");
        } else if (auto name = scalar(class_node, "class")) {
            if (!valid_identifier(*name)) {
                problem(class_node, "class '{}' is not a C++ identifier", *name);
            }
            _spec.class_name = std::move(*name);
        }
    }

    void read_command(const YAML::Node& node) {
        if (!node.IsSequence() || node.size() == 0) {
            problem(node, "'command' must be a non-empty list: the program and its arguments");
            return;
        }
        for (const auto& argument : node) {
            if (auto text = scalar(argument, "command")) {
                _spec.command.push_back(std::move(*text));
            }
        }
        if (!_spec.command.empty() && _spec.command.front().empty()) {
            problem(node, "'command' must start with a program");
        }
    }

    void read_state_version() {
        const auto node = _item["state_version"];
        if (!node.IsDefined()) {
            return;
        }
        if (auto text = scalar(node, "state_version")) {
            std::uint32_t version = 0;
            const auto [end, ec] =
                std::from_chars(text->data(), text->data() + text->size(), version);
            if (ec != std::errc() || end != text->data() + text->size() || version == 0) {
                problem(node, "'state_version' must be an integer of 1 or more, not '{}'", *text);
            } else {
                _spec.state_version = version;
            }
        }
    }

    void read_instances() {
        const auto node = _item["instances"];
        if (!node.IsDefined()) {
            return;
        }
        if (auto text = scalar(node, "instances")) {
            std::uint32_t count = 0;
            const auto [end, ec] =
                std::from_chars(text->data(), text->data() + text->size(), count);
            if (ec != std::errc() || end != text->data() + text->size() || count == 0 ||
                count > max_instances) {
                problem(node, "instances must be an integer from 1 to {}, not '{}'", max_instances,
                        *text);
            } else {
                _spec.instances = count;
            }
        }
        if ((_spec.builtin == "file" || _spec.builtin == "rolling-file") && _spec.instances != 1) {
            problem(node, "the built-in '{}' runs as exactly one instance", _spec.builtin);
        }
    }

    std::optional<grouping> read_grouping(const YAML::Node& node) {
        auto text = scalar(node, "grouping");
        if (!text) {
            return std::nullopt;
        }
        if (const auto by = parse_grouping(*text)) {
            return by;
        }
        problem(node, "grouping '{}' is not one of key, shuffle, broadcast", *text);
        return std::nullopt;
    }

    // A stream name: reported unless valid and not yet in `seen`.
    std::optional<std::string> read_stream(const YAML::Node& node, std::string_view field,
                                           std::set<std::string>& seen) {
        auto stream = scalar(node, field);
        if (!stream) {
            return std::nullopt;
        }
        if (!valid_name(*stream)) {
            problem(node, "stream name '{}' may only contain letters, digits, '_', '.' and '-'",
                    *stream);
        } else if (!seen.insert(*stream).second) {
            problem(node, "stream '{}' is listed twice in '{}'", *stream, field);
        }
        return stream;
    }

    void read_inputs() {
        const auto node = _item["inputs"];
        if (!node.IsDefined() || node.IsNull()) {
            return;
        }
        if (!node.IsSequence()) {
            problem(node, "'inputs' must be a list, not {}", describe(node));
            return;
        }
        std::set<std::string> seen;
        for (const auto& input : node) {
            if (input.IsScalar()) {
                if (auto stream = read_stream(input, "inputs", seen)) {
                    _spec.inputs.push_back({std::move(*stream), grouping::shuffle});
                }
                continue;
            }
            if (!input.IsMap()) {
                problem(input, "an input is a stream name or {{stream: NAME, grouping: KIND}}");
                continue;
            }
            manifest_detail::check_keys(input, input_keys, _owner + "input: ", _log);
            const auto stream_node = input["stream"];
            if (!stream_node.IsDefined()) {
                problem(input, "an input needs 'stream'");
                continue;
            }
            auto stream = read_stream(stream_node, "inputs", seen);
            auto by = input["grouping"].IsDefined() ? read_grouping(input["grouping"])
                                                    : std::optional(grouping::shuffle);
            if (stream && by) {
                _spec.inputs.push_back({std::move(*stream), *by});
            }
        }
    }

    void read_outputs() {
        const auto node = _item["outputs"];
        if (!node.IsDefined() || node.IsNull()) {
            return;
        }
        if (!node.IsSequence()) {
            problem(node, "'outputs' must be a list of stream names, not {}", describe(node));
            return;
        }
        std::set<std::string> seen;
        for (const auto& output : node) {
            if (auto stream = read_stream(output, "outputs", seen)) {
                _spec.outputs.push_back(std::move(*stream));
            }
        }
    }

    void read_delivery() {
        const auto node = _item["delivery"];
        if (!node.IsDefined()) {
            return;
        }
        if (auto text = scalar(node, "delivery")) {
            if (const auto mode = parse_delivery_mode(*text)) {
                _spec.delivery = *mode;
                return;
            }
            problem(node, "delivery '{}' is not one of at_most_once, at_least_once, exactly_once",
                    *text);
        }
    }

    // A map of names to scalars. Values are kept as written, except that
    // YAML's booleans are spelled "true"/"false" whatever their case.
    // The tracing options in `config` (docs/manifest.md): checked here so that
    // a bad value is refused at deploy, not when the executor starts.
    void check_tracing() {
        const auto found = _spec.config.find("trace_sample_one_in");
        if (found == _spec.config.end()) {
            return;
        }
        const std::string& text = found->second;
        const bool digits =
            !text.empty() && text.size() <= 10 &&
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits || std::stoull(text) > 1'000'000'000ULL) {
            problem(_item["config"]["trace_sample_one_in"],
                    "config trace_sample_one_in '{}' must be an integer from 0 (tracing off) to "
                    "1000000000",
                    text);
        }
    }

    std::map<std::string, std::string, std::less<>> read_string_map(
        std::string_view field, bool (*valid_key)(std::string_view)) {
        std::map<std::string, std::string, std::less<>> values;
        const auto node = _item[std::string(field)];
        if (!node.IsDefined() || node.IsNull()) {
            return values;
        }
        if (!node.IsMap()) {
            problem(node, "'{}' must be a map of names to values, not {}", field, describe(node));
            return values;
        }
        for (const auto& entry : node) {
            const auto key = scalar(entry.first, field);
            if (!key) {
                continue;
            }
            if (!valid_key(*key)) {
                problem(entry.first, "'{}' name '{}' is not valid", field, *key);
            }
            if (!entry.second.IsScalar()) {
                problem(entry.second.IsNull() ? entry.first : entry.second,
                        "{} '{}' must be a single value, not {} (quote '' for an empty string)",
                        field, *key, describe(entry.second));
                continue;
            }
            std::string value = entry.second.Scalar();
            if (entry.second.Tag() == "?" &&
                (value == "true" || value == "True" || value == "TRUE" || value == "false" ||
                 value == "False" || value == "FALSE")) {
                value = value[0] == 't' || value[0] == 'T' ? "true" : "false";
            }
            if (!values.emplace(*key, std::move(value)).second) {
                problem(entry.first, "{} '{}' is set twice", field, *key);
            }
        }
        return values;
    }

    void read_resources() {
        const auto node = _item["resources"];
        if (!node.IsDefined() || node.IsNull()) {
            return;
        }
        if (!node.IsMap()) {
            problem(node, "'resources' must be a map such as {{cpu: 0.5, memory: 256Mi}}");
            return;
        }
        manifest_detail::check_keys(node, resource_keys, _owner + "resources: ", _log);
        if (const auto cpu = node["cpu"]; cpu.IsDefined()) {
            if (auto text = scalar(cpu, "cpu")) {
                if (const auto cores = manifest_detail::parse_cpu(*text)) {
                    _spec.resources.cpu = *cores;
                } else {
                    problem(cpu,
                            "cpu '{}' is not a positive number of cores (0.5) or "
                            "millicores (500m)",
                            *text);
                }
            }
        }
        if (const auto memory = node["memory"]; memory.IsDefined()) {
            if (auto text = scalar(memory, "memory")) {
                if (const auto bytes = manifest_detail::parse_memory(*text)) {
                    _spec.resources.memory_bytes = *bytes;
                } else {
                    problem(memory,
                            "memory '{}' is not a positive size such as 256Mi, 1Gi, "
                            "500M or 1048576",
                            *text);
                }
            }
        }
    }

    const YAML::Node& _item;
    const fs::path& _base_dir;
    const library_check _check;
    problem_log& _log;
    std::string _owner;
    computation_spec _spec;
};

// One YAML document: a `computations:` list, or one computation.
void read_document(const YAML::Node& document, const fs::path& base_dir, library_check check,
                   problem_log& log, std::vector<std::pair<computation_spec, YAML::Mark>>& out) {
    if (document.IsNull()) {
        return;
    }
    if (!document.IsMap()) {
        log.add(document.Mark(),
                "a manifest is a map: one computation's keys, or 'computations:' with a list, "
                "not {}",
                describe(document));
        return;
    }
    if (!document["computations"].IsDefined()) {
        out.emplace_back(computation_reader(document, out.size(), base_dir, check, log).read(),
                         document.Mark());
        return;
    }
    manifest_detail::check_keys(document, top_level_keys, "top level: ", log);
    const auto list = document["computations"];
    if (!list.IsSequence()) {
        log.add(list.Mark(), "'computations' must be a list, not {}", describe(list));
        return;
    }
    for (const auto& item : list) {
        if (!item.IsMap()) {
            log.add(item.Mark(), "computation #{}: must be a map of its keys, not {}",
                    out.size() + 1, describe(item));
            continue;
        }
        out.emplace_back(computation_reader(item, out.size(), base_dir, check, log).read(),
                         item.Mark());
    }
}

}  // namespace

std::string manifest_problem::to_string() const {
    return line > 0 ? fmt::format("{}:{}:{}: {}", file, line, column, message)
                    : fmt::format("{}: {}", file, message);
}

manifest_result parse_manifest(std::string_view text, const fs::path& file, library_check check) {
    problem_log log(file.string());
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(std::string(text));
    } catch (const YAML::Exception& e) {
        // A syntax error stops the YAML parser: nothing after it can be read.
        log.add(e.mark, "YAML syntax error: {}", e.msg);
        return tl::unexpected(std::move(log).finish());
    }
    std::vector<std::pair<computation_spec, YAML::Mark>> read;
    for (const auto& document : documents) {
        read_document(document, file.parent_path(), check, log, read);
    }
    if (read.empty() && log.empty()) {
        log.add(YAML::Mark::null_mark(), "the manifest describes no computations");
    }
    std::map<std::string, YAML::Mark, std::less<>> names;
    for (const auto& [spec, at] : read) {
        const auto [first, inserted] = names.emplace(spec.name, at);
        if (!inserted && !spec.name.empty()) {
            log.add(at, "computation '{}' is defined twice (first at line {})", spec.name,
                    first->second.line + 1);
        }
    }
    if (!log.empty()) {
        return tl::unexpected(std::move(log).finish());
    }
    manifest result{file, {}};
    for (auto& [spec, at] : read) {
        result.computations.push_back(std::move(spec));
    }
    return result;
}

manifest_result parse_manifest_file(const fs::path& file) {
    problem_log log(file.string());
    std::error_code ec;
    const auto status = fs::status(file, ec);
    if (!fs::is_regular_file(status)) {
        log.add(YAML::Mark::null_mark(), "cannot read the manifest: {}",
                fs::exists(status) ? "not a regular file" : "no such file");
        return tl::unexpected(std::move(log).finish());
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        log.add(YAML::Mark::null_mark(), "cannot read the manifest: {}",
                std::generic_category().message(errno));
        return tl::unexpected(std::move(log).finish());
    }
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_manifest(text, file);
}

}  // namespace eddy::control
