// The executor's side of a rescale (docs/operations.md), driven directly
// through the admin API of real eddy-executor processes, without a
// coordinator: an export writes the state and timers of key groups to a
// handoff file and gives the groups up, an import takes them over, each
// exactly once per assignment version; after an export the instance refuses
// a stale topology and a record of a group it gave away; a damaged file is
// refused whole.
//
// The keyed computations read a tailing file-source that keys each line by
// its file's name: the keys and how many records each has are known, the
// input never ends (an ended input would finish the instances before they
// could be exported), and the test can append records after a move. Ids
// follow the document's order: files 0, counter 1 and 2, then echo 3 and 4
// when it is there (the test reads them from /health all the same).

#include "base/key_hash.hpp"
#include "support/local_cluster.hpp"
#include "wire/frame.hpp"
#include "wire/messages.hpp"
#include "wire/record_batch.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::uint32_t max_key_groups = 4096;
// counter[0] owns [0, 2048) by default; the move gives [1024, 2048) to counter[1].
constexpr std::uint32_t moved_first = 1024;
constexpr std::uint32_t moved_last = 2048;
constexpr std::uint64_t move_version = 1;

// Where a key's group lies with respect to the move.
enum class region {
    kept,    // counter[0] owns it and keeps it
    moved,   // counter[0] owns it and gives it to counter[1]
    theirs,  // counter[1] owns it from the start
};

region region_of(std::string_view key) {
    const auto group = key_group_of(key, max_key_groups).value();
    return group < moved_first ? region::kept : group < moved_last ? region::moved : region::theirs;
}

// One key of the input: a file of that name with `lines` lines.
struct input_key {
    std::string name;
    region where;
    int lines;
};

// Two keys in every region, each with a different number of lines.
std::vector<input_key> choose_keys() {
    std::vector<input_key> keys;
    std::map<region, int> taken;
    for (int i = 0; keys.size() < 6; ++i) {
        auto name = fmt::format("key-{}", i);
        const auto where = region_of(name);
        if (taken[where] < 2) {
            ++taken[where];
            keys.push_back({std::move(name), where, 3 + static_cast<int>(keys.size())});
        }
    }
    return keys;
}

std::string line_text(const std::string& key, int n) {
    return fmt::format("{} line {}", key, n);
}

// The answer of one admin request.
struct admin_answer {
    int status = 0;  // 0: no answer at all
    std::string body;

    // The body as a JSON object (empty if it is not one), for value(...) lookups.
    [[nodiscard]] json document() const {
        auto doc = json::parse(body, nullptr, false);
        return doc.is_object() ? doc : json::object();
    }
    [[nodiscard]] std::string describe() const {
        return fmt::format("HTTP {}: {}", status, status == 0 ? "no answer" : body);
    }
};

admin_answer admin(const local_cluster& cluster, const std::string& name, std::uint32_t index,
                   const std::string& method, const std::string& path,
                   const std::string& body = {}) {
    httplib::Client client("127.0.0.1", cluster.admin_port(name, index));
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(30, 0);
    const httplib::Headers auth{{"Authorization", "Bearer " + cluster.token()}};
    httplib::Result result = method == "GET"   ? client.Get(path, auth)
                             : method == "PUT" ? client.Put(path, auth, body, "application/json")
                                               : client.Post(path, auth, body, "application/json");
    if (!result) {
        return {};
    }
    return {result->status, result->body};
}

// One connection to an executor's data endpoint that speaks the wire
// protocol as an upstream instance does: the test writes frames and reads
// the receiver's answers one frame at a time, with deadlines.
class raw_channel {
public:
    struct frame {
        wire::frame_type type{};
        std::string payload;
    };

