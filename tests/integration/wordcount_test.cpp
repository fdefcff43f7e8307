// Word count across processes: sentences (2) → splitter (2, shuffle) →
// counter (2, key) → file sink, every instance its own eddy-executor, over
// TCP and over Unix sockets. The bounded source ends the streams, so every
// executor finishes and exits 0; the counts must be exact.

#include "connectors/builtin.hpp"
#include "connectors/testing/recording_context.hpp"
#include "support/local_cluster.hpp"

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

// What the two generator instances make, counted by a plain loop.
std::map<std::string, long> expected_counts() {
    std::map<std::string, long> counts;
    for (std::uint32_t index = 0; index < 2; ++index) {
        connectors::testing::recording_context ctx({{"stream", "lines"},
                                                    {"kind", "sentences"},
                                                    {"count", lines_per_instance},
                                                    {"seed", seed}},
                                                   index, 2);
        auto made = connectors::make_builtin("generator", {{"stream", "lines"},
                                                           {"kind", "sentences"},
                                                           {"count", lines_per_instance},
                                                           {"seed", seed}});
        EXPECT_TRUE(made);
        auto& gen = dynamic_cast<eddy::source&>(**made);
        gen.init(ctx);
        while (gen.poll(ctx) != poll_status::finished) {
        }
        for (const auto& line : ctx.produced()) {
            std::istringstream words(line.value);
            std::string word;
            while (words >> word) {
                ++counts[word];
            }
        }
    }
    return counts;
}

class wordcount : public ::testing::TestWithParam<link> {};

TEST_P(wordcount, exact_counts_across_processes) {
    temp_dir dir("eddy-wordcount");
    local_cluster cluster(dir.path(), GetParam());
    const std::string library = EDDY_WORDCOUNT_LIBRARY;
    const auto output = (dir / "counts.txt").string();
    cluster.add({.name = "sentences",
                 .builtin = "generator",
                 .instances = 2,
                 .outputs = {"lines"},
                 .config = {{"stream", "lines"},
                            {"kind", "sentences"},
                            {"count", lines_per_instance},
                            {"seed", seed}}});
    cluster.add({.name = "splitter",
                 .library = library,
                 .class_name = "splitter",
                 .instances = 2,
                 .inputs = {{"lines", "shuffle"}},
                 .outputs = {"words"}});
    cluster.add({.name = "counter",
                 .library = library,
                 .class_name = "word_counter",
                 .instances = 2,
                 .inputs = {{"words", "key"}},
                 .outputs = {"counts"}});
    cluster.add({.name = "sink",
                 .builtin = "file",
                 .inputs = {{"counts", "shuffle"}},
                 .config = {{"stream", "counts"}, {"path", output}, {"format", "key value"}}});
    cluster.start();
    ASSERT_TRUE(cluster.wait_exit_all(60s)) << cluster.logs();

    // Every occurrence of a word produced its running count once: 1..n.
    std::map<std::string, std::vector<long>> seen;
    std::ifstream in(output);
    std::string word;
    long count = 0;
    while (in >> word >> count) {
        seen[word].push_back(count);
    }
    const auto expected = expected_counts();
    ASSERT_FALSE(expected.empty());
    ASSERT_EQ(seen.size(), expected.size());
    for (const auto& [w, n] : expected) {
        auto& counts = seen[w];
        std::sort(counts.begin(), counts.end());
        ASSERT_EQ(static_cast<long>(counts.size()), n) << w;
        for (long i = 0; i < n; ++i) {
            ASSERT_EQ(counts[static_cast<std::size_t>(i)], i + 1) << w;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(links, wordcount, ::testing::Values(link::tcp, link::unix_socket),
                         [](const auto& info) { return info.param == link::tcp ? "tcp" : "unix"; });

}  // namespace
}  // namespace eddy::testing
