// Pass-through throughput per SDK: generator -> passthrough -> counting sink,
// each an eddy-executor of its own started by local_cluster over Unix
// sockets, where the passthrough (one instance) is, in turn, the C++
// computation loaded from a library (the in-executor baseline) and each SDK's
// pass-through program (build/<preset>/sdk/<language>/bin/passthrough, a user
// process speaking docs/protocol.md section 11). Beside them, the same C++
// pipeline in the embedded runtime (one process, no sockets), as the
// in-process figure.
//
// Each figure is records/s through the passthrough over a steady window: from
// `warmup` after its first produced record (start-up, JIT warm-up and the
// first credit round excluded), the passthrough's eddy_records_out_total
// over `window`, read from /metrics. The generator is bounded by a count far
// above what a window carries, and the cluster is killed once the window has
// been read. One line per language: records/s, ratio to the C++ executor
// figure and to the in-process one, and the target (Go, Java,
// Node.js >= 1,000,000 records/s; Python, Ruby >= 300,000), PASS or below.
// The machine may be shared: the figures are printed, never asserted.
//
//     sdk_bench [--language cpp|python|go|java|ruby|node]... [--warmup-ms MS]
//               [--window-ms MS] [--verbose]
//
// About 45 s in all.

#include "connectors/builtin.hpp"
#include "passthrough.hpp"
#include "support/local_cluster.hpp"
#include <eddy/embedded.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef EDDY_BENCH_SDK_COMPUTATIONS
#error "EDDY_BENCH_SDK_COMPUTATIONS must be defined by the build"
#endif
#ifndef EDDY_SDK_BUILD_DIR
#error "EDDY_SDK_BUILD_DIR must be defined by the build"
#endif

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr std::size_t value_size = 100;
constexpr std::uint64_t key_space = 1000;
// Far more than a window carries at any rate seen here: the run is cut short
// when the window has been read, the count only guarantees that it ends.
constexpr std::uint64_t generator_count = 200'000'000;

struct settings {
    std::vector<std::string> languages = {"cpp", "python", "go", "java", "ruby", "node"};
    std::chrono::milliseconds warmup{1000};
    std::chrono::milliseconds window{3000};
    bool verbose = false;  // print every language's executors' logs to stderr
};

double target_of(const std::string& language) {
    if (language == "go" || language == "java" || language == "node") {
        return 1'000'000;
    }
    if (language == "python" || language == "ruby") {
        return 300'000;
    }
    return 0;
}

std::map<std::string, std::string> generator_config() {
    return {{"stream", "in"},
            {"kind", "random"},
            {"keys", std::to_string(key_space)},
            {"value_size", std::to_string(value_size)},
            {"count", std::to_string(generator_count)}};
}

double wall_seconds_since(steady::time_point start) {
    return std::chrono::duration<double>(steady::now() - start).count();
}

// A counter read at a moment: (when, value).
struct sample {
    steady::time_point at;
    double value = 0;
};

struct window_figures {
    double records_per_second = 0;
    // CPU ÷ wall time over the whole measurement, of the passthrough's
    // executor and of its user process (0 for the C++ baseline): where the
    // time goes, on a machine with fewer cores than the pipeline has processes.
    double executor_cores = 0;
    double user_cores = 0;
};

// utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and
// 15), and its parent; nullopt once it has gone.
struct process_ticks {
    int parent = 0;
    std::uint64_t ticks = 0;
};
std::optional<process_ticks> read_ticks(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) {
        return std::nullopt;
    }
    // The command name (field 2) may hold spaces: fields are counted after it.
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    process_ticks out;
    std::uint64_t utime = 0;
    std::uint64_t stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 4) {
            out.parent = std::stoi(field);
        } else if (i == 14) {
            utime = std::stoull(field);
        } else if (i == 15) {
            stime = std::stoull(field);
        }
    }
    out.ticks = utime + stime;
    return out;
}

