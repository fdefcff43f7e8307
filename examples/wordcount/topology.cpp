#include "topology.hpp"

#include <algorithm>
#include <memory>
#include <string>

void add_wordcount(eddy::embedded_topology& topology, const wordcount_options& options) {
    std::map<std::string, std::string, std::less<>> config = {
        {"count", std::to_string(options.lines)}, {"seed", std::to_string(options.seed)}};
    if (options.fixed_lines.empty()) {
        topology.add([] { return std::make_unique<sentence_source>(); }, {.config = config});
    } else {
        config["count"] = std::to_string(options.fixed_lines.size());
        auto lines = options.fixed_lines;
        topology.add(
            [lines] {
                return std::make_unique<sentence_source>(
                    [lines](std::uint64_t index, eddy::connectors::xoshiro256&) {
                        return eddy::connectors::generated_record{.key = std::to_string(index),
                                                                  .value = lines.at(index)};
                    });
            },
            {.config = config});
    }
    topology.add<splitter>({.instances = options.splitters});
    topology.add<word_counter>({.instances = options.counters});
}

std::map<std::string, std::int64_t> final_counts(
    const std::vector<eddy::collected_stream::owned_record>& counts) {
    std::map<std::string, std::int64_t> totals;
    for (const auto& r : counts) {
        auto& total = totals[r.key];
        total = std::max<std::int64_t>(total, std::stoll(r.value));
    }
    return totals;
}