    explicit raw_channel(const std::string& endpoint) {
        if (endpoint.starts_with("unix:")) {
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            const auto path = endpoint.substr(5);
            path.copy(addr.sun_path, sizeof addr.sun_path - 1);
            _fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            connect_to(reinterpret_cast<sockaddr*>(&addr), sizeof addr, endpoint);
        } else {
            const auto colon = endpoint.rfind(':');
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port =
                htons(static_cast<std::uint16_t>(std::stoi(endpoint.substr(colon + 1))));
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            _fd = ::socket(AF_INET, SOCK_STREAM, 0);
            connect_to(reinterpret_cast<sockaddr*>(&addr), sizeof addr, endpoint);
        }
    }
    ~raw_channel() { ::close(_fd); }
    raw_channel(const raw_channel&) = delete;
    raw_channel& operator=(const raw_channel&) = delete;

    void send(const wire::byte_buffer& bytes) {
        const auto written = ::write(_fd, bytes.data(), bytes.size());
        if (written != static_cast<ssize_t>(bytes.size())) {
            throw std::runtime_error("raw channel: short write");
        }
    }

    // The next frame from the receiver; nullopt once it closed the
    // connection or when nothing whole arrived within `timeout`.
    std::optional<frame> next(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto split = wire::split_frame(wire::as_bytes(_unread));
            if (!split) {
                throw std::runtime_error("raw channel: the receiver sent a malformed frame: " +
                                         split.error().message);
            }
            if (const auto* whole = std::get_if<wire::frame_view>(&*split)) {
                frame out{whole->type,
                          std::string(reinterpret_cast<const char*>(whole->payload.data()),
                                      whole->payload.size())};
                _unread.erase(0, whole->frame_bytes);
                return out;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd readable{_fd, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) <= 0) {
                return std::nullopt;
            }
            char chunk[4096];
            const auto n = ::read(_fd, chunk, sizeof chunk);
            if (n <= 0) {
                _closed = true;
                return std::nullopt;
            }
            _unread.append(chunk, static_cast<std::size_t>(n));
        }
    }
    // Whether the receiver closed the connection (seen by next()).
    [[nodiscard]] bool closed() const { return _closed; }

private:
    void connect_to(const sockaddr* addr, socklen_t size, const std::string& endpoint) {
        if (_fd < 0 || ::connect(_fd, addr, size) != 0) {
            throw std::runtime_error("raw channel: cannot connect to " + endpoint);
        }
    }

    int _fd = -1;
    std::string _unread;
    bool _closed = false;
};

// A pipeline with one keyed computation to rescale and, optionally, one
// with timers:
//
//   files (file-source, tailing, key = file name) --"numbers", key-->
//       counter (word_counter x2, exactly_once) --"counts"--> sink (file)
//       echo    (delayed_echo x2, exactly_once: a processing-time timer per record)
class keyed_pipeline {
public:
    struct options {
        std::string name;
        link kind = link::unix_socket;
        bool with_echo = false;
        std::chrono::milliseconds echo_delay{5000};
    };

    explicit keyed_pipeline(const options& o)
        : _dir("eddy-handoff-" + o.name), _cluster(_dir.path(), o.kind), _keys(choose_keys()) {
        fs::create_directories(input_dir());
        for (const auto& k : _keys) {
            append(k.name, 1, k.lines);
        }
        _cluster.add({.name = "files",
                      .builtin = "file-source",
                      .outputs = {"numbers"},
                      .config = {{"stream", "numbers"},
                                 {"path", input_dir().string()},
                                 {"tail", "true"},
                                 {"key", "file"},
                                 {"poll_interval_ms", "20"}},
                      .delivery = "exactly_once"});
        _cluster.add({.name = "counter",
                      .library = EDDY_WORDCOUNT_LIBRARY,
                      .class_name = "word_counter",
                      .instances = 2,
                      .inputs = {{"numbers", "key"}},
                      .outputs = {"counts"},
                      .delivery = "exactly_once"});
        if (o.with_echo) {
            _cluster.add({.name = "echo",
                          .library = EDDY_TEST_COMPUTATIONS,
                          .class_name = "delayed_echo",
                          .instances = 2,
                          .inputs = {{"numbers", "key"}},
                          .outputs = {"echoed"},
                          .config = {{"delay_ms", std::to_string(o.echo_delay.count())}},
                          .delivery = "exactly_once"});
        }
        _cluster.add(
            {.name = "sink",
             .builtin = "file",
             .inputs = {{"counts", "shuffle"}},
             .config = {
                 {"stream", "counts"}, {"path", counts_path().string()}, {"format", "key value"}}});
        _computations = o.with_echo ? std::vector<std::string>{"files", "counter", "echo", "sink"}
                                    : std::vector<std::string>{"files", "counter", "sink"};
        _cluster.start();
    }

