// Key-group migration through the CLI: a keyed, exactly-once word counter
// (keyed_counter.cpp) is scaled up and down and updated to a build with a
// new state format while its input flows, and an old owner of key groups or
// the coordinator is killed in the middle of a move.
//
//   sentences (2, generator) -> splitter (2) -> counter (key) -> sink (file)
//
// every computation in exactly_once. Each run ends with the sink's file
// checked word by word: the running counts 1..n of every word exactly once
// (over the v1 and v2 builds together), n being what the reference
// (support/wordcount_reference.hpp) counts in the same seeded input. A key
// group whose state did not move starts its words again at 1 (counts seen
// twice); a record lost in a move leaves a count missing.

#include "cluster_fixture.hpp"
#include "support/wordcount_reference.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::uint32_t source_instances = 2;
constexpr std::uint64_t seed = 23;
// Per source instance; about 3,700 words a second in all: enough records in
// flight for every move to have some, light enough for a loaded machine.
constexpr std::uint64_t lines_per_second = 250;
// 60 s of input for three scales and an update, 40 s for one scale.
constexpr std::uint64_t long_input_lines = 15'000;
constexpr std::uint64_t short_input_lines = 10'000;

// Read by the coordinator at start: how long it waits between the phases of
// a move, so that a test can act while one is in progress.
constexpr const char* move_step_delay_variable = "EDDY_MOVE_STEP_DELAY_MS";
// The most key groups one round of a move carries (docs/operations.md). The
// word counts are small, so rounds are cut by count: with 1000, 2 -> 5 (about
// 2460 groups) runs in three rounds, 5 -> 3 (about 1640) in two, 3 -> 1 in three.
constexpr const char* round_groups_variable = "EDDY_MOVE_ROUND_KEY_GROUPS";
constexpr const char* round_groups = "1000";

// What the sink's file holds: for every word the running counts each build
// of the counter produced for it, in file order, and the lines that are not
// "<build> <word> <count>". An unfinished last line is left out.
struct sink_counts {
    std::map<std::string, std::vector<long>> v1;
    std::map<std::string, std::vector<long>> v2;
    std::vector<std::string> malformed;
    std::size_t lines = 0;
};

sink_counts read_sink(const fs::path& file) {
    sink_counts counts;
    std::istringstream text(read_file(file));
    std::string line;
    while (std::getline(text, line) && !text.eof()) {
        ++counts.lines;
        std::istringstream fields(line);
        std::string build;
        std::string word;
        std::string rest;
        long n = 0;
        if (fields >> build >> word >> n && !(fields >> rest) && (build == "v1" || build == "v2")) {
            (build == "v1" ? counts.v1 : counts.v2)[word].push_back(n);
        } else {
            counts.malformed.push_back(line);
        }
    }
    return counts;
}

// "{3, 4, 9} " with at most a few of `values` shown, or "" if there are none.
std::string list_of(const std::string& what, const std::vector<long>& values) {
    if (values.empty()) {
        return "";
    }
    constexpr std::size_t shown = 8;
    std::string text = what + " {";
    for (std::size_t i = 0; i < std::min(shown, values.size()); ++i) {
        text += (i == 0 ? "" : ", ") + std::to_string(values[i]);
    }
    if (values.size() > shown) {
        text += ", ... " + std::to_string(values.size()) + " in all";
    }
    return text + "} ";
}

