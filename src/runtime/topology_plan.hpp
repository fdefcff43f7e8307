#pragma once

// Turns a list of computations into what the runtime runs: validated names,
// a global numbering of instances (each computation's instances are
// contiguous), the routing table, and for every computation its upstream
// instances (whose watermarks and end of stream it waits for) and its
// downstream instances (to which it sends them). Used once at start by the
// embedded runtime; the coordinator will compute the same for the network.
//
// Threading: pure functions, any thread.

#include "base/key_assignment.hpp"
#include "instance_runner.hpp"
#include "routing_table.hpp"
#include <eddy/computation.hpp>

#include <memory>
#include <string>
#include <vector>

namespace eddy::runtime {

enum class name_check { user, internal };

struct planned_computation {
    eddy::metadata meta;
    std::uint32_t instances = 1;
    bool polled = false;                  // an eddy::source, driven by poll
    name_check names = name_check::user;  // internal computations (collectors) skip it
    // The instances' ids, by index, unique in the topology; empty: numbered
    // after the previous computations' (0, 1, 2... in order).
    std::vector<instance_id> ids = {};
    // Who owns which key group; empty: the contiguous shares.
    key_assignment assignment = {};
};

struct computation_layout {
    std::vector<instance_id> ids;  // by index
    instance_id first;             // ids[0]; with planned ids, ids need not be contiguous
    std::uint32_t instances = 1;
    instance_shape shape = instance_shape::consumer;
    std::vector<instance_id> upstreams;
    std::vector<instance_id> downstream;
};

struct topology_plan {
    std::vector<computation_layout> computations;  // same order as the input
    std::shared_ptr<const routing_table> routes;
    std::uint32_t total_instances = 0;
};

// Every computation also publishes `<name>.dead_letters`: the inputs its
// callbacks failed on beyond their retries (instance_task.hpp). Subscribe to
// it like to any stream.
[[nodiscard]] std::string dead_letter_stream(std::string_view computation);
// The streams a computation may produce to: its outputs and its dead letters.
[[nodiscard]] std::vector<std::string> published_streams(const eddy::metadata& meta);

// Throws std::invalid_argument if `name` is empty or not [a-zA-Z0-9_.-]+;
// `what` names the kind of thing in the message ("computation", "stream").
void check_name(std::string_view what, std::string_view name);

// Throws std::invalid_argument naming the first problem found: an invalid or
// duplicate name, zero instances, a stream subscribed twice, a polled source
// with inputs.
[[nodiscard]] topology_plan plan_topology(const std::vector<planned_computation>& computations,
                                          std::uint32_t max_key_groups);

}  // namespace eddy::runtime