    [[nodiscard]] local_cluster& cluster() { return _cluster; }
    [[nodiscard]] const std::vector<input_key>& keys() const { return _keys; }
    [[nodiscard]] fs::path input_dir() const { return _dir / "in"; }
    [[nodiscard]] fs::path counts_path() const { return _dir / "counts.txt"; }

    // Appends lines `first`..`last` to the key's file, all in one write.
    void append(const std::string& key, int first, int last) {
        std::string text;
        for (int n = first; n <= last; ++n) {
            text += line_text(key, n) + "\n";
        }
        std::ofstream(input_dir() / key, std::ios::app) << text;
        _lines[key] = last;
    }
    [[nodiscard]] int lines_of(const std::string& key) const { return _lines.at(key); }
    [[nodiscard]] int total_lines() const {
        int total = 0;
        for (const auto& [key, lines] : _lines) {
            total += lines;
        }
        return total;
    }
    [[nodiscard]] int lines_in(region where) const {
        int total = 0;
        for (const auto& k : _keys) {
            total += k.where == where ? _lines.at(k.name) : 0;
        }
        return total;
    }
    [[nodiscard]] const std::string& first_key_in(region where) const {
        return std::find_if(_keys.begin(), _keys.end(),
                            [&](const auto& k) { return k.where == where; })
            ->name;
    }
    [[nodiscard]] int keys_in(region where) const {
        return static_cast<int>(std::count_if(_keys.begin(), _keys.end(),
                                              [&](const auto& k) { return k.where == where; }));
    }

    // The counts the sink received, key by key, in the order they came.
    [[nodiscard]] std::map<std::string, std::vector<long>> counts() const {
        std::map<std::string, std::vector<long>> out;
        std::istringstream lines(read_file(counts_path()));
        std::string key;
        long count = 0;
        while (lines >> key >> count) {
            out[key].push_back(count);
        }
        return out;
    }
    [[nodiscard]] std::size_t counts_received() const {
        std::size_t n = 0;
        for (const auto& [key, seen] : counts()) {
            n += seen.size();
        }
        return n;
    }

    [[nodiscard]] double metric(const std::string& name, std::uint32_t index,
                                const std::string& metric) const {
        return _cluster.metric(name, index, metric).value_or(-1);
    }
    [[nodiscard]] double records_in(const std::string& name) const {
        return metric(name, 0, "eddy_records_in_total") + metric(name, 1, "eddy_records_in_total");
    }

    // Waits until the sink has a count for every line written so far (and
    // the echo, if any, has taken every record).
    [[nodiscard]] bool wait_counted(std::chrono::milliseconds timeout) const {
        const bool echo =
            std::find(_computations.begin(), _computations.end(), "echo") != _computations.end();
        return wait_until(
            [&] {
                return counts_received() == static_cast<std::size_t>(total_lines()) &&
                       (!echo || records_in("echo") == total_lines());
            },
            timeout);
    }

    [[nodiscard]] std::uint32_t instance_id_of(const std::string& name, std::uint32_t index) {
        const auto health = admin(_cluster, name, index, "GET", "/health");
        const auto doc = health.document();
        if (health.status != 200 || !doc.contains("instance_id")) {
            throw std::runtime_error(name + ": /health: " + health.describe());
        }
        return doc["instance_id"].get<std::uint32_t>();
    }