// Empty when every expected word has each of its counts 1..n exactly once
// over both builds, no other word or line is in the file, and each word's v1
// counts all come before its v2 ones (a key group changes build once, at the
// update); else what differs, for the first few words that differ.
std::string check_exact(const sink_counts& counts, const std::map<std::string, long>& expected) {
    constexpr int words_shown = 6;
    std::ostringstream shown;
    int wrong = 0;
    const auto note = [&](const std::string& text) {
        if (wrong++ < words_shown) {
            shown << "  " << text << "\n";
        }
    };
    std::set<std::string> words;
    for (const auto* by_build : {&counts.v1, &counts.v2}) {
        for (const auto& [word, list] : *by_build) {
            words.insert(word);
        }
    }
    for (const auto& word : words) {
        if (!expected.contains(word)) {
            note("'" + word + "' is not in the input");
        }
    }
    long total = 0;
    for (const auto& [word, n] : expected) {
        total += n;
        std::map<long, int> times;
        std::vector<long> v1_counts;
        std::vector<long> v2_counts;
        if (const auto found = counts.v1.find(word); found != counts.v1.end()) {
            v1_counts = found->second;
        }
        if (const auto found = counts.v2.find(word); found != counts.v2.end()) {
            v2_counts = found->second;
        }
        for (const auto* list : {&v1_counts, &v2_counts}) {
            for (const auto c : *list) {
                ++times[c];
            }
        }
        std::vector<long> missing;
        std::vector<long> doubled;
        std::vector<long> outside;
        for (long i = 1; i <= n; ++i) {
            const auto t = times.find(i);
            if (t == times.end()) {
                missing.push_back(i);
            } else if (t->second > 1) {
                doubled.push_back(i);
            }
        }
        for (const auto& [c, t] : times) {
            if (c < 1 || c > n) {
                outside.push_back(c);
            }
        }
        if (!missing.empty() || !doubled.empty() || !outside.empty()) {
            note("'" + word + "' (expected 1.." + std::to_string(n) + "; " +
                 std::to_string(v1_counts.size()) + " v1 and " + std::to_string(v2_counts.size()) +
                 " v2 lines): " + list_of("missing", missing) + list_of("more than once", doubled) +
                 list_of("beyond 1..n", outside));
            continue;
        }
        if (!v1_counts.empty() && !v2_counts.empty()) {
            const auto last_v1 = *std::max_element(v1_counts.begin(), v1_counts.end());
            const auto first_v2 = *std::min_element(v2_counts.begin(), v2_counts.end());
            if (last_v1 > first_v2) {
                note("'" + word + "': v1 counted up to " + std::to_string(last_v1) +
                     " although v2 had counted " + std::to_string(first_v2));
            }
        }
    }
    for (std::size_t i = 0; i < counts.malformed.size(); ++i) {
        if (i < 3) {
            shown << "  malformed line: '" << counts.malformed[i] << "'\n";
        }
    }
    if (wrong == 0 && counts.malformed.empty()) {
        return "";
    }
    return std::to_string(wrong) + " of " + std::to_string(expected.size()) + " words wrong, " +
           std::to_string(counts.malformed.size()) + " malformed lines, " +
           std::to_string(counts.lines) + " lines for " + std::to_string(total) +
           " words of input:\n" + shown.str();
}

// "exit 0", "killed by signal 9", "still running": how a child ended.
std::string exit_text(const std::optional<int>& status) {
    if (!status) {
        return "still running";
    }
    if (WIFEXITED(*status)) {
        return "exit " + std::to_string(WEXITSTATUS(*status));
    }
    if (WIFSIGNALED(*status)) {
        return "killed by signal " + std::to_string(WTERMSIG(*status));
    }
    return "status " + std::to_string(*status);
}

