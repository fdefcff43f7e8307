// Cluster mode (issue 10): the throughput of the C++ word count spread over
// three hosts beside the same topology on one host, in one run, on the
// cluster the cluster tests build (tests/cluster/cluster_processes.hpp):
// three hosts in network namespaces, a 3-node ZooKeeper ensemble on the
// bridge address, one coordinator, one agent per host (each offering
// `--cpu 3`), all driven through the `eddy` CLI.
//
//   sentences (generator, 2 instances, a fixed count of lines each, no rate)
//     -> splitter (3, shuffle) -> counter (3, key) -> sink (file, 1)
//
// the manifest of the cluster tests (tests/cluster/wordcount_manifest.hpp),
// every computation in one delivery mode. For each mode of `--modes`
// (exactly_once, then at_most_once by default) the bench deploys it while
// the three agents run (the scheduler spreads each computation over the
// hosts), then stops two agents and deploys it again on the one left. Each
// generator instance makes `--lines` lines (300,000) in the durable modes
// and `--at-most-once-lines` (2,000,000) in at_most_once, which runs about
// 18 times as fast: with as few lines its run would be over in under a
// second, too short to time from samples. A run:
//
//   - the figure is records through the sink per second (the counter's
//     "word n" records, one per word of the input): from the first sample
//     of the sink's file that holds a line to the first that holds them all
//     (the file is sampled every 10 ms; in at_most_once the sink also
//     buffers up to 64 KiB of lines for at most 200 ms, which can delay
//     the last ones by that much);
//   - the output is then checked against the reference computed without
//     eddy (support/wordcount_reference.hpp: every word's running counts
//     1..n exactly once), and where the instances ran against the placement
//     asked for: a wrong count, a stall, or a misplaced instance fails the
//     run (exit 1), so every figure printed is of a correct run;
//   - the computations are killed and the bench waits until none is listed
//     before the next run.
//
// It prints each run, then per mode both figures and their ratio (3 hosts /
// 1 host). Every host is a namespace on this one machine: they share its
// cores, so the ratio shows what spreading the same processes over hosts
// costs (channels over TCP between namespaces), not scaling; the bench says
// so beside it. Needs root (network namespaces): otherwise it says so and exits
// 2. Everything it started (agents, coordinator, executors, ZooKeeper,
// namespaces, the temporary directory) is stopped and removed at the end,
// on failure and on SIGINT/SIGTERM too. About a minute with the defaults on
// 2 cores.
//
//     cluster_bench [--lines N] [--at-most-once-lines N]
//                   [--modes exactly_once,at_least_once,at_most_once]

#include "../support/load_average.hpp"
#include "cluster_processes.hpp"
#include "sink_progress.hpp"
#include "support/wordcount_reference.hpp"
#include "wordcount_manifest.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef EDDY_WORDCOUNT_LIBRARY
#error "EDDY_WORDCOUNT_LIBRARY must be defined by the build"
#endif

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using eddy::bench::sink_progress;
using eddy::testing::cluster_processes;
using json = nlohmann::json;

constexpr std::uint64_t seed = 29;
constexpr std::size_t host_count = 3;
constexpr auto sample_interval = 10ms;
constexpr auto stall_timeout = 30s;  // no new line at the sink for this long fails the run
constexpr auto run_timeout = 150s;   // from the deploy to the last record
const std::vector<std::string> computations{"sentences", "splitter", "counter", "sink"};
constexpr std::size_t instances_per_run = 2 + 3 + 3 + 1;

// The signal that asked the bench to stop (SIGINT, SIGTERM, SIGHUP), or 0.
std::atomic<int> stop_signal{0};

extern "C" void on_stop_signal(int sig) {
    stop_signal = sig;
}

void throw_if_stopped() {
    if (const int sig = stop_signal.load(); sig != 0) {
        throw std::runtime_error(fmt::format("stopped by signal {}", sig));
    }
}

struct settings {
    // Lines per generator instance in the durable modes, and in
    // at_most_once (about 18 times as fast: with as many lines its run
    // would last under a second).
    std::uint64_t lines = 300'000;
    std::uint64_t at_most_once_lines = 2'000'000;
    std::vector<std::string> modes{"exactly_once", "at_most_once"};
};