    // The request body of the export of counter[0]'s upper half to counter[1].
    [[nodiscard]] static std::string export_body(std::uint32_t to) {
        return json{{"version", move_version},
                    {"moves", {{{"to", to}, {"ranges", {{moved_first, moved_last}}}}}},
                    {"keep", {{0, moved_first}}}}
            .dump();
    }
    [[nodiscard]] static std::string import_body(std::uint32_t from) {
        return json{
            {"version", move_version}, {"from", {from}}, {"own", {{moved_first, max_key_groups}}}}
            .dump();
    }
    // Where the move's export of `computation` from instance `from` to `to` writes its file.
    [[nodiscard]] fs::path handoff_file(const std::string& computation, std::uint32_t from,
                                        std::uint32_t to) const {
        return _cluster.handoff_dir() / computation / std::to_string(move_version) /
               fmt::format("{}-{}.handoff", from, to);
    }

    // The document the cluster started with, and the same with the move of
    // `moved` (computation names) recorded: explicit key groups at version 1.
    [[nodiscard]] std::string initial_topology() const {
        return read_file(_cluster.topology_path());
    }
    [[nodiscard]] std::string moved_topology(const std::vector<std::string>& moved) const {
        auto doc = json::parse(initial_topology());
        for (auto& c : doc["computations"]) {
            if (std::find(moved.begin(), moved.end(), c["name"].get<std::string>()) !=
                moved.end()) {
                c["key_groups"] = {{{0, moved_first}}, {{moved_first, max_key_groups}}};
                c["assignment_version"] = move_version;
            }
        }
        return doc.dump();
    }
    // PUT /topology to every instance; the problems, empty if all took it.
    [[nodiscard]] std::string push_topology(const std::string& document) {
        std::string problems;
        for (const auto& name : _computations) {
            const std::uint32_t instances = name == "counter" || name == "echo" ? 2 : 1;
            for (std::uint32_t i = 0; i < instances; ++i) {
                const auto put = admin(_cluster, name, i, "PUT", "/topology", document);
                if (put.status != 200) {
                    problems += fmt::format("{}[{}]: {}\n", name, i, put.describe());
                }
            }
        }
        return problems;
    }

private:
    temp_dir _dir;
    local_cluster _cluster;
    std::vector<input_key> _keys;
    std::map<std::string, int> _lines;  // by key: lines written so far
    std::vector<std::string> _computations;
};

std::string counts_text(const std::map<std::string, std::vector<long>>& counts) {
    std::string text;
    for (const auto& [key, seen] : counts) {
        text += key + ":";
        for (const auto n : seen) {
            text += " " + std::to_string(n);
        }
        text += "\n";
    }
    return text;
}

// 1, 2, ..., n.
std::vector<long> one_to(long n) {
    std::vector<long> out;
    for (long i = 1; i <= n; ++i) {
        out.push_back(i);
    }
    return out;
}

