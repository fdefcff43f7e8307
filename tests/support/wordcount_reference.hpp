#pragma once

// What a word count over the built-in `sentences` generator must produce,
// computed without eddy's runtime: the generator is run directly (instance
// by instance, with a context that only records) and its lines are counted
// with a plain loop. Integration and e2e tests compare eddy's output with it.

#include "connectors/options.hpp"
#include "connectors/testing/recording_context.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace eddy::testing {

// What `instances` instances of the built-in generator with `options` produce,
// instance after instance, each run to its end directly on a recording context.
[[nodiscard]] std::vector<connectors::testing::recording_context::produced_record> generator_output(
    const connectors::option_map& options, std::uint32_t instances);

// Word → occurrences over `instances` generator instances, each making
// `lines_per_instance` lines from `seed` (the generator's options `count`
// and `seed`, kind `sentences`).
[[nodiscard]] std::map<std::string, long> expected_word_counts(std::uint64_t lines_per_instance,
                                                               std::uint64_t seed,
                                                               std::uint32_t instances);

// Checks a "word count" file of the word counter's output (one "word n" line
// per occurrence, in any order) against `expected`: every word's counts must
// be exactly 1..n. Returns an empty string when it matches, else what differs.
[[nodiscard]] std::string check_running_counts(const std::filesystem::path& output,
                                               const std::map<std::string, long>& expected);

}  // namespace eddy::testing
