// The file connectors end to end, in exactly_once, through real executors:
// file-source (2 instances, tailing a directory of seeded files) ->
// passthrough -> rolling-file (small parts, rolled by size and by time).
// While the test appends lines in stages (more lines to every file, a new
// file, a line written in two halves), it kills the source and sink
// executors with SIGKILL (5 kills, one a source and the sink at once) and
// starts them again. At the end the parts under their final names hold
// every line exactly once; at every step before, they hold only complete,
// distinct, expected lines (a reader never sees an uncommitted one).
// Then bounded runs, in exactly_once and at_most_once: the sources finish,
// the sink closes its last part when its input ends, everything exits 0.

#include "support/local_cluster.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int seeded_files = 6;
constexpr int lines_per_file_and_stage = 4000;

// What the parts under final names hold, and what is wrong with them.
struct final_output {
    std::multiset<std::string> lines;
    std::string problems;  // the first few
    int problem_count = 0;

    void report(const std::string& problem) {
        if (++problem_count <= 10) {
            problems += problem + "\n";
        } else if (problem_count == 11) {
            problems += "...\n";
        }
    }
};

final_output read_final_parts(const fs::path& dir, const std::set<std::string>& known) {
    final_output out;
    std::vector<fs::path> parts;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".txt") {
            parts.push_back(it->path());
        }
    }
    std::sort(parts.begin(), parts.end());
    for (const auto& part : parts) {
        const auto text = read_file(part);
        if (!text.empty() && text.back() != '\n') {
            out.report(part.filename().string() + " ends in a cut line");
        }
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            if (!known.contains(line)) {
                out.report(fmt::format("{} holds an unexpected line '{}'", part.filename().string(),
                                       line));
            } else if (out.lines.contains(line)) {
                out.report(fmt::format("'{}' is in the output twice", line));
            }
            out.lines.insert(line);
        }
    }
    return out;
}

// Bytes in the output directory, parts in progress included: it grows as
// the sink writes.
std::uintmax_t output_bytes(const fs::path& dir) {
    std::uintmax_t bytes = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        bytes += it->is_regular_file(ec) ? it->file_size(ec) : 0;
    }
    return bytes;
}

class file_pipeline {
public:
    file_pipeline() : _cluster(_dir.path(), link::unix_socket) {
        // The input files exist from the start; their lines come with the
        // first kill round (kill_while_writing), so that the output is still
        // growing when that round looks at it.
        fs::create_directories(input());
        for (int f = 0; f < seeded_files; ++f) {
            append(f, "");
        }
        _cluster.add({.name = "files",
                      .builtin = "file-source",
                      .instances = 2,
                      .outputs = {"lines"},
                      .config = {{"stream", "lines"},
                                 {"path", input().string()},
                                 {"pattern", "*.txt"},
                                 {"tail", "true"},
                                 {"poll_interval_ms", "20"},
                                 {"batch", "300"}},
                      .delivery = "exactly_once"});
        _cluster.add({.name = "pass",
                      .library = EDDY_TEST_COMPUTATIONS,
                      .class_name = "passthrough",
                      .inputs = {{"lines", "shuffle"}},
                      .outputs = {"copied"},
                      .config = {{"output", "copied"}},
                      .delivery = "exactly_once"});
        _cluster.add({.name = "parts",
                      .builtin = "rolling-file",
                      .inputs = {{"copied", "shuffle"}},
                      .config = {{"stream", "copied"},
                                 {"dir", output().string()},
                                 {"format", "value"},
                                 {"roll_bytes", "50000"},
                                 {"roll_interval_ms", "300"},
                                 {"flush_interval_ms", "20"}},
                      .delivery = "exactly_once"});
        _cluster.start();
    }

    [[nodiscard]] fs::path input() const { return _dir / "in"; }
    [[nodiscard]] fs::path output() const { return _dir / "out"; }
    [[nodiscard]] local_cluster& cluster() { return _cluster; }
    [[nodiscard]] const std::set<std::string>& expected() const { return _expected; }

    // Appends stage `stage`'s lines to input file `f` (creating it).
    void add_stage_lines(int f, int stage) {
        std::string text;
        for (int i = 0; i < lines_per_file_and_stage; ++i) {
            auto line = fmt::format("file {} stage {} line {} of the seeded input", f, stage, i);
            text += line + "\n";
            _expected.insert(std::move(line));
        }
        append(f, text);
    }
    void append(int f, const std::string& text) const {
        std::ofstream(input() / fmt::format("input-{:02}.txt", f), std::ios::app) << text;
    }
    void expect_line(std::string line) { _expected.insert(std::move(line)); }