// Exports the move from instance 0 of `computation` (ids `from`, `to`),
// twice; the first answer's single file entry.
json export_and_check(keyed_pipeline& p, const std::string& computation, std::uint32_t from,
                      std::uint32_t to) {
    const auto body = keyed_pipeline::export_body(to);
    const auto exported = admin(p.cluster(), computation, 0, "POST", "/handoff/export", body);
    EXPECT_EQ(exported.status, 200) << computation << " export: " << exported.describe() << "\n"
                                    << p.cluster().logs();
    const auto doc = exported.document();
    if (!doc.is_object() || !doc.contains("files") || doc["files"].size() != 1) {
        ADD_FAILURE() << computation
                      << " export: the answer does not list one file: " << exported.describe();
        return json::object();
    }
    const auto file = doc["files"][0];
    EXPECT_EQ(doc.value("version", 0u), move_version) << exported.describe();
    EXPECT_EQ(file.value("to", 0u), to) << exported.describe();
    EXPECT_GT(file.value("entries", 0u), 0u) << exported.describe();
    EXPECT_GT(file.value("bytes", 0u), 0u) << exported.describe();
    const auto path = p.handoff_file(computation, from, to);
    EXPECT_TRUE(fs::is_regular_file(path))
        << "no handoff file at " << path << " after " << exported.describe();

    // The same export again is done already, and writes nothing.
    const auto mtime = fs::exists(path) ? fs::last_write_time(path) : fs::file_time_type{};
    const auto again = admin(p.cluster(), computation, 0, "POST", "/handoff/export", body);
    EXPECT_EQ(again.status, 200) << computation << " second export: " << again.describe();
    const auto again_doc = again.document();
    EXPECT_TRUE(again_doc.is_object() && again_doc.contains("files") &&
                again_doc["files"].size() == 1 && again_doc["files"][0].value("already", false) &&
                again_doc["files"][0].value("to", 0u) == to)
        << computation << " second export does not answer already: " << again.describe();
    if (fs::exists(path)) {
        EXPECT_EQ(fs::last_write_time(path), mtime) << "the second export rewrote " << path;
    }
    return file;
}

// Imports the move into instance 1 of `computation`, twice; the entries
// the first import answers.
std::uint64_t import_and_check(keyed_pipeline& p, const std::string& computation,
                               std::uint32_t from) {
    const auto body = keyed_pipeline::import_body(from);
    const auto imported = admin(p.cluster(), computation, 1, "POST", "/handoff/import", body);
    EXPECT_EQ(imported.status, 200) << computation << " import: " << imported.describe() << "\n"
                                    << p.cluster().logs();
    const auto doc = imported.document();
    EXPECT_TRUE(doc.is_object() && doc.contains("entries"))
        << computation << " import answers no entries: " << imported.describe();
    EXPECT_FALSE(doc.value("already", false))
        << computation << " first import answers already: " << imported.describe();
    const auto again = admin(p.cluster(), computation, 1, "POST", "/handoff/import", body);
    EXPECT_EQ(again.status, 200) << computation << " second import: " << again.describe();
    EXPECT_TRUE(again.document().value("already", false))
        << computation << " second import does not answer already: " << again.describe();
    return doc.is_object() ? doc.value("entries", std::uint64_t{0}) : 0;
}

