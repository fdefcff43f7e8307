#pragma once

// Assembling the word count on an embedded topology, shared by the runner
// and the tests.

#include "wordcount.hpp"
#include <eddy/embedded.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct wordcount_options {
    // Lines the source makes. Default 1000.
    std::uint64_t lines = 1000;
    // Seed of the lines. Default 1.
    std::uint64_t seed = 1;
    // Instances of the splitter and of the counter. Default 2 and 3.
    std::uint32_t splitters = 2;
    std::uint32_t counters = 3;
    // If not empty, the source makes exactly these lines instead. Default empty.
    std::vector<std::string> fixed_lines;
};

// Adds sentences → splitter → counter to `topology` (the caller adds sinks
// or collectors on "counts").
void add_wordcount(eddy::embedded_topology& topology, const wordcount_options& options);

// The total per word: the last (largest) running count of each word in `counts`.
[[nodiscard]] std::map<std::string, std::int64_t> final_counts(
    const std::vector<eddy::collected_stream::owned_record>& counts);
