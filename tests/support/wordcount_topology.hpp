#pragma once

// The C++ word count as a multi-process topology, for the tests that run it
// through real executors: sentences (2 generator instances) -> splitter (2,
// shuffle) -> word_counter (2, key) -> a file sink writing "word n" lines,
// which check_running_counts (wordcount_reference.hpp) reads back.

#include "support/local_cluster.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace eddy::testing {

// The seeded, bounded sentence source, 2 instances, on stream "lines";
// `rate` lines per second per instance (0: as fast as polled).
inline void add_sentences(local_cluster& cluster, std::uint64_t lines_per_instance,
                          std::uint64_t seed, std::uint64_t rate = 0,
                          const std::string& delivery = "at_most_once") {
    std::map<std::string, std::string> config{{"stream", "lines"},
                                              {"kind", "sentences"},
                                              {"count", std::to_string(lines_per_instance)},
                                              {"seed", std::to_string(seed)}};
    if (rate != 0) {
        config["rate"] = std::to_string(rate);
    }
    cluster.add({.name = "sentences",
                 .builtin = "generator",
                 .instances = 2,
                 .outputs = {"lines"},
                 .config = std::move(config),
                 .delivery = delivery});
}

// splitter and counter from libwordcount.so at `library`, then the file sink
// on "counts" writing to `output`.
// `delivery` is the mode of all three.
inline void add_cpp_word_count(local_cluster& cluster, const std::string& library,
                               const std::string& output,
                               const std::string& delivery = "at_most_once") {
    cluster.add({.name = "splitter",
                 .library = library,
                 .class_name = "splitter",
                 .instances = 2,
                 .inputs = {{"lines", "shuffle"}},
                 .outputs = {"words"},
                 .delivery = delivery});
    cluster.add({.name = "counter",
                 .library = library,
                 .class_name = "word_counter",
                 .instances = 2,
                 .inputs = {{"words", "key"}},
                 .outputs = {"counts"},
                 .delivery = delivery});
    cluster.add({.name = "sink",
                 .builtin = "file",
                 .inputs = {{"counts", "shuffle"}},
                 .config = {{"stream", "counts"}, {"path", output}, {"format", "key value"}},
                 .delivery = delivery});
}

}  // namespace eddy::testing
