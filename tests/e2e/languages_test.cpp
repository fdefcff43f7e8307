// Computations in other languages through the eddy command, as a user runs
// them: a manifest's `command` deploys like a library (Python splitter and Go
// counter give exact word counts); a program that crashes is restarted with
// backoff, its last words of stderr shown by `eddy ls` and `eddy logs`, while
// the rest runs on; and `attach: true` waits for a program started by hand.

#include "cluster_fixture.hpp"
#include "support/wordcount_reference.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr std::uint64_t lines_per_instance = 2000;
constexpr std::uint64_t seed = 5;

std::string wordcount(const std::string& language) {
    return std::string(EDDY_SDK_BUILD_DIR) + "/" + language + "/bin/wordcount";
}

std::string sentences_yaml() {
    return "  - name: sentences\n"
           "    builtin: generator\n"
           "    instances: 2\n"
           "    outputs: [lines]\n"
           "    config: {stream: lines, kind: sentences, count: " +
           std::to_string(lines_per_instance) + ", seed: " + std::to_string(seed) + "}\n";
}

class languages : public cluster_test {
protected:
    void SetUp() override {
        copy_library(EDDY_WORDCOUNT_LIBRARY, "libwordcount.so");
        ASSERT_NO_FATAL_FAILURE(up());
    }
    void deploy(const std::string& file_name, const std::string& yaml) {
        const auto result = eddy({"deploy", write_manifest(file_name, yaml).string()});
        ASSERT_EQ(result.exit_code, 0) << "eddy deploy " << file_name << "\n" << result;
    }
};

TEST_F(languages, python_splitter_and_go_counter_deploy_like_any_computation) {
    const auto output = path("counts.txt");
    deploy("wordcount.yaml", "computations:\n" + sentences_yaml() +
                                 "  - name: splitter\n"
                                 "    command: [" +
                                 wordcount("python") +
                                 ", splitter]\n"
                                 "    instances: 2\n"
                                 "    inputs: [lines]\n"
                                 "    outputs: [words]\n"
                                 "  - name: counter\n"
                                 "    command: [" +
                                 wordcount("go") +
                                 ", counter]\n"
                                 "    instances: 2\n"
                                 "    inputs: [{stream: words, grouping: key}]\n"
                                 "    outputs: [counts]\n"
                                 "  - name: sink\n"
                                 "    builtin: file\n"
                                 "    inputs: [counts]\n"
                                 "    config: {stream: counts, path: " +
                                 output.string() + ", format: key value}\n");
    ASSERT_TRUE(wait_all_finished(120s)) << computations().dump(2) << coordinator_log();
    EXPECT_EQ(check_running_counts(output, expected_word_counts(lines_per_instance, seed, 2)), "");
}

TEST_F(languages, a_crashing_program_restarts_with_its_stderr_in_ls_and_the_rest_runs_on) {
    const auto healthy = path("healthy.txt");
    deploy("crash.yaml",
           "computations:\n"
           "  - name: numbers\n"
           "    builtin: generator\n"
           "    outputs: [numbers]\n"
           "    config: {stream: numbers, rate: 1000}\n"
           "  - name: healthy\n"
           "    builtin: file\n"
           "    inputs: [numbers]\n"
           "    config: {stream: numbers, path: " +
               healthy.string() +
               "}\n"
               "  - name: broken\n"
               "    command: [python3, " +
               std::string(EDDY_TEST_PROGRAMS) +
               "/misbehave.py, crash]\n"
               "    inputs: [numbers]\n");
    ASSERT_TRUE(wait_running({"numbers", "healthy"}, 30s)) << computations().dump(2);
    const auto before = running_pids({"numbers", "healthy"});

    // The agent restarts the executor again and again; ls shows why.
    json broken;
    ASSERT_TRUE(wait_until(
        [&] {
            broken = instance("broken", 0);
            return !broken.is_null() && broken.value("restarts", 0) >= 2 &&
                   broken.value("last_error", std::string())
                           .find("crashing on the first request") != std::string::npos;
        },
        60s))
        << instances().dump(2);
    const auto listed = eddy({"ls"});
    EXPECT_NE(listed.out.find("misbehave: crashing on the first request"), std::string::npos)
        << listed;
    const auto logs = eddy({"logs", "broken"});
    EXPECT_NE(logs.out.find("misbehave: crashing on the first request"), std::string::npos) << logs;

    // Nothing else restarted, and the healthy sink still receives.
    EXPECT_EQ(running_pids({"numbers", "healthy"}), before);
    const auto lines = count_lines(healthy);
    EXPECT_TRUE(wait_until([&] { return count_lines(healthy) > lines + 200; }, 20s));
}

TEST_F(languages, an_attached_computation_waits_for_the_program_started_by_hand) {
    const auto output = path("counts.txt");
    deploy("attached.yaml", "computations:\n" + sentences_yaml() +
                                "  - name: splitter\n"
                                "    library: libwordcount.so\n"
                                "    class: splitter\n"
                                "    inputs: [lines]\n"
                                "    outputs: [words]\n"
                                "  - name: counter\n"
                                "    attach: true\n"
                                "    inputs: [{stream: words, grouping: key}]\n"
                                "    outputs: [counts]\n"
                                "  - name: sink\n"
                                "    builtin: file\n"
                                "    inputs: [counts]\n"
                                "    config: {stream: counts, path: " +
                                output.string() + ", format: key value}\n");
    // The executor says where to connect, and waits.
    const std::regex socket_line("EDDY_SOCKET=(\\S+)");
    std::smatch found;
    std::string log;
    ASSERT_TRUE(wait_until(
        [&] {
            log = eddy({"logs", "counter"}).out;
            return std::regex_search(log, found, socket_line);
        },
        30s))
        << log;
    const std::string socket = found[1];
    EXPECT_EQ(count_lines(output), 0u);

    child_process by_hand({.args = {wordcount("python"), "counter"},
                           .extra_env = {{"EDDY_SOCKET", socket},
                                         {"EDDY_COMPUTATION", "counter"},
                                         {"EDDY_INSTANCE_INDEX", "0"},
                                         {"EDDY_INSTANCE_COUNT", "1"}},
                           .stderr_path = path("by_hand.err")});
    ASSERT_TRUE(wait_all_finished(120s))
        << computations().dump(2) << read_file(path("by_hand.err"));
    EXPECT_EQ(check_running_counts(output, expected_word_counts(lines_per_instance, seed, 2)), "");
    // The executor ended the conversation: the program exits 0.
    const auto status = by_hand.wait_exit(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 0) << read_file(path("by_hand.err"));
}

}  // namespace
}  // namespace eddy::testing