TEST(handoff, export_then_import_moves_state_and_timers) {
    constexpr auto echo_delay = 5000ms;
    keyed_pipeline p({.name = "move", .with_echo = true, .echo_delay = echo_delay});
    auto& cluster = p.cluster();
    ASSERT_TRUE(p.wait_counted(20s))
        << "not every line was counted: " << counts_text(p.counts()) << cluster.logs();
    const auto counter0 = p.instance_id_of("counter", 0);
    const auto counter1 = p.instance_id_of("counter", 1);
    const auto echo0 = p.instance_id_of("echo", 0);
    const auto echo1 = p.instance_id_of("echo", 1);

    // Timers first: each record's timer fires echo_delay after it was taken,
    // and the move must come before.
    ASSERT_EQ(p.metric("echo", 0, "eddy_timers_fired_total") +
                  p.metric("echo", 1, "eddy_timers_fired_total"),
              0)
        << "a timer fired before the move: the echo's delay is too short for this machine";
    const auto echo_file = export_and_check(p, "echo", echo0, echo1);
    // One timer per record of a moved key (every line differs: so do the tags).
    EXPECT_EQ(echo_file.value("entries", 0), p.lines_in(region::moved)) << echo_file.dump();
    EXPECT_EQ(import_and_check(p, "echo", echo0), echo_file.value("entries", 0u));

    // State: one count per moved key.
    const auto counter_file = export_and_check(p, "counter", counter0, counter1);
    EXPECT_EQ(counter_file.value("entries", 0), p.keys_in(region::moved)) << counter_file.dump();
    EXPECT_EQ(import_and_check(p, "counter", counter0), counter_file.value("entries", 0u));

    // The upstream routes by the new assignment from now on: more records of
    // every key, and the moved keys' counts go on at counter[1] from where
    // counter[0] left them.
    const auto topology = p.moved_topology({"counter", "echo"});
    const auto problems = p.push_topology(topology);
    ASSERT_TRUE(problems.empty()) << "the topology of the move was refused:\n" << problems;
    const double counter1_before = p.metric("counter", 1, "eddy_records_in_total");
    for (const auto& k : p.keys()) {
        p.append(k.name, p.lines_of(k.name) + 1, p.lines_of(k.name) + 2);
    }
    ASSERT_TRUE(p.wait_counted(20s)) << "the records after the move were not all counted:\n"
                                     << counts_text(p.counts()) << cluster.logs();
    const auto counts = p.counts();
    for (const auto& k : p.keys()) {
        EXPECT_EQ(counts.at(k.name), one_to(p.lines_of(k.name)))
            << k.name << " (" << (k.where == region::moved ? "moved" : "not moved")
            << "): its count did not go on from its state before the move";
    }
    EXPECT_EQ(p.metric("counter", 1, "eddy_records_in_total") - counter1_before,
              2 * (p.keys_in(region::moved) + p.keys_in(region::theirs)))
        << "counter[1] did not get exactly the new records of its groups";
    EXPECT_EQ(p.metric("counter", 0, "eddy_records_misrouted_total"), 0);
    EXPECT_EQ(p.metric("counter", 1, "eddy_records_misrouted_total"), 0);

    // Every timer fires once, at the instance owning its key now: echo[0]
    // dropped those it gave away, echo[1] fires what it took over.
    const double echo0_expected = p.lines_in(region::kept);
    const double echo1_expected = p.lines_in(region::moved) + p.lines_in(region::theirs);
    const bool fired = wait_until(
        [&] {
            return p.metric("echo", 0, "eddy_timers_fired_total") >= echo0_expected &&
                   p.metric("echo", 1, "eddy_timers_fired_total") >= echo1_expected;
        },
        echo_delay + 20s);
    EXPECT_TRUE(fired) << "not every timer fired";
    EXPECT_EQ(p.metric("echo", 0, "eddy_timers_fired_total"), echo0_expected)
        << "echo[0] fired other timers than those of the groups it kept";
    EXPECT_EQ(p.metric("echo", 1, "eddy_timers_fired_total"), echo1_expected)
        << "echo[1] fired other timers than those of its groups";
}

TEST(handoff, a_stale_topology_is_refused_after_an_export) {
    keyed_pipeline p({.name = "stale"});
    auto& cluster = p.cluster();
    ASSERT_TRUE(p.wait_counted(20s)) << counts_text(p.counts()) << cluster.logs();
    const auto counter0 = p.instance_id_of("counter", 0);
    const auto counter1 = p.instance_id_of("counter", 1);
    (void)export_and_check(p, "counter", counter0, counter1);

    // The document the cluster started with holds assignment version 0.
    const auto stale = admin(cluster, "counter", 0, "PUT", "/topology", p.initial_topology());
    EXPECT_EQ(stale.status, 400) << stale.describe();
    const auto error = stale.document().value("error", std::string());
    EXPECT_NE(error.find("older"), std::string::npos) << stale.describe();
    EXPECT_NE(error.find("stale"), std::string::npos) << stale.describe();

    // The fence is the instance's own: counter[1] took nothing over yet and
    // takes the same document; counter[0] takes the document of the move.
    const auto other = admin(cluster, "counter", 1, "PUT", "/topology", p.initial_topology());
    EXPECT_EQ(other.status, 200) << "counter[1]: " << other.describe();
    const auto current =
        admin(cluster, "counter", 0, "PUT", "/topology", p.moved_topology({"counter"}));
    EXPECT_EQ(current.status, 200) << "counter[0], document of the move: " << current.describe();

    // The version is in the store: restarted on the old document, the
    // instance refuses to run.
    try {
        cluster.restart("counter", 0, 10s);
        ADD_FAILURE() << "counter[0] started on a topology older than its store's assignment";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("stale topology"), std::string::npos) << e.what();
    }
}

