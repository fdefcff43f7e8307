// The chaos test of the delivery modes (DESIGN.md, "Delivery modes and
// state"): the C++ word count, sentences (2) -> splitter (2) -> counter (2)
// -> file sink, over more than 2,000,000 seeded words, while a driver kills
// a random executor with SIGKILL every 1-3 s (16 kills, among them a burst
// of 3 at once) and starts it again, as an agent would.
//
//   - exactly_once: the sink's file holds, for every word, the running
//     counts 1..n exactly once: nothing lost, nothing doubled;
//   - at_least_once: no word ends below its expected count;
//   - at_most_once: the loss is measured and reported (no promise to check).
//
// Every computation of the run is in the mode under test, the source and
// the sink included (their positions and file length are part of their
// commits).

#include "support/local_cluster.hpp"
#include "support/wordcount_reference.hpp"
#include "support/wordcount_topology.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <random>
#include <sstream>
#include <thread>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t lines_per_instance = 140'000;
constexpr std::uint64_t lines_per_second = 3'500;  // per instance: ~40 s of input
constexpr std::uint64_t seed = 17;
constexpr int kills = 16;

struct victim {
    std::string name;
    std::uint32_t index;
};

const std::vector<victim> executors = {{"sentences", 0}, {"sentences", 1}, {"splitter", 0},
                                       {"splitter", 1},  {"counter", 0},   {"counter", 1},
                                       {"sink", 0}};

// The sink's file size once every word's running counts 1..n are in it,
// each "word n\n" once.
std::uintmax_t expected_bytes(const std::map<std::string, long>& expected) {
    std::uintmax_t bytes = 0;
    for (const auto& [word, n] : expected) {
        for (long i = 1; i <= n; ++i) {
            bytes += word.size() + 2 + std::to_string(i).size();
        }
    }
    return bytes;
}

std::uintmax_t size_of(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
}

// The highest count the sink saw per word.
std::map<std::string, long> final_counts(const std::filesystem::path& output) {
    std::map<std::string, long> counts;
    std::istringstream lines(read_file(output));
    std::string word;
    long count = 0;
    while (lines >> word >> count) {
        auto& best = counts[word];
        best = std::max(best, count);
    }
    return counts;
}

class chaos_run {
public:
    explicit chaos_run(const std::string& delivery)
        : _dir("eddy-chaos-" + delivery), _cluster(_dir.path(), link::unix_socket) {
        cluster_add_all(delivery);
        _cluster.start();
    }

    // Kills executors at random (seeded) until `kills` have died, restarting
    // each at once; returns how many it killed.
    int kill_at_random(std::uint64_t schedule_seed) {
        std::mt19937_64 random(schedule_seed);
        int killed = 0;
        while (killed < kills) {
            // The pacing of the chaos, not a wait for a condition.
            std::this_thread::sleep_for(std::chrono::milliseconds(1000 + random() % 2000));
            const bool burst = killed == kills / 2;
            std::vector<victim> chosen;
            for (int attempt = 0; attempt < 50 && chosen.size() < (burst ? 3u : 1u); ++attempt) {
                const auto& candidate = executors[random() % executors.size()];
                const bool again = std::any_of(chosen.begin(), chosen.end(), [&](const auto& v) {
                    return v.name == candidate.name && v.index == candidate.index;
                });
                if (!again && _cluster.process(candidate.name, candidate.index).running()) {
                    chosen.push_back(candidate);
                }
            }
            if (chosen.empty()) {
                break;  // everything has finished
            }
            for (const auto& v : chosen) {
                _cluster.process(v.name, v.index).signal(SIGKILL);
            }
            for (const auto& v : chosen) {
                EXPECT_TRUE(_cluster.process(v.name, v.index).wait_exit(10s).has_value());
                _cluster.restart(v.name, v.index);
                ++killed;
            }
        }
        return killed;
    }

