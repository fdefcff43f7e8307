// wordcount: runs the word count on an embedded topology and prints the
// total per word, most frequent first.
//
//   wordcount [--lines N] [--seed S] [--splitters N] [--counters N]
//             [--output PATH] [--print-updates] [--top K]
//
// --output writes every running count ("word count" lines) to PATH through
// the built-in file sink; --print-updates prints them through the stdout sink.

#include "connectors/file_sink.hpp"
#include "connectors/stdout_sink.hpp"
#include "topology.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct runner_options {
    wordcount_options wordcount;
    std::string output;
    bool print_updates = false;
    std::size_t top = 20;
};

runner_options parse(int argc, char** argv) {
    runner_options o;
    CLI::App app("Runs the word count on an embedded topology and prints the totals.", "wordcount");
    app.add_option("--lines", o.wordcount.lines, "lines the source makes")->capture_default_str();
    app.add_option("--seed", o.wordcount.seed, "seed of the lines")->capture_default_str();
    app.add_option("--splitters", o.wordcount.splitters, "splitter instances")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--counters", o.wordcount.counters, "counter instances")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--output", o.output, "write every running count to this file");
    app.add_flag("--print-updates", o.print_updates, "print every running count");
    app.add_option("--top", o.top, "words listed at the end")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        std::exit(app.exit(e));
    }
    return o;
}

int run(const runner_options& o) {
    eddy::embedded_topology topology;
    add_wordcount(topology, o.wordcount);
    const eddy::connectors::line_sink_options sink_lines{.stream = "counts", .format = "key value"};
    if (!o.output.empty()) {
        eddy::connectors::file_sink_options file{.lines = sink_lines, .path = o.output};
        file.lines.name = "counts_file";
        topology.add([file] { return std::make_unique<eddy::connectors::file_sink>(file); });
    }
    if (o.print_updates) {
        auto printer = sink_lines;
        printer.name = "counts_printer";
        topology.add(
            [printer] { return std::make_unique<eddy::connectors::stdout_sink>(printer); });
    }
    auto counts = topology.collect("counts");

    const auto started = std::chrono::steady_clock::now();
    topology.start();
    topology.wait();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;

    const auto totals = final_counts(counts->records());
    std::vector<std::pair<std::string, std::int64_t>> ranked(totals.begin(), totals.end());
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::int64_t words = 0;
    for (const auto& [word, n] : ranked) {
        words += n;
    }
    fmt::print("{} lines, {} words, {} distinct, {:.3f} s\n", o.wordcount.lines, words,
               ranked.size(), elapsed.count());
    for (std::size_t i = 0; i < ranked.size() && i < o.top; ++i) {
        fmt::print("{:>12} {}\n", ranked[i].first, ranked[i].second);
    }
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wordcount: %s\n", e.what());
        return 1;
    }
}