TEST(handoff, a_record_of_a_group_given_away_closes_its_channel) {
    keyed_pipeline p({.name = "fence", .kind = link::tcp});
    auto& cluster = p.cluster();
    ASSERT_TRUE(p.wait_counted(20s)) << counts_text(p.counts()) << cluster.logs();
    const auto files = p.instance_id_of("files", 0);
    const auto counter0 = p.instance_id_of("counter", 0);
    const auto counter1 = p.instance_id_of("counter", 1);
    (void)export_and_check(p, "counter", counter0, counter1);

    const auto moved_key = p.first_key_in(region::moved);
    const auto kept_key = p.first_key_in(region::kept);

    // Plays counter[0]'s upstream: hello, then one batch of one record once
    // the receiver granted credit. Sequences above the real upstream's,
    // which started at the wall clock when it connected.
    std::uint64_t sequence =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    auto open_and_send = [&](raw_channel& channel, const std::string& key) {
        wire::byte_buffer out;
        wire::encode(wire::hello{wire::protocol_version, instance_id(files), instance_id(counter0),
                                 topology_epoch(1), "files"},
                     out);
        channel.send(out);
        for (;;) {
            const auto frame = channel.next(5s);
            if (!frame) {
                return false;
            }
            if (frame->type == wire::frame_type::credit) {
                break;
            }
        }
        out.clear();
        wire::record_batch_writer batch(out);
        const time_micros now = static_cast<time_micros>(sequence);
        batch.begin({.stream = "numbers",
                     .sender = instance_id(files),
                     .epoch = topology_epoch(1),
                     .sequence = sequence_number(++sequence),
                     .base_time = now});
        batch.add(key, line_text(key, 1000), now);
        if (!batch.finish()) {
            return false;
        }
        channel.send(out);
        return true;
    };

    // A record of a moved group: the receiver says goodbye (protocol error)
    // and closes.
    {
        raw_channel channel(cluster.endpoint("counter", 0));
        ASSERT_TRUE(open_and_send(channel, moved_key)) << "counter[0] granted no credit";
        std::optional<wire::goodbye_reason> reason;
        std::string message;
        while (auto frame = channel.next(10s)) {
            if (frame->type == wire::frame_type::goodbye) {
                auto bye = wire::decode_goodbye(wire::as_bytes(frame->payload));
                ASSERT_TRUE(bye.has_value());
                reason = bye->reason;
                message = std::string(bye->message);
            }
        }
        EXPECT_TRUE(channel.closed()) << "counter[0] kept the connection open";
        ASSERT_TRUE(reason.has_value()) << "counter[0] closed without a goodbye";
        EXPECT_EQ(*reason, wire::goodbye_reason::protocol_error) << message;
        EXPECT_NE(message.find("does not own"), std::string::npos) << message;
        EXPECT_EQ(p.metric("counter", 0, "eddy_records_misrouted_total"), 1);
    }

    // A record of a group it kept: accepted, processed and acknowledged, on
    // a connection that stays open.
    {
        const double processed_before = p.metric("counter", 0, "eddy_records_in_total");
        raw_channel channel(cluster.endpoint("counter", 0));
        ASSERT_TRUE(open_and_send(channel, kept_key)) << "counter[0] granted no credit";
        bool acknowledged = false;
        std::string seen;
        while (auto frame = channel.next(10s)) {
            seen += std::string(wire::to_string(frame->type)) + " ";
            if (frame->type == wire::frame_type::ack) {
                const auto ack = wire::decode_ack(wire::as_bytes(frame->payload));
                ASSERT_TRUE(ack.has_value());
                if (ack->committed == sequence_number(sequence)) {
                    acknowledged = true;
                    break;
                }
            }
        }
        EXPECT_TRUE(acknowledged) << "the batch of a kept key was not acknowledged; frames: "
                                  << seen << (channel.closed() ? "(closed)" : "") << "\n"
                                  << cluster.logs();
        EXPECT_FALSE(channel.closed());
        EXPECT_EQ(p.metric("counter", 0, "eddy_records_in_total"), processed_before + 1);
        EXPECT_EQ(p.metric("counter", 0, "eddy_records_misrouted_total"), 1);
    }
}