bool exited_zero(const std::optional<int>& status) {
    return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

class scale : public cluster_test {
protected:
    void SetUp() override {
        copy_library(EDDY_WORDCOUNT_LIBRARY, "libwordcount.so");
        copy_library(EDDY_KEYED_COUNTER_V1, "libkeyed_counter_v1.so");
        copy_library(EDDY_KEYED_COUNTER_V2, "libkeyed_counter_v2.so");
    }

    void TearDown() override {
        cluster_test::TearDown();
        ::unsetenv(move_step_delay_variable);
        ::unsetenv(round_groups_variable);
    }

    // Starts a coordinator (with `move_step_delay` between the phases of a
    // move, or none), deploys the word count with v1 of the counter on two
    // instances, and waits for the first counts in the sink.
    void start(std::uint64_t lines_per_instance,
               std::optional<std::chrono::milliseconds> move_step_delay) {
        if (move_step_delay) {
            ::setenv(move_step_delay_variable, std::to_string(move_step_delay->count()).c_str(), 1);
        } else {
            ::unsetenv(move_step_delay_variable);
        }
        ::setenv(round_groups_variable, round_groups, 1);
        ASSERT_NO_FATAL_FAILURE(up());
        _expected = expected_word_counts(lines_per_instance, seed, source_instances);
        ASSERT_FALSE(_expected.empty());
        _expected_lines = 0;
        for (const auto& [word, n] : _expected) {
            _expected_lines += static_cast<std::size_t>(n);
        }
        const auto source_config =
            "{stream: lines, kind: sentences, count: " + std::to_string(lines_per_instance) +
            ", seed: " + std::to_string(seed) + ", rate: " + std::to_string(lines_per_second) + "}";
        const auto sink_config = "{stream: counts, path: \"" + _output.string() +
                                 "\", format: value, flush_interval_ms: 20}";
        const auto manifest = write_manifest("wordcount.yaml", R"(computations:
  - name: sentences
    builtin: generator
    instances: )" + std::to_string(source_instances) + R"(
    outputs: [lines]
    delivery: exactly_once
    config: )" + source_config + R"(
  - name: splitter
    library: libwordcount.so
    class: splitter
    instances: 2
    inputs: [{stream: lines, grouping: shuffle}]
    outputs: [words]
    delivery: exactly_once
  - name: counter
    library: libkeyed_counter_v1.so
    class: keyed_counter
    instances: 2
    inputs: [{stream: words, grouping: key}]
    outputs: [counts]
    delivery: exactly_once
    config: {output: counts}
  - name: sink
    builtin: file
    inputs: [counts]
    delivery: exactly_once
    config: )" + sink_config + "\n");
        const auto deployed = eddy({"deploy", manifest.string()});
        _input_ends = std::chrono::steady_clock::now() +
                      std::chrono::seconds(lines_per_instance / lines_per_second);
        ASSERT_EQ(deployed.exit_code, 0) << "eddy deploy\n" << deployed;
        ASSERT_TRUE(wait_running({"sentences", "splitter", "counter", "sink"}, 30s))
            << instances().dump(2);
        ASSERT_TRUE(wait_until([&] { return count_lines(_output) > 0; }, 20s))
            << "no count reached the sink\n"
            << instances().dump(2);
    }

    // counter's entry in `eddy ls --json` (null if it is not listed).
    json counter() {
        for (const auto& c : computations()) {
            if (c["name"] == "counter") {
                return c;
            }
        }
        return nullptr;
    }

    // counter's "move": null when none is in progress. A string saying so
    // when the field is missing, so that it is neither null nor a move.
    json move() {
        const auto c = counter();
        if (!c.is_object() || !c.contains("move")) {
            return "no \"move\" field in " + c.dump();
        }
        return c["move"];
    }

    std::string move_phase() {
        const auto m = move();
        return m.is_object() && m.contains("phase") && m["phase"].is_string()
                   ? m["phase"].get<std::string>()
                   : "";
    }

    // Whether `ls --instances` lists exactly `n` instances of counter,
    // indices 0..n-1, each running with a pid.
    bool counter_runs(std::uint32_t n) {
        std::set<std::uint32_t> running;
        std::size_t listed = 0;
        for (const auto& i : instances()) {
            if (i["computation"] != "counter") {
                continue;
            }
            ++listed;
            if (i["state"] == "running" && i["pid"].get<pid_t>() > 0) {
                running.insert(i["index"].get<std::uint32_t>());
            }
        }
        return listed == n && running.size() == n && (n == 0 || *running.rbegin() == n - 1);
    }

    // Whether every listed instance of counter has received records (as
    // last scraped).
    bool every_counter_receives() {
        bool any = false;
        for (const auto& i : instances()) {
            if (i["computation"] == "counter") {
                any = true;
                if (counter_of(i, "records_in") <= 0) {
                    return false;
                }
            }
        }
        return any;
    }

    [[nodiscard]] bool sink_has_v2() const {
        const auto text = read_file(_output);
        return text.starts_with("v2 ") || text.find("\nv2 ") != std::string::npos;
    }

    // `eddy scale counter n` while the input flows: it must exit 0 with the
    // move done, n instances running, all of them receiving, and counts
    // reaching the sink afterwards.
    void scale_to(std::uint32_t n) {
        EXPECT_EQ(status_of("sentences"), "running")
            << "the input ended before the scale to " << n
            << ": the scale no longer happens while records flow";
        const auto began = std::chrono::steady_clock::now();
        const auto scaled = eddy({"scale", "counter", std::to_string(n)}, 90s);
        const auto took = std::chrono::steady_clock::now() - began;
        RecordProperty("scale_to_" + std::to_string(n) + "_ms", static_cast<int>(took / 1ms));
        ASSERT_EQ(scaled.exit_code, 0) << "eddy scale counter " << n << "\n"
                                       << scaled << "\n--- coordinator.log (end)\n"
                                       << coordinator_log();
        // Every scale here moves more groups than one round carries.
        EXPECT_NE(scaled.out.find("key groups moved with their state in"), std::string::npos)
            << scaled;
        EXPECT_EQ(scaled.out.find("in 1 round;"), std::string::npos) << scaled;
        RecordProperty("scale_to_" + std::to_string(n) + "_answer", scaled.out);
        EXPECT_TRUE(move().is_null())
            << "eddy scale counter " << n << " returned before its move ended: " << move().dump();
        EXPECT_TRUE(wait_until([&] { return counter_runs(n); }, 20s))
            << "counter does not run " << n << " instances\n"
            << instances().dump(2);
        EXPECT_TRUE(wait_until([&] { return every_counter_receives(); }, 20s))
            << "an instance of counter receives nothing after the scale to " << n << "\n"
            << instances().dump(2);
        const auto lines = count_lines(_output);
        EXPECT_TRUE(wait_until([&] { return count_lines(_output) > lines + 1000; }, 20s))
            << "counts stopped reaching the sink after the scale to " << n << " (" << lines
            << " lines)\n"
            << instances().dump(2);
    }

    // `eddy scale counter n`, run in the background so that the test can act
    // while the move is in progress. Its output goes to the test directory.
    child_process scale_in_background(std::uint32_t n) {
        child_process::options options;
        options.args = {EDDY_CLI_PATH, "--home",  home().string(),
                        "scale",       "counter", std::to_string(n)};
        options.stdout_path = path("background-scale.out");
        options.stderr_path = path("background-scale.err");
        return child_process(std::move(options));
    }

    struct phase_wait {
        bool reached = false;
        std::string seen;  // the phases seen, in order: "holding exporting ..."
    };

    // Polls counter's move until its phase is `phase` for the `time`th time
    // (1: in the first round of the move that shows it, 2: the second...).
    // Gives up when `scaling` exits first, or after `timeout`.
    phase_wait wait_phase(const std::string& phase, int time, child_process& scaling,
                          std::chrono::milliseconds timeout) {
        phase_wait result;
        std::string last;
        int times = 0;
        result.reached = wait_until(
            [&] {
                const auto now = move_phase();
                if (!now.empty() && now != last) {
                    result.seen += now + " ";
                    last = now;
                    times += now == phase ? 1 : 0;
                }
                return (now == phase && times == time) || !scaling.running();
            },
            timeout);
        result.reached = result.reached && last == phase && times == time;
        return result;
    }

    // The opening of the kill tests: the short input with a pause between
    // the phases of a move, `eddy scale counter 5` (three rounds) in the
    // background once a quarter of the counts are in, returned in `scaling`
    // when the move shows `phase` in round `round`, with the input still running.
    void scale_to_five_until(const std::string& phase, int round,
                             std::optional<child_process>& scaling) {
        ASSERT_NO_FATAL_FAILURE(start(short_input_lines, 1500ms));
        ASSERT_NO_FATAL_FAILURE(wait_for_progress(25));
        scaling.emplace(scale_in_background(5));
        const auto reached = wait_phase(phase, round, *scaling, 40s);
        ASSERT_TRUE(reached.reached)
            << "the move never showed phase \"" << phase << "\" in round " << round
            << " (seen: " << reached.seen << "; last: " << move().dump()
            << "); eddy scale: " << exit_text(scaling->wait_exit(0ms)) << "\n"
            << scaling->stderr_text() << "\n--- coordinator.log (end)\n"
            << coordinator_log();
        RecordProperty("phases_seen", reached.seen);
        EXPECT_EQ(status_of("sentences"), "running") << "the input ended before the kill";
    }

    // Waits until `percent` of all the counts are in the sink, so that each
    // change of a run happens with state built up and records in flight,
    // spread over the input rather than all in its first second.
    void wait_for_progress(std::size_t percent) {
        const auto wanted = _expected_lines * percent / 100;
        const auto timeout = std::max<std::chrono::milliseconds>(
            std::chrono::duration_cast<std::chrono::milliseconds>(_input_ends -
                                                                  std::chrono::steady_clock::now()),
            0ms);
        ASSERT_TRUE(wait_until([&] { return count_lines(_output) >= wanted; }, timeout + 30s))
            << count_lines(_output) << " counts in the sink, waiting for " << wanted << " ("
            << percent << "%)\n"
            << instances().dump(2);
    }

    // Waits for all of the input to be counted and every computation to
    // finish, then checks the sink's counts; returns what it read.
    sink_counts expect_exact_counts() {
        const auto now = std::chrono::steady_clock::now();
        const auto timeout = std::max<std::chrono::milliseconds>(
            std::chrono::duration_cast<std::chrono::milliseconds>(_input_ends - now) + 60s, 30s);
        EXPECT_TRUE(wait_until([&] { return count_lines(_output) >= _expected_lines; }, timeout))
            << count_lines(_output) << " of " << _expected_lines << " counts reached the sink\n"
            << instances().dump(2);
        EXPECT_TRUE(wait_all_finished(30s)) << computations().dump(2);
        auto counts = read_sink(_output);
        EXPECT_EQ(check_exact(counts, _expected), "");
        std::size_t v2_lines = 0;
        for (const auto& [word, list] : counts.v2) {
            v2_lines += list.size();
        }
        RecordProperty("sink_lines", static_cast<int>(counts.lines));
        RecordProperty("v2_lines", static_cast<int>(v2_lines));
        return counts;
    }

    fs::path _output = path("counts.txt");
    std::map<std::string, long> _expected;
    std::size_t _expected_lines = 0;
    std::chrono::steady_clock::time_point _input_ends;
};

TEST_F(scale, scales_2_5_3_1_then_updates_with_exact_counts) {
    ASSERT_NO_FATAL_FAILURE(start(long_input_lines, std::nullopt));
    // One change at each fifth of the input; the last fifth is counted by v2.
    std::size_t percent = 0;
    for (const std::uint32_t n : {5u, 3u, 1u}) {
        ASSERT_NO_FATAL_FAILURE(wait_for_progress(percent += 20));
        ASSERT_NO_FATAL_FAILURE(scale_to(n)) << "scaling to " << n;
    }
    ASSERT_NO_FATAL_FAILURE(wait_for_progress(percent += 20));

    EXPECT_EQ(status_of("sentences"), "running")
        << "the input ended before the update: it no longer happens while records flow";
    const auto manifest = write_manifest("counter_v2.yaml", R"(name: counter
library: libkeyed_counter_v2.so
class: keyed_counter
instances: 1
inputs: [{stream: words, grouping: key}]
outputs: [counts]
delivery: exactly_once
state_version: 2
config: {output: counts}
)");
    const auto updated = eddy({"update", "counter", manifest.string()}, 90s);
    EXPECT_EQ(updated.exit_code, 0) << "eddy update counter\n" << updated;
    if (updated.exit_code == 0) {
        EXPECT_TRUE(wait_until([&] { return sink_has_v2(); }, 30s))
            << "no v2 count reached the sink after the update";
        EXPECT_TRUE(wait_until([&] { return counter_runs(1); }, 30s)) << instances().dump(2);
    }

    const auto counts = expect_exact_counts();
    EXPECT_FALSE(counts.v2.empty()) << "the sink holds no count of the v2 build";
}

TEST_F(scale, old_owner_killed_during_a_move) {
    std::optional<child_process> scaling;
    ASSERT_NO_FATAL_FAILURE(scale_to_five_until("exporting", 1, scaling));

    // Instance 0 owned half of the key groups and gives most of them away.
    const auto old_owner = instance("counter", 0);
    ASSERT_TRUE(old_owner.is_object()) << instances().dump(2);
    const auto pid = old_owner["pid"].get<pid_t>();
    ASSERT_GT(pid, 0) << old_owner.dump();
    ASSERT_EQ(::kill(pid, SIGKILL), 0);

    const auto finished = scaling->wait_exit(90s);
    ASSERT_TRUE(exited_zero(finished))
        << "eddy scale counter 5 after the old owner's kill: " << exit_text(finished) << "\n"
        << scaling->stdout_text() << scaling->stderr_text() << "\n--- coordinator.log (end)\n"
        << coordinator_log();
    EXPECT_TRUE(move().is_null()) << "eddy scale returned before its move ended: " << move().dump();
    // The killed instance was started again (a new pid) and all five run.
    EXPECT_TRUE(
        wait_until([&] { return counter_runs(5) && instance("counter", 0)["pid"] != pid; }, 30s))
        << instances().dump(2);

    expect_exact_counts();
}

TEST_F(scale, coordinator_killed_during_a_move) {
    std::optional<child_process> scaling;
    // In the second of three rounds: the next coordinator resumes in the
    // middle of the sequence.
    ASSERT_NO_FATAL_FAILURE(scale_to_five_until("importing", 2, scaling));

    const auto old_coordinator = status()["pid"].get<pid_t>();
    ASSERT_GT(old_coordinator, 0);
    ASSERT_EQ(::kill(old_coordinator, SIGKILL), 0);
    ASSERT_TRUE(wait_until([&] { return !process_alive(old_coordinator); }, 10s));

    // The CLI's coordinator is gone: it must say so rather than wait or
    // claim success.
    const auto failed = scaling->wait_exit(30s);
    EXPECT_TRUE(failed.has_value()) << "eddy scale still waits for a dead coordinator";
    EXPECT_FALSE(exited_zero(failed)) << "eddy scale succeeded although its coordinator died "
                                         "during the move\n"
                                      << scaling->stdout_text();

    // A new coordinator finishes (or undoes and redoes) the move by itself.
    ASSERT_NO_FATAL_FAILURE(up());
    EXPECT_NE(status()["pid"].get<pid_t>(), old_coordinator);
    EXPECT_TRUE(wait_until([&] { return counter_runs(5) && move().is_null(); }, 90s))
        << "the restarted coordinator did not complete the move\nmove: " << move().dump() << "\n"
        << instances().dump(2) << "\n--- coordinator.log (end)\n"
        << coordinator_log();

    expect_exact_counts();
}

}  // namespace
}  // namespace eddy::testing