// CPU ticks of `pid` itself and of its live children together.
struct tree_ticks {
    std::uint64_t own = 0;
    std::uint64_t children = 0;
};
tree_ticks ticks_of_tree(int pid) {
    tree_ticks out;
    if (const auto own = read_ticks(pid)) {
        out.own = own->ticks;
    }
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        if (const auto child = read_ticks(std::stoi(name)); child && child->parent == pid) {
            out.children += child->ticks;
        }
    }
    return out;
}

// Waits (with a deadline) until `read` gives a value above 0, then `warmup`,
// then returns the rate of `read` over `window`. `read` returns nullopt when
// the counter cannot be read (the process has gone).
template <class Read>
double steady_rate(Read read, const settings& options, std::chrono::milliseconds start_deadline,
                   const std::string& what) {
    const auto deadline = steady::now() + start_deadline;
    for (;;) {
        const auto value = read();
        if (value && *value > 0) {
            break;
        }
        if (steady::now() > deadline) {
            throw std::runtime_error(what + ": no record through the passthrough within " +
                                     std::to_string(start_deadline.count()) + " ms");
        }
        std::this_thread::sleep_for(20ms);
    }
    const auto timed_read = [&]() {
        const auto before = steady::now();
        const auto value = read();
        const auto after = steady::now();
        if (!value) {
            throw std::runtime_error(what + ": the passthrough's counter went away mid-run");
        }
        return sample{before + (after - before) / 2, *value};
    };
    std::this_thread::sleep_for(options.warmup);
    const sample first = timed_read();
    std::this_thread::sleep_for(options.window);
    const sample last = timed_read();
    const double seconds = std::chrono::duration<double>(last.at - first.at).count();
    return (last.value - first.value) / seconds;
}

// The same pipeline in one process: the built-in generator, the C++
// passthrough and the counting sink in the embedded runtime.
double run_in_process(const settings& options) {
    eddy::embedded_topology topology;
    const auto config = generator_config();
    const eddy::connectors::option_map generator_options(config.begin(), config.end());
    topology.add(
        [generator_options] {
            auto made = eddy::connectors::make_builtin("generator", generator_options);
            if (!made) {
                throw std::runtime_error("generator: " + made.error().message);
            }
            return std::move(*made);
        },
        {.config = {config.begin(), config.end()}});
    topology.add<eddy::bench::passthrough>();
    topology.add<eddy::bench::counting_sink>();
    topology.start();
    const double rate = steady_rate(
        [&]() -> std::optional<double> {
            return static_cast<double>(topology.stats("passthrough").records_out);
        },
        options, 10s, "in-process");
    topology.stop();
    return rate;
}

// generator -> passthrough (`language`) -> counting sink, three executors.
window_figures run_executors(const std::string& language, const settings& options) {
    eddy::testing::temp_dir dir("eddy-sdk-bench-" + language);
    eddy::testing::local_cluster cluster(dir.path(), eddy::testing::link::unix_socket);
    const std::string library = EDDY_BENCH_SDK_COMPUTATIONS;
    cluster.add({.name = "generator",
                 .builtin = "generator",
                 .outputs = {"in"},
                 .config = generator_config()});
    eddy::testing::executor_spec passthrough{
        .name = "passthrough", .inputs = {{"in", "shuffle"}}, .outputs = {"out"}};
    if (language == "cpp") {
        passthrough.library = library;
        passthrough.class_name = "passthrough";
    } else {
        passthrough.command = {std::string(EDDY_SDK_BUILD_DIR) + "/" + language +
                               "/bin/passthrough"};
    }
    cluster.add(std::move(passthrough));
    cluster.add({.name = "sink",
                 .library = library,
                 .class_name = "counting_sink",
                 .inputs = {{"out", "shuffle"}}});
    cluster.start(60s);
    window_figures figures;
    try {
        const int pid = cluster.process("passthrough", 0).pid();
        const auto metric = [&] {
            return cluster.metric("passthrough", 0, "eddy_records_out_total");
        };
        // Start-up (a JVM, a Ruby interpreter) is not the window's.
        const auto started = steady::now();
        while (metric().value_or(0) == 0) {
            if (steady::now() - started > 30s) {
                throw std::runtime_error(language +
                                         ": no record through the passthrough within 30 s");
            }
            std::this_thread::sleep_for(20ms);
        }
        const auto cpu_before = ticks_of_tree(pid);
        const auto wall_before = steady::now();
        figures.records_per_second = steady_rate(metric, options, 1s, language);
        const auto cpu_after = ticks_of_tree(pid);
        const double ticks_per_second =
            static_cast<double>(wall_seconds_since(wall_before) * sysconf(_SC_CLK_TCK));
        figures.executor_cores =
            static_cast<double>(cpu_after.own - cpu_before.own) / ticks_per_second;
        figures.user_cores =
            static_cast<double>(cpu_after.children - cpu_before.children) / ticks_per_second;
    } catch (const std::exception&) {
        std::fprintf(stderr, "%s\n", cluster.logs().c_str());
        throw;
    }
    if (options.verbose) {
        std::fprintf(stderr, "%s\n", cluster.logs().c_str());
    }
    return figures;
}

}  // namespace

