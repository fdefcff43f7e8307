#include "topology_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace eddy::runtime {
namespace {

bool valid_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

void check_computation(const planned_computation& c) {
    if (c.names == name_check::user) {
        check_name("computation", c.meta.name);
    }
    if (c.instances == 0) {
        throw std::invalid_argument(
            fmt::format("computation '{}' has 0 instances; it needs at least 1", c.meta.name));
    }
    if (c.polled && !c.meta.inputs.empty()) {
        throw std::invalid_argument(fmt::format(
            "computation '{}' is an eddy::source and subscribes to '{}'; a source has no inputs",
            c.meta.name, c.meta.inputs.front().stream));
    }
    std::set<std::string_view> subscribed;
    for (const auto& input : c.meta.inputs) {
        check_name("stream", input.stream);
        if (!subscribed.insert(input.stream).second) {
            throw std::invalid_argument(fmt::format(
                "computation '{}' subscribes to stream '{}' twice", c.meta.name, input.stream));
        }
    }
    for (const auto& output : c.meta.outputs) {
        check_name("stream", output);
    }
}

}  // namespace

std::string dead_letter_stream(std::string_view computation) {
    return std::string(computation) + ".dead_letters";
}

std::vector<std::string> published_streams(const eddy::metadata& meta) {
    auto streams = meta.outputs;
    streams.push_back(dead_letter_stream(meta.name));
    return streams;
}

void check_name(std::string_view what, std::string_view name) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), valid_name_char)) {
        throw std::invalid_argument(
            fmt::format("invalid {} name '{}': use letters, digits, '_', '.' and '-'", what, name));
    }
}

topology_plan plan_topology(const std::vector<planned_computation>& computations,
                            std::uint32_t max_key_groups) {
    if (max_key_groups == 0) {
        throw std::invalid_argument("max_key_groups is 0; it needs at least 1");
    }
    topology_plan plan;
    std::set<std::string_view> names;
    std::set<instance_id> used;
    std::uint32_t next_id = 0;
    for (const auto& c : computations) {
        check_computation(c);
        if (!names.insert(c.meta.name).second) {
            throw std::invalid_argument(
                fmt::format("two computations are named '{}'", c.meta.name));
        }
        computation_layout layout;
        if (!c.ids.empty() && c.ids.size() != c.instances) {
            throw std::invalid_argument(fmt::format("computation '{}' has {} instances but {} ids",
                                                    c.meta.name, c.instances, c.ids.size()));
        }
        for (std::uint32_t n = 0; n < c.instances; ++n) {
            const instance_id id = c.ids.empty() ? instance_id(next_id++) : c.ids[n];
            if (!used.insert(id).second) {
                throw std::invalid_argument(
                    fmt::format("computation '{}': instance id {} is used twice", c.meta.name, id));
            }
            layout.ids.push_back(id);
        }
        if (!c.assignment.empty() && (c.assignment.instances() != c.instances ||
                                      c.assignment.max_key_groups() != max_key_groups)) {
            throw std::invalid_argument(fmt::format(
                "computation '{}' has {} instances but a key assignment over {} instances and "
                "{} key groups",
                c.meta.name, c.instances, c.assignment.instances(), c.assignment.max_key_groups()));
        }
        layout.first = layout.ids.front();
        layout.instances = c.instances;
        layout.shape = c.polled                ? instance_shape::polled_source
                       : c.meta.inputs.empty() ? instance_shape::timer_source
                                               : instance_shape::consumer;
        plan.total_instances += c.instances;
        plan.computations.push_back(std::move(layout));
    }

    // Streams, in order of first mention, with their subscribers.
    std::vector<stream_routes> streams;
    const auto stream_of = [&](const std::string& name) -> stream_routes& {
        for (auto& s : streams) {
            if (s.stream == name) {
                return s;
            }
        }
        streams.push_back(stream_routes{name, {}});
        return streams.back();
    };
    std::vector<std::vector<std::string>> published;
    published.reserve(computations.size());
    for (const auto& c : computations) {
        published.push_back(published_streams(c.meta));
    }
    for (std::size_t i = 0; i < computations.size(); ++i) {
        for (const auto& output : published[i]) {
            (void)stream_of(output);
        }
        for (const auto& input : computations[i].meta.inputs) {
            const auto& assignment = computations[i].assignment;
            stream_of(input.stream)
                .subscribers.push_back(subscriber_route{
                    computations[i].meta.name, input.by, plan.computations[i].ids, max_key_groups,
                    assignment.empty() || assignment.is_contiguous() ? std::vector<std::uint32_t>{}
                                                                     : assignment.owners()});
        }
    }
    plan.routes = std::make_shared<const routing_table>(std::move(streams), topology_epoch(1));

    for (std::size_t i = 0; i < computations.size(); ++i) {
        auto& layout = plan.computations[i];
        layout.downstream = plan.routes->downstream_of(published[i]);
        for (std::size_t j = 0; j < computations.size(); ++j) {
            const auto& outputs = published[j];
            const bool feeds = std::any_of(
                computations[i].meta.inputs.begin(), computations[i].meta.inputs.end(),
                [&](const subscription& in) {
                    return std::find(outputs.begin(), outputs.end(), in.stream) != outputs.end();
                });
            if (feeds) {
                const auto& ids = plan.computations[j].ids;
                layout.upstreams.insert(layout.upstreams.end(), ids.begin(), ids.end());
            }
        }
    }
    return plan;
}

}  // namespace eddy::runtime
