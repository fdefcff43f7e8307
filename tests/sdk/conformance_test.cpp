// The SDK conformance suite: the word count of examples/wordcount, written
// once per language, run through real executors over the same seeded input,
// must give exactly the expected running counts (tests/support's reference).
// Then one topology mixing five languages: Python split -> Go count -> Java
// sink, with a Ruby and a Node.js sink subscribing to the counts on the side.

#include "support/local_cluster.hpp"
#include "support/wordcount_reference.hpp"
#include "support/wordcount_topology.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t lines_per_instance = 1500;
constexpr std::uint64_t seed = 23;

// The generated wrapper of one language's word count (sdk/<language>/CMakeLists.txt).
std::vector<std::string> wordcount(const std::string& language, const std::string& role) {
    return {std::string(EDDY_SDK_BUILD_DIR) + "/" + language + "/bin/wordcount", role};
}

void add_program(local_cluster& cluster, const std::string& name, const std::string& language,
                 const std::string& role, std::uint32_t instances,
                 std::vector<std::pair<std::string, std::string>> inputs,
                 std::vector<std::string> outputs, std::map<std::string, std::string> config = {}) {
    cluster.add({.name = name,
                 .command = wordcount(language, role),
                 .instances = instances,
                 .inputs = std::move(inputs),
                 .outputs = std::move(outputs),
                 .config = std::move(config)});
}

class conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(conformance, word_count_gives_the_exact_counts) {
    const std::string language = GetParam();
    temp_dir dir("eddy-sdk-" + language);
    local_cluster cluster(dir.path(), link::unix_socket);
    const auto output = (dir / "counts.txt").string();
    add_sentences(cluster, lines_per_instance, seed);
    if (language == "cpp") {
        add_cpp_word_count(cluster, EDDY_WORDCOUNT_LIBRARY, output);
    } else {
        add_program(cluster, "splitter", language, "splitter", 2, {{"lines", "shuffle"}},
                    {"words"});
        add_program(cluster, "counter", language, "counter", 2, {{"words", "key"}}, {"counts"});
        add_program(cluster, "sink", language, "sink", 1, {{"counts", "shuffle"}}, {},
                    {{"path", output}});
    }
    cluster.start(60s);
    ASSERT_TRUE(cluster.wait_exit_all(120s)) << cluster.logs();

    const auto expected = expected_word_counts(lines_per_instance, seed, 2);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(check_running_counts(output, expected), "") << cluster.logs();
}

INSTANTIATE_TEST_SUITE_P(languages, conformance,
                         ::testing::Values("cpp", "python", "go", "java", "ruby", "node"),
                         [](const auto& info) { return info.param; });

TEST(mixed_languages, python_go_java_with_ruby_and_node_on_the_side) {
    temp_dir dir("eddy-sdk-mixed");
    local_cluster cluster(dir.path(), link::tcp);
    const auto java_output = (dir / "java.txt").string();
    const auto ruby_output = (dir / "ruby.txt").string();
    const auto node_output = (dir / "node.txt").string();
    add_sentences(cluster, lines_per_instance, seed);
    add_program(cluster, "py_splitter", "python", "splitter", 2, {{"lines", "shuffle"}}, {"words"});
    add_program(cluster, "go_counter", "go", "counter", 2, {{"words", "key"}}, {"counts"});
    add_program(cluster, "java_sink", "java", "sink", 1, {{"counts", "shuffle"}}, {},
                {{"path", java_output}});
    add_program(cluster, "ruby_sink", "ruby", "sink", 1, {{"counts", "shuffle"}}, {},
                {{"path", ruby_output}});
    add_program(cluster, "node_sink", "node", "sink", 2, {{"counts", "shuffle"}}, {},
                {{"path", node_output}});
    cluster.start(60s);
    ASSERT_TRUE(cluster.wait_exit_all(120s)) << cluster.logs();

    const auto expected = expected_word_counts(lines_per_instance, seed, 2);
    EXPECT_EQ(check_running_counts(java_output, expected), "") << "java sink";
    EXPECT_EQ(check_running_counts(ruby_output, expected), "") << "ruby sink";
    // Two Node.js instances append to one file: shuffle splits the counts
    // between them, and together they saw every one.
    EXPECT_EQ(check_running_counts(node_output, expected), "") << "node sinks";
}

}  // namespace
}  // namespace eddy::testing