namespace {

std::string rate_text(double records_per_second) {
    return fmt::format("{:10.0f} records/s", records_per_second);
}

settings parse(int argc, char** argv) {
    settings out;
    bool languages_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--verbose") {
            out.verbose = true;
            continue;
        }
        if (i + 1 >= argc) {
            throw std::invalid_argument("missing value after " + flag);
        }
        const std::string value = argv[++i];
        if (flag == "--language") {
            if (!languages_given) {
                out.languages.clear();
                languages_given = true;
            }
            out.languages.push_back(value);
        } else if (flag == "--warmup-ms") {
            out.warmup = std::chrono::milliseconds(std::stoll(value));
        } else if (flag == "--window-ms") {
            out.window = std::chrono::milliseconds(std::stoll(value));
        } else {
            throw std::invalid_argument("unknown option " + flag);
        }
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const settings options = parse(argc, argv);
        std::printf(
            "sdk_bench: generator -> passthrough (1 instance) -> counting sink, one eddy-executor "
            "each over Unix sockets; %zu-byte values, keys of %llu; records/s out of the "
            "passthrough over %lld ms after %lld ms of warm-up; cores = CPU / wall of the "
            "passthrough's executor + its user process\n",
            value_size, static_cast<unsigned long long>(key_space),
            static_cast<long long>(options.window.count()),
            static_cast<long long>(options.warmup.count()));
        const double in_process = run_in_process(options);
        std::printf("sdk in-process  cpp     %s  (embedded runtime, one process: the baseline)\n",
                    rate_text(in_process).c_str());
        std::fflush(stdout);
        std::optional<double> cpp;
        for (const auto& language : options.languages) {
            window_figures figures;
            try {
                figures = run_executors(language, options);
            } catch (const std::exception& e) {
                const std::string what = e.what();
                std::printf("sdk executor    %-7s FAILED: %s\n", language.c_str(),
                            what.substr(0, what.find('\n')).c_str());
                std::fflush(stdout);
                continue;
            }
            if (language == "cpp") {
                cpp = figures.records_per_second;
            }
            const double target = target_of(language);
            const std::string versus_cpp =
                cpp ? fmt::format("{:.2f} of cpp executor", figures.records_per_second / *cpp)
                    : std::string("(no cpp executor figure)");
            const std::string verdict =
                target == 0 ? std::string("baseline")
                            : fmt::format("target {:.0f}: {}", target,
                                          figures.records_per_second >= target ? "PASS" : "below");
            std::printf(
                "sdk executor    %-7s %s  %s, %.2f of in-process | cores %.2f executor + %.2f "
                "user | %s\n",
                language.c_str(), rate_text(figures.records_per_second).c_str(), versus_cpp.c_str(),
                figures.records_per_second / in_process, figures.executor_cores, figures.user_cores,
                verdict.c_str());
            std::fflush(stdout);
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sdk_bench: %s\n", e.what());
        return 1;
    }
}
