#pragma once

// A manifest: the YAML file in which a user describes one or more
// computations (how to run each, how many instances, what it reads and
// writes, its delivery mode, configuration, environment and resources). The
// format is documented for users in docs/manifest.md.
//
//     auto parsed = eddy::control::parse_manifest_file("wordcount.yaml");
//     if (!parsed) {
//         std::cerr << parsed.error().message;  // every problem, one per line
//     }
//
// Parsing checks everything a manifest can get wrong on its own (types,
// names, groupings, modes, unknown keys, a library that is not there) and
// reports every problem at once, each as `file:line:column: message`. A
// manifest with any problem yields no computations. What needs the running
// topology (a stream nobody publishes, a class missing from a library) is
// the coordinator's to check.
//
// The coordinator keeps each computation_spec in the metadata store as JSON
// (to_json / from_json below) and turns it into the executors' topology
// document (src/executor/topology_file.hpp).
//
// Threading: pure functions; parse_manifest_file reads the file and stats the
// libraries it names.

#include "base/delivery_mode.hpp"
#include <eddy/computation.hpp>

#include <nlohmann/json_fwd.hpp>
#include <tl/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::control {

using eddy::delivery_mode;

// What a computation asks of its host. Parsed and stored; not enforced yet.
struct resource_request {
    double cpu = 0;                  // cores (0.5 = half a core); 0 = not requested
    std::uint64_t memory_bytes = 0;  // 0 = not requested
};

// One computation of a manifest. Exactly one of `builtin`, `library` (with
// `class_name`) or `command` is set.
struct computation_spec {
    std::string name;
    std::string builtin;                // "generator", "stdout" or "file", or
    std::filesystem::path library;      // a shared library (absolute, normalised) and
    std::string class_name;             // the class it exports, or
    std::vector<std::string> command;   // a program in another language and its arguments
    std::filesystem::path workdir;      // where the command runs: the manifest's directory
    bool attach = false;                // started by hand (debugging): nothing is started
    std::uint64_t timeout_ms = 30'000;  // how long one transaction of the program may take
    std::uint32_t instances = 1;
    std::vector<subscription> inputs;
    std::vector<std::string> outputs;
    delivery_mode delivery = delivery_mode::at_most_once;
    std::map<std::string, std::string, std::less<>> config;
    std::map<std::string, std::string, std::less<>> environment;
    resource_request resources;
    // The version of the layout of its keyed state (manifest `state_version`,
    // default 1): raise it with an update whose code reads the state
    // differently; state written under an older one is handed to the
    // computation's migrate_state on first use.
    std::uint32_t state_version = 1;
};

struct manifest {
    std::filesystem::path file;  // where it was read from (as given)
    std::vector<computation_spec> computations;
};

// One problem found in a manifest. line and column count from 1; 0 when the
// problem has no position (the file could not be read).
struct manifest_problem {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;

    // "file:line:column: message" (or "file: message" without a position).
    [[nodiscard]] std::string to_string() const;
};

struct manifest_errors {
    std::vector<manifest_problem> problems;  // in the order they appear in the file
    std::string message;                     // every problem's to_string(), one per line
};

using manifest_result = tl::expected<manifest, manifest_errors>;

// Whether parsing looks for the libraries a manifest names on this machine.
enum class library_check {
    must_exist,  // each library must be a regular file (relative to the manifest)
    skip,        // the libraries arrive with the request (a deploy through the API)
};

// Parses the manifest `text`. `file` names it in error messages and is the
// base of relative library paths (its directory; the current directory when
// it has none).
[[nodiscard]] manifest_result parse_manifest(std::string_view text,
                                             const std::filesystem::path& file,
                                             library_check check = library_check::must_exist);

// Reads `file` and parses it; an unreadable file is a problem like any other.
[[nodiscard]] manifest_result parse_manifest_file(const std::filesystem::path& file);

using eddy::to_string;

// JSON form of a computation, as the coordinator stores it:
//
//     {"name": "counter", "run": {"library": "/abs/libwc.so", "class": "counter"},
//      "instances": 2, "inputs": [{"stream": "words", "grouping": "key"}],
//      "outputs": ["counts"], "delivery": "exactly_once", "config": {"window": "60"},
//      "environment": {}, "resources": {"cpu": 0.5, "memory_bytes": 268435456}}
//
// "run" is {"builtin": NAME}, {"library": PATH, "class": NAME} or
// {"command": [ARGS...]}. from_json throws nlohmann::json::exception (or
// std::invalid_argument for a bad enum or run) on a malformed document: the
// store holds only what to_json wrote.
void to_json(nlohmann::json& out, const computation_spec& spec);
void from_json(const nlohmann::json& in, computation_spec& spec);

}  // namespace eddy::control