    // What each executor's counters say, for a failure message: where a run
    // that stopped making progress is stuck.
    [[nodiscard]] std::string counters() const {
        static const std::vector<std::string> wanted = {
            "eddy_records_in_total",         "eddy_records_out_total",
            "eddy_queue_depth_batches",      "eddy_channel_connected",
            "eddy_duplicates_dropped_total", "eddy_blocked_on_credit_seconds_total"};
        std::string out;
        for (const auto& v : executors) {
            out += fmt::format("---- {}[{}] counters\n", v.name, v.index);
            const auto page = _cluster.metrics(v.name, v.index);
            if (!page) {
                out += "(no answer)\n";
                continue;
            }
            std::istringstream lines(*page);
            std::string line;
            while (std::getline(lines, line)) {
                for (const auto& w : wanted) {
                    if (line.starts_with(w)) {
                        out += line + "\n";
                    }
                }
            }
        }
        return out;
    }

    [[nodiscard]] const std::filesystem::path& output() const { return _output; }
    [[nodiscard]] local_cluster& cluster() { return _cluster; }

private:
    void cluster_add_all(const std::string& delivery) {
        _output = _dir / "counts.txt";
        add_sentences(_cluster, lines_per_instance, seed, lines_per_second, delivery);
        add_cpp_word_count(_cluster, EDDY_WORDCOUNT_LIBRARY, _output.string(), delivery);
    }

    temp_dir _dir;
    local_cluster _cluster;
    std::filesystem::path _output;
};

const std::map<std::string, long>& expected() {
    static const auto counts = expected_word_counts(lines_per_instance, seed, 2);
    return counts;
}

long total(const std::map<std::string, long>& counts) {
    long sum = 0;
    for (const auto& [word, n] : counts) {
        sum += n;
    }
    return sum;
}

TEST(chaos, the_input_is_large_enough) {
    EXPECT_GE(total(expected()), 2'000'000);
}

TEST(chaos, exactly_once_counts_are_exact_after_sigkills) {
    chaos_run run("exactly_once");
    EXPECT_GE(run.kill_at_random(1), kills);
    const auto bytes = expected_bytes(expected());
    EXPECT_TRUE(wait_until([&] { return size_of(run.output()) >= bytes; }, 180s))
        << size_of(run.output()) << " of " << bytes << " bytes\n"
        << run.counters() << run.cluster().logs();
    EXPECT_EQ(check_running_counts(run.output(), expected()), "");
    EXPECT_EQ(size_of(run.output()), bytes) << "a line is in the output twice";
}

TEST(chaos, at_least_once_loses_no_record_after_sigkills) {
    chaos_run run("at_least_once");
    EXPECT_GE(run.kill_at_random(2), kills);
    const auto bytes = expected_bytes(expected());
    EXPECT_TRUE(wait_until([&] { return size_of(run.output()) >= bytes; }, 180s))
        << size_of(run.output()) << " of " << bytes << " bytes\n"
        << run.counters() << run.cluster().logs();
    const auto counts = final_counts(run.output());
    for (const auto& [word, n] : expected()) {
        const auto found = counts.find(word);
        EXPECT_GE(found == counts.end() ? 0 : found->second, n) << word;
    }
}

TEST(chaos, at_most_once_reports_what_it_lost) {
    chaos_run run("at_most_once");
    EXPECT_GE(run.kill_at_random(3), kills);
    // The end is when the output stops growing: what was lost never comes.
    std::uintmax_t last = 0;
    auto changed = std::chrono::steady_clock::now();
    EXPECT_TRUE(wait_until(
        [&] {
            const auto now = size_of(run.output());
            if (now != last) {
                last = now;
                changed = std::chrono::steady_clock::now();
            }
            return std::chrono::steady_clock::now() - changed > 5s;
        },
        180s));
    const auto counts = final_counts(run.output());
    const long want = total(expected());
    long lost = 0;
    for (const auto& [word, n] : expected()) {
        const auto found = counts.find(word);
        lost += std::max(0L, n - (found == counts.end() ? 0 : found->second));
    }
    const std::string report = fmt::format("at_most_once lost {} of {} words ({:.2f}%)", lost, want,
                                           100.0 * static_cast<double>(lost) / want);
    std::printf("%s\n", report.c_str());
    RecordProperty("loss", report);
    EXPECT_GT(total(counts), 0);
}

}  // namespace
}  // namespace eddy::testing