TEST(handoff, a_damaged_handoff_file_is_refused_and_nothing_is_applied) {
    keyed_pipeline p({.name = "damaged"});
    auto& cluster = p.cluster();
    ASSERT_TRUE(p.wait_counted(20s)) << counts_text(p.counts()) << cluster.logs();
    const auto counter0 = p.instance_id_of("counter", 0);
    const auto counter1 = p.instance_id_of("counter", 1);
    (void)export_and_check(p, "counter", counter0, counter1);
    const auto path = p.handoff_file("counter", counter0, counter1);
    const auto intact = read_file(path);
    ASSERT_FALSE(intact.empty()) << path;

    // Every byte flipped in turn: each import is refused, naming the file.
    // A byte inside a key is caught by the checksum: "damaged".
    const auto moved_key = p.first_key_in(region::moved);
    const auto in_key = intact.find(moved_key);
    ASSERT_NE(in_key, std::string::npos) << "the file does not hold the moved key " << moved_key;
    const auto request = keyed_pipeline::import_body(counter0);
    int accepted = 0;
    for (std::size_t at = 0; at < intact.size(); ++at) {
        auto damaged = intact;
        damaged[at] = static_cast<char>(damaged[at] ^ 0xff);
        std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
        const auto refused = admin(cluster, "counter", 1, "POST", "/handoff/import", request);
        const auto error = refused.document().value("error", std::string());
        if (refused.status != 400) {
            ++accepted;
            ADD_FAILURE() << "byte " << at << " flipped: " << refused.describe();
            if (refused.status == 200) {
                break;  // applied: the rest would answer already
            }
            continue;
        }
        EXPECT_NE(error.find(path.string()), std::string::npos)
            << "byte " << at << " flipped: the error does not name the file: " << error;
        if (at == in_key + 1) {
            EXPECT_NE(error.find("damaged"), std::string::npos)
                << "a flipped byte in a key: " << error;
        }
    }
    EXPECT_EQ(accepted, 0);

    // The instance still runs, and took nothing: routed to it now, a moved
    // key counts from 1 (an instance that never imported owns every group,
    // so it accepts the record), and its own keys go on.
    EXPECT_TRUE(cluster.process("counter", 1).running()) << cluster.logs();
    const auto health = admin(cluster, "counter", 1, "GET", "/health");
    EXPECT_EQ(health.document().value("state", std::string()), "running") << health.describe();
    const auto problem =
        admin(cluster, "files", 0, "PUT", "/topology", p.moved_topology({"counter"}));
    ASSERT_EQ(problem.status, 200) << "files: " << problem.describe();
    const auto before = p.counts();
    for (const auto& k : p.keys()) {
        if (k.where != region::kept) {
            p.append(k.name, p.lines_of(k.name) + 1, p.lines_of(k.name) + 1);
        }
    }
    ASSERT_TRUE(p.wait_counted(20s)) << counts_text(p.counts()) << cluster.logs();
    const auto after = p.counts();
    for (const auto& k : p.keys()) {
        auto expected = before.at(k.name);
        if (k.where == region::moved) {
            expected.push_back(1);
        } else if (k.where == region::theirs) {
            expected.push_back(static_cast<long>(expected.size()) + 1);
        }
        EXPECT_EQ(after.at(k.name), expected)
            << k.name << " (" << (k.where == region::moved ? "moved" : "kept or theirs")
            << "): counter[1]'s state changed with a refused import";
    }
}

}  // namespace
}  // namespace eddy::testing