    // Feeds the pipeline (`feed` appends input), SIGKILLs the instances as
    // soon as the output has grown past what it was before the feed, then
    // starts them again. The output is measured first: a pipeline fast
    // enough to write everything before the wait begins still counts.
    void kill_while_writing(const std::vector<std::pair<std::string, std::uint32_t>>& victims,
                            const std::function<void()>& feed) {
        const auto before = output_bytes(output());
        feed();
        EXPECT_TRUE(wait_until([&] { return output_bytes(output()) > before; }, 30s))
            << _cluster.logs();
        for (const auto& [name, index] : victims) {
            _cluster.process(name, index).signal(SIGKILL);
        }
        for (const auto& [name, index] : victims) {
            EXPECT_TRUE(_cluster.process(name, index).wait_exit(10s).has_value());
            _cluster.restart(name, index);
        }
        ++_kills;
        const auto now = read_final_parts(output(), _expected);
        EXPECT_EQ(now.problems, "") << "after kill " << _kills;
    }

private:
    temp_dir _dir{"eddy-file-connectors"};
    local_cluster _cluster;
    std::set<std::string> _expected;
    int _kills = 0;
};

TEST(file_connectors, exactly_once_lines_survive_sigkills_of_source_and_sink) {
    file_pipeline run;
    run.kill_while_writing({{"files", 0}}, [&] {
        for (int f = 0; f < seeded_files; ++f) {
            run.add_stage_lines(f, 0);
        }
    });
    run.kill_while_writing({{"parts", 0}}, [&] {
        for (int f = 0; f < seeded_files; ++f) {
            run.add_stage_lines(f, 1);
        }
        run.add_stage_lines(seeded_files, 1);  // a file that appears while tailing
    });
    run.kill_while_writing({{"files", 1}, {"parts", 0}}, [&] {
        for (int f = 0; f <= seeded_files; ++f) {
            run.add_stage_lines(f, 2);
        }
        run.append(0, "a line written in two ");  // no newline yet: not a line
    });
    run.kill_while_writing({{"files", 0}}, [&] {
        run.append(0, "halves\n");
        run.expect_line("a line written in two halves");
        for (int f = 0; f <= seeded_files; ++f) {
            run.add_stage_lines(f, 3);
        }
    });
    run.kill_while_writing({{"parts", 0}}, [&] {
        for (int f = 0; f <= seeded_files; ++f) {
            run.add_stage_lines(f, 4);
        }
    });

    // Everything reaches final names: the last parts roll by time.
    final_output seen;
    EXPECT_TRUE(wait_until(
        [&] {
            seen = read_final_parts(run.output(), run.expected());
            return seen.lines.size() >= run.expected().size() || !seen.problems.empty();
        },
        60s))
        << seen.lines.size() << " of " << run.expected().size() << " lines\n"
        << run.cluster().logs();
    EXPECT_EQ(seen.problems, "");
    EXPECT_EQ(seen.lines.size(), run.expected().size());
    EXPECT_TRUE(std::equal(seen.lines.begin(), seen.lines.end(), run.expected().begin(),
                           run.expected().end()));
    // Nothing is left in progress once the last part rolled and was renamed.
    EXPECT_TRUE(wait_until(
        [&] {
            for (const auto& entry : fs::directory_iterator(run.output())) {
                if (entry.path().extension() == ".inprogress" && entry.file_size() > 0) {
                    return false;
                }
            }
            return true;
        },
        10s));
}

// A bounded read of a directory, without kills: the sources finish, the
// sink closes its last part at the end of its input (no roll by time here),
// every process exits 0, and no part is left in progress.
void bounded_run_ends_with_every_part_final(const std::string& delivery) {
    temp_dir dir("eddy-file-bounded-" + delivery);
    const auto input = dir / "in";
    const auto output = dir / "out";
    fs::create_directories(input);
    std::set<std::string> expected;
    for (int f = 0; f < 5; ++f) {
        std::ofstream file(input / fmt::format("{}.txt", f));
        for (int i = 0; i < 3000; ++i) {
            const auto line = fmt::format("{} {}", f, i);
            file << line << "\n";
            expected.insert(line);
        }
    }
    local_cluster cluster(dir.path(), link::unix_socket);
    cluster.add({.name = "files",
                 .builtin = "file-source",
                 .instances = 2,
                 .outputs = {"lines"},
                 .config = {{"stream", "lines"}, {"path", input.string()}},
                 .delivery = delivery});
    cluster.add({.name = "parts",
                 .builtin = "rolling-file",
                 .inputs = {{"lines", "shuffle"}},
                 .config = {{"stream", "lines"},
                            {"dir", output.string()},
                            {"format", "value"},
                            {"roll_bytes", "7000"},
                            {"roll_interval_ms", "0"}},
                 .delivery = delivery});
    cluster.start();
    ASSERT_TRUE(cluster.wait_exit_all(60s)) << cluster.logs();
    const auto seen = read_final_parts(output, expected);
    EXPECT_EQ(seen.problems, "");
    EXPECT_TRUE(std::equal(seen.lines.begin(), seen.lines.end(), expected.begin(), expected.end()))
        << seen.lines.size() << " of " << expected.size() << " lines";
    for (const auto& entry : fs::directory_iterator(output)) {
        EXPECT_NE(entry.path().extension(), ".inprogress") << entry.path();
    }
}

TEST(file_connectors, exactly_once_bounded_run_ends_with_every_part_final) {
    bounded_run_ends_with_every_part_final("exactly_once");
}

TEST(file_connectors, at_most_once_bounded_run_ends_with_every_part_final) {
    bounded_run_ends_with_every_part_final("at_most_once");
}

}  // namespace
}  // namespace eddy::testing
