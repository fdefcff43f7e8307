#include "wordcount_reference.hpp"

#include "connectors/builtin.hpp"
#include "connectors/testing/recording_context.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace eddy::testing {

std::vector<connectors::testing::recording_context::produced_record> generator_output(
    const connectors::option_map& options, std::uint32_t instances) {
    std::vector<connectors::testing::recording_context::produced_record> all;
    for (std::uint32_t index = 0; index < instances; ++index) {
        connectors::testing::recording_context ctx(
            connectors::testing::recording_context::config_map(options.begin(), options.end()),
            index, instances);
        auto made = connectors::make_builtin("generator", options);
        if (!made) {
            throw std::runtime_error(made.error().message);
        }
        auto& gen = dynamic_cast<eddy::source&>(**made);
        gen.init(ctx);
        while (gen.poll(ctx) != poll_status::finished) {
        }
        all.insert(all.end(), ctx.produced().begin(), ctx.produced().end());
    }
    return all;
}

std::map<std::string, long> expected_word_counts(std::uint64_t lines_per_instance,
                                                 std::uint64_t seed, std::uint32_t instances) {
    const connectors::option_map options{{"stream", "lines"},
                                         {"kind", "sentences"},
                                         {"count", std::to_string(lines_per_instance)},
                                         {"seed", std::to_string(seed)}};
    std::map<std::string, long> counts;
    for (const auto& line : generator_output(options, instances)) {
        std::istringstream words(line.value);
        std::string word;
        while (words >> word) {
            ++counts[word];
        }
    }
    return counts;
}

std::string check_running_counts(const std::filesystem::path& output,
                                 const std::map<std::string, long>& expected) {
    std::map<std::string, std::vector<long>> seen;
    std::ifstream in(output);
    std::string word;
    long count = 0;
    while (in >> word >> count) {
        seen[word].push_back(count);
    }
    if (seen.size() != expected.size()) {
        return "the output has " + std::to_string(seen.size()) + " distinct words, expected " +
               std::to_string(expected.size());
    }
    for (const auto& [w, n] : expected) {
        auto& counts = seen[w];
        std::sort(counts.begin(), counts.end());
        if (static_cast<long>(counts.size()) != n) {
            return "word '" + w + "' has " + std::to_string(counts.size()) + " counts, expected " +
                   std::to_string(n);
        }
        for (long i = 0; i < n; ++i) {
            if (counts[static_cast<std::size_t>(i)] != i + 1) {
                return "word '" + w + "': count " + std::to_string(i + 1) + " is missing";
            }
        }
    }
    return {};
}

}  // namespace eddy::testing
