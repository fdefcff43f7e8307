#pragma once

// The manifest of the C++ word count as the cluster tests and the cluster
// bench deploy it: sentences (the built-in generator, kind `sentences`, 2
// instances) -> splitter (3, shuffle) -> counter (3, key) -> sink (a file of
// "word n" lines, which check_running_counts in
// support/wordcount_reference.hpp reads back), every computation in one
// delivery mode.

#include <cstdint>
#include <filesystem>
#include <string>

namespace eddy::testing {

struct wordcount_manifest_options {
    // Lines each of the 2 generator instances makes (`count`). Required.
    std::uint64_t lines_per_instance = 0;
    // The generator's `seed`. Default 29.
    std::uint64_t seed = 29;
    // Lines per second per generator instance; 0: no `rate`, as fast as
    // the topology takes them. Default 0.
    std::uint64_t lines_per_second = 0;
    // Every computation's `delivery`. Default exactly_once.
    std::string delivery = "exactly_once";
    // The file the sink writes. Required.
    std::filesystem::path output;
    // Where the executors find libwordcount.so (relative: beside the
    // manifest). Default "libwordcount.so".
    std::string library = "libwordcount.so";
};

// Generator and splitter instances the manifest runs.
inline constexpr std::uint32_t wordcount_generator_instances = 2;

[[nodiscard]] std::string wordcount_manifest(const wordcount_manifest_options& options);

}  // namespace eddy::testing
