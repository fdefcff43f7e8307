#pragma once

// The topology an executor runs in, as a JSON document: every computation
// (how to run it, how many instances, what it reads and writes, its delivery
// mode and configuration) and where each instance listens. Every executor of
// a topology reads the same document and finds itself in it by computation
// name and instance index; the global instance ids follow the document's
// order (the computations' instances numbered one after another).
//
// Until the coordinator exists this comes from a file written by a launcher;
// the coordinator will push the same document to running executors, which
// swap their routing tables without restarting (admin `PUT /topology`).
//
//     {"epoch": 1, "max_key_groups": 4096, "computations": [
//        {"name": "splitter", "run": {"library": "libwordcount.so", "class": "splitter"},
//         "instances": 2, "inputs": [{"stream": "sentences", "grouping": "shuffle"}],
//         "outputs": ["words"], "delivery": "at_most_once", "config": {},
//         "ids": [4, 9],
//         "endpoints": ["unix:/run/eddy/splitter-0.sock", "tcp://127.0.0.1:7002"],
//         "key_groups": [[[0, 819], [2048, 2457]], ...], "assignment_version": 2,
//         "hold": [11], "state_version": 1}]}
//
// `key_groups` (optional) lists, per instance, the key group ranges
// [first, last) it owns; `hold` (optional) the instances that upstreams must
// not send to yet (a rescale is moving state to them).
//
// Threading: pure functions.

#include "base/delivery_mode.hpp"
#include "base/error.hpp"
#include "base/key_assignment.hpp"
#include "base/strong_id.hpp"
#include "transport/endpoint.hpp"
#include <eddy/computation.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::executor {

enum class executor_errc {
    bad_topology,     // the topology document is malformed or inconsistent
    not_in_topology,  // this executor's computation or instance is not in it
    start_failed,     // the computation could not be made or its address bound
};

template <class T>
using executor_result = eddy::result<T, executor_errc>;

using eddy::delivery_mode;

struct computation_entry {
    std::string name;
    std::string builtin;                // a built-in computation, or
    std::string library;                // a shared library and
    std::string class_name;             // the class it exports, or
    std::vector<std::string> command;   // a program in another language and its arguments
    std::string workdir;                // where the program runs
    bool attach = false;                // started by hand: the executor waits for it
    std::uint64_t timeout_ms = 30'000;  // how long one of its transactions may take
    std::uint32_t instances = 1;
    std::vector<subscription> inputs;
    std::vector<std::string> outputs;
    delivery_mode delivery = delivery_mode::at_most_once;
    std::map<std::string, std::string, std::less<>> config;
    std::vector<transport::endpoint> endpoints;  // one per instance
    // The instance ids, one per instance, unique in the topology. A document
    // without them numbers instances in document order; the coordinator
    // always gives them, so that ids survive scaling of other computations.
    std::vector<instance_id> ids;
    // Key grouping: who owns which key group (empty: the contiguous shares)
    // and the version of that assignment, which a rescale raises; an instance
    // refuses a document older than the assignment its store holds.
    key_assignment assignment;
    std::uint64_t assignment_version = 0;
    // While a rescale moves key groups to these instances of the computation,
    // its upstreams hold (queue, with backpressure) what they route to them
    // until the state has arrived.
    std::vector<instance_id> hold;
    // The version of the computation's keyed state layout (manifest
    // `state_version`): state written under an older one is migrated on first use.
    std::uint32_t state_version = 1;
};

struct topology_document {
    topology_epoch epoch;
    std::uint32_t max_key_groups = 4096;
    std::vector<computation_entry> computations;
};

// Parses and checks a topology document: names, groupings, delivery modes,
// one endpoint per instance, no duplicate computation or endpoint. The error
// names the computation and the field.
[[nodiscard]] executor_result<topology_document> parse_topology(std::string_view json_text);

// The document as JSON (what parse_topology reads back unchanged).
[[nodiscard]] std::string to_json(const topology_document& topology);

}  // namespace eddy::executor