// What one mode runs, and what its sink must end with.
struct workload {
    std::string mode;
    std::uint64_t lines = 0;  // per generator instance
    std::map<std::string, long> expected;
    std::uint64_t words = 0;  // records through the sink
};

workload make_workload(const settings& options, const std::string& mode) {
    workload w{.mode = mode,
               .lines = mode == "at_most_once" ? options.at_most_once_lines : options.lines};
    w.expected = eddy::testing::expected_word_counts(w.lines, seed,
                                                     eddy::testing::wordcount_generator_instances);
    for (const auto& [word, n] : w.expected) {
        w.words += static_cast<std::uint64_t>(n);
    }
    return w;
}

// Where a run's instances must go.
enum class placement { three_hosts, one_host };

std::string placement_name(placement p) {
    return p == placement::three_hosts ? "3 hosts" : "1 host";
}

struct run_result {
    std::string mode;
    placement where = placement::three_hosts;
    std::uint64_t records = 0;  // in the measured window
    double seconds = 0;         // the window
    double first_after_deploy = 0;
    std::string hosts;  // where each computation's instances ran
    [[nodiscard]] double rate() const { return static_cast<double>(records) / seconds; }
};

double seconds_between(clock_type::time_point from, clock_type::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

using eddy::bench::load_average;

eddy::testing::cli_run eddy_or_throw(cluster_processes& cluster,
                                     const std::vector<std::string>& args) {
    auto run = cluster.eddy(args);
    if (run.exit_code != 0) {
        std::ostringstream what;
        what << "eddy " << fmt::format("{}", fmt::join(args, " ")) << ": " << run;
        throw std::runtime_error(what.str());
    }
    return run;
}

// computation -> host -> instances, from `eddy ls --instances --json`.
using host_map = std::map<std::string, std::map<std::string, int>>;

host_map hosts_of_instances(const json& instances) {
    host_map out;
    for (const auto& i : instances) {
        ++out[i.value("computation", "?")][i.value("host", "?")];
    }
    return out;
}

std::string describe(const host_map& hosts) {
    std::string out;
    for (const auto& name : computations) {
        const auto it = hosts.find(name);
        if (it == hosts.end()) {
            continue;
        }
        std::vector<std::string> on;
        for (const auto& [host, n] : it->second) {
            on.push_back(n == 1 ? host : fmt::format("{}x{}", host, n));
        }
        out += fmt::format("{}{} on {}", out.empty() ? "" : "; ", name, fmt::join(on, ","));
    }
    return out;
}

// Throws unless the run's instances ran where `where` asks: with three
// hosts, every host runs some and the 3-instance computations have one on
// each; with one host, all of them are on host0.
void check_placement(const json& instances, placement where) {
    const auto hosts = hosts_of_instances(instances);
    if (instances.size() != instances_per_run) {
        throw std::runtime_error(fmt::format("{} instances are listed, not {}: {}",
                                             instances.size(), instances_per_run, describe(hosts)));
    }
    std::set<std::string> used;
    for (const auto& [name, on] : hosts) {
        for (const auto& [host, n] : on) {
            used.insert(host);
        }
    }
    const bool spread = used.size() == host_count && hosts.at("splitter").size() == host_count &&
                        hosts.at("counter").size() == host_count;
    const bool together = used == std::set<std::string>{"host0"};
    if (where == placement::three_hosts ? !spread : !together) {
        throw std::runtime_error(fmt::format("the instances were not placed on {}: {}",
                                             placement_name(where), describe(hosts)));
    }
}

// Kills the word count's computations and waits until none is listed and
// their executors are gone.
void remove_word_count(cluster_processes& cluster) {
    const auto listed = cluster.instances();
    for (const auto& name : computations) {
        (void)eddy_or_throw(cluster, {"kill", name});
    }
    std::vector<pid_t> pids;
    for (const auto& i : listed) {
        if (const auto pid = i.value("pid", -1); pid > 0) {
            pids.push_back(pid);
        }
    }
    const bool gone = eddy::testing::wait_until(
        [&] {
            return cluster.instances().empty() &&
                   std::none_of(pids.begin(), pids.end(),
                                [](pid_t p) { return ::kill(p, 0) == 0; });
        },
        30s);
    if (!gone) {
        throw std::runtime_error("the killed word count is still listed or running: " +
                                 cluster.instances().dump());
    }
}

// Deploys the word count of `work`, follows its sink to the last record,
// checks the counts and the placement, and removes it again.
run_result run_word_count(cluster_processes& cluster, const workload& work, placement where) {
    throw_if_stopped();
    const auto& mode = work.mode;
    const auto words = work.words;
    const auto tag =
        fmt::format("{}-{}", where == placement::three_hosts ? "3hosts" : "1host", mode);
    const auto output = cluster.path("counts-" + tag + ".txt");
    const auto manifest =
        cluster.write_file("wordcount-" + tag + ".yaml",
                           eddy::testing::wordcount_manifest({.lines_per_instance = work.lines,
                                                              .seed = seed,
                                                              .lines_per_second = 0,
                                                              .delivery = mode,
                                                              .output = output}));
    sink_progress sink(output);
    const auto deployed = clock_type::now();
    (void)eddy_or_throw(cluster, {"deploy", manifest.string()});
    auto last = sink.sample();
    auto last_growth = last.at;
    while (last.lines < words) {
        throw_if_stopped();
        std::this_thread::sleep_for(sample_interval);
        const auto now = sink.sample();
        if (now.lines > last.lines) {
            last_growth = now.at;
        }
        last = now;
        if (last.at - last_growth > stall_timeout || last.at - deployed > run_timeout) {
            throw std::runtime_error(fmt::format(
                "{} on {}: the sink has {} of {} records {:.0f} s after the deploy, {:.0f} s "
                "since its last; instances: {}",
                mode, placement_name(where), last.lines, words, seconds_between(deployed, last.at),
                seconds_between(last_growth, last.at), cluster.instances().dump()));
        }
    }
    if (last.lines > words) {
        throw std::runtime_error(fmt::format("{} on {}: the sink wrote {} records, {} expected",
                                             mode, placement_name(where), last.lines, words));
    }
    const auto& first = *sink.first();
    run_result result{.mode = mode,
                      .where = where,
                      .records = words - first.lines,
                      .seconds = seconds_between(first.at, last.at),
                      .first_after_deploy = seconds_between(deployed, first.at)};
    if (const auto wrong = eddy::testing::check_running_counts(output, work.expected);
        !wrong.empty()) {
        throw std::runtime_error(
            fmt::format("{} on {}: the counts are wrong: {}", mode, placement_name(where), wrong));
    }
    const auto instances = cluster.instances();
    check_placement(instances, where);
    result.hosts = describe(hosts_of_instances(instances));
    remove_word_count(cluster);
    std::filesystem::remove(output);  // tens of MB each
    return result;
}

void print_run(const run_result& r) {
    std::printf(
        "%-7s %-12s %9.0f records/s  (%llu records in %.2f s, first at the sink %.2f s after "
        "the deploy; counts exact)\n        %s\n",
        placement_name(r.where).c_str(), r.mode.c_str(), r.rate(),
        static_cast<unsigned long long>(r.records), r.seconds, r.first_after_deploy,
        r.hosts.c_str());
    std::fflush(stdout);
}

// Waits until exactly `count` agents are registered.
void wait_exactly_agents(cluster_processes& cluster, std::size_t count) {
    std::optional<std::size_t> agents;
    const bool reached = eddy::testing::wait_until(
        [&] {
            agents = cluster.registered_agents();
            return agents == count;
        },
        30s);
    if (!reached) {
        throw std::runtime_error(fmt::format("{} agents are registered, not {}",
                                             agents ? std::to_string(*agents) : "no answer: ?",
                                             count));
    }
}

void measure(const settings& options) {
    const auto began = clock_type::now();
    const unsigned cores = std::thread::hardware_concurrency();
    std::printf(
        "cluster_bench: word count sentences (generator x2, no rate) -> splitter x3 -> counter "
        "x3 -> file sink x1, every computation in one mode; on 3 hosts (network namespaces, one "
        "agent each), then on 1; ZooKeeper x3 and one coordinator outside the hosts; %u cores "
        "on this machine, shared by every host; load average %s\n",
        cores, load_average().c_str());
    std::vector<workload> work;
    for (const auto& mode : options.modes) {
        work.push_back(make_workload(options, mode));
        std::printf("  %-13s 2 x %llu lines, %llu records through the sink a run\n", mode.c_str(),
                    static_cast<unsigned long long>(work.back().lines),
                    static_cast<unsigned long long>(work.back().words));
    }
    std::fflush(stdout);

    cluster_processes cluster(
        {.hosts = host_count, .coordinators = 1, .directory_prefix = "eddy-cluster-bench"});
    std::vector<run_result> three;
    std::vector<run_result> one;
    try {
        std::filesystem::copy_file(EDDY_WORDCOUNT_LIBRARY, cluster.path("libwordcount.so"));
        cluster.start_coordinator(0);
        for (std::size_t h = 0; h < host_count; ++h) {
            cluster.start_agent(h);
        }
        if (!cluster.wait_leader(30s)) {
            throw std::runtime_error("the coordinator did not become the leader within 30 s");
        }
        wait_exactly_agents(cluster, host_count);
        for (const auto& w : work) {
            three.push_back(run_word_count(cluster, w, placement::three_hosts));
            print_run(three.back());
        }
        // The same on one host: the other two agents leave the cluster.
        for (std::size_t h = 1; h < host_count; ++h) {
            if (!cluster.stop_agent(h)) {
                throw std::runtime_error(fmt::format("the agent of host{} did not stop", h));
            }
        }
        wait_exactly_agents(cluster, 1);
        for (const auto& w : work) {
            one.push_back(run_word_count(cluster, w, placement::one_host));
            print_run(one.back());
        }
    } catch (...) {
        cluster.stop();
        std::fprintf(stderr, "%s", cluster.logs().c_str());
        throw;
    }
    cluster.stop();

    std::printf("%-14s %16s %16s %22s\n", "mode", "3 hosts rec/s", "1 host rec/s",
                "ratio 3 hosts / 1 host");
    for (std::size_t m = 0; m < options.modes.size(); ++m) {
        std::printf("%-14s %16.0f %16.0f %22.2f\n", options.modes[m].c_str(), three[m].rate(),
                    one[m].rate(), three[m].rate() / one[m].rate());
    }
    std::printf(
        "note: the 3 \"hosts\" are network namespaces on one machine and share its %u cores, "
        "so the ratio is not scaling: it shows what spreading the same work over hosts costs "
        "here (channels over TCP between namespaces), on the same cores\n"
        "%.0f s in all; load average %s\n",
        cores, seconds_between(began, clock_type::now()), load_average().c_str());
}

std::vector<std::string> split_modes(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string mode;
    while (std::getline(in, mode, ',')) {
        if (mode != "exactly_once" && mode != "at_least_once" && mode != "at_most_once") {
            throw std::invalid_argument("unknown delivery mode " + mode);
        }
        out.push_back(mode);
    }
    return out;
}

settings parse(int argc, char** argv) {
    settings out;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) {
            throw std::invalid_argument("missing value after " + flag);
        }
        const std::string value = argv[++i];
        if (flag == "--lines") {
            out.lines = std::stoull(value);
        } else if (flag == "--at-most-once-lines") {
            out.at_most_once_lines = std::stoull(value);
        } else if (flag == "--modes") {
            out.modes = split_modes(value);
        } else {
            throw std::invalid_argument("unknown option " + flag);
        }
    }
    if (out.lines == 0 || out.at_most_once_lines == 0 || out.modes.empty()) {
        throw std::invalid_argument(
            "--lines and --at-most-once-lines must be at least 1 and --modes name a mode");
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (::geteuid() != 0) {
        std::fprintf(stderr,
                     "cluster_bench: needs root: its 3 hosts are network namespaces (ip netns); "
                     "run it as root (sudo %s). Nothing was measured.\n",
                     argv[0]);
        return 2;
    }
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    ::sigemptyset(&action.sa_mask);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
        ::sigaction(sig, &action, nullptr);
    }
    try {
        measure(parse(argc, argv));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cluster_bench: %s\n", e.what());
        return 1;
    }
}
