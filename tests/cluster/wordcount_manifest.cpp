#include "wordcount_manifest.hpp"

#include <fmt/format.h>

namespace eddy::testing {

std::string wordcount_manifest(const wordcount_manifest_options& options) {
    const auto rate = options.lines_per_second == 0
                          ? std::string()
                          : fmt::format(", rate: {}", options.lines_per_second);
    return fmt::format(
        R"(computations:
  - name: sentences
    builtin: generator
    instances: {generators}
    outputs: [lines]
    delivery: {delivery}
    config: {{stream: lines, kind: sentences, count: {count}, seed: {seed}{rate}}}
  - name: splitter
    library: {library}
    class: splitter
    instances: 3
    delivery: {delivery}
    inputs: [{{stream: lines, grouping: shuffle}}]
    outputs: [words]
  - name: counter
    library: {library}
    class: word_counter
    instances: 3
    delivery: {delivery}
    inputs: [{{stream: words, grouping: key}}]
    outputs: [counts]
  - name: sink
    builtin: file
    delivery: {delivery}
    inputs: [counts]
    config: {{stream: counts, path: "{output}", format: "key value"}}
)",
        fmt::arg("generators", wordcount_generator_instances),
        fmt::arg("delivery", options.delivery), fmt::arg("count", options.lines_per_instance),
        fmt::arg("seed", options.seed), fmt::arg("rate", rate),
        fmt::arg("library", options.library), fmt::arg("output", options.output.string()));
}

}  // namespace eddy::testing
