// Word count across processes: sentences (2) → splitter (2, shuffle) →
// counter (2, key) → file sink, every instance its own eddy-executor, over
// TCP and over Unix sockets. The bounded source ends the streams, so every
// executor finishes and exits 0; the counts must be exact.

#include "support/local_cluster.hpp"
#include "support/wordcount_reference.hpp"
#include "support/wordcount_topology.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* lines_per_instance = "3000";
constexpr const char* seed = "11";

class wordcount : public ::testing::TestWithParam<link> {};

TEST_P(wordcount, exact_counts_across_processes) {
    temp_dir dir("eddy-wordcount");
    local_cluster cluster(dir.path(), GetParam());
    const auto output = (dir / "counts.txt").string();
    add_sentences(cluster, std::stoull(lines_per_instance), std::stoull(seed));
    add_cpp_word_count(cluster, EDDY_WORDCOUNT_LIBRARY, output);
    cluster.start();
    ASSERT_TRUE(cluster.wait_exit_all(60s)) << cluster.logs();

    // Every occurrence of a word produced its running count once: 1..n.
    const auto expected =
        expected_word_counts(std::stoull(lines_per_instance), std::stoull(seed), 2);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(check_running_counts(output, expected), "");
}

INSTANTIATE_TEST_SUITE_P(links, wordcount, ::testing::Values(link::tcp, link::unix_socket),
                         [](const auto& info) { return info.param == link::tcp ? "tcp" : "unix"; });

}  // namespace
}  // namespace eddy::testing
