// Kafka → count → database, end to end in exactly_once mode, against the
// real servers (librdkafka's mock cluster, PostgreSQL, MariaDB; started
// here, stopped at the end): 500,000 words are written to a Kafka topic in
// chunks while the test kills executors with SIGKILL (source, counter and
// sink instances, at least 5 times, once two at a time) and restarts them,
// as an agent would, and stops the database for a while in the middle.
//
// The counter emits a word's running count for every occurrence, and the
// sink writes one row per record keyed by its record id, so the table
// proves exactly-once by itself: for every word the values are exactly
// 1..n, each once (a replay that reached the table twice would repeat a
// value under a new id or leave a gap), and there are 500,000 rows.

#include "support/database_target.hpp"
#include "support/kafka_broker.hpp"
#include "support/local_cluster.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t total_words = 500'000;
constexpr std::size_t chunks = 10;
constexpr int vocabulary = 4000;
// The chunk after which the database is stopped, and the one after which
// it comes back.
constexpr std::size_t database_down_after = 4;
constexpr std::size_t database_up_after = 5;

struct victim {
    std::string name;
    std::uint32_t index;
};

const std::vector<victim> victims = {{"from-kafka", 0}, {"from-kafka", 1}, {"counter", 0},
                                     {"counter", 1},    {"to-db", 0},      {"to-db", 1}};

// Seeded words, skewed so that some are frequent and many rare.
std::vector<std::string> seeded_words(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<std::string> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double u = unit(random);
        out.push_back("w" + std::to_string(static_cast<int>(vocabulary * u * u * u)));
    }
    return out;
}

// The table's verdict: "" if every word's values are exactly 1..n once,
// else what is wrong (the first few problems).
std::string check_counts(const std::vector<row>& rows, const std::vector<std::string>& words) {
    std::map<std::string, long> expected;
    for (const auto& w : words) {
        ++expected[w];
    }
    std::map<std::string, std::vector<long>> seen;
    for (const auto& r : rows) {
        seen[r.at(0)].push_back(std::stol(r.at(1)));
    }
    std::string problems;
    int reported = 0;
    auto report = [&](const std::string& what) {
        if (++reported <= 10) {
            problems += what + "\n";
        }
    };
    for (auto& [word, values] : seen) {
        std::sort(values.begin(), values.end());
        const auto want = expected.count(word) != 0 ? expected[word] : 0;
        if (static_cast<long>(values.size()) != want) {
            report(fmt::format("{}: {} rows, expected {}", word, values.size(), want));
            continue;
        }
        for (long i = 0; i < want; ++i) {
            if (values[static_cast<std::size_t>(i)] != i + 1) {
                report(fmt::format("{}: count {} is missing or doubled", word, i + 1));
                break;
            }
        }
    }
    for (const auto& [word, n] : expected) {
        if (seen.count(word) == 0) {
            report(fmt::format("{}: no rows, expected {}", word, n));
        }
    }
    if (reported > 10) {
        problems += fmt::format("... {} problems in all\n", reported);
    }
    return problems;
}

// One database per test, started for it (initdb or mariadb-install-db
// takes a few seconds).
struct database_under_test {
    std::unique_ptr<postgres_server> postgres;
    std::unique_ptr<mariadb_server> mariadb;
    database_target target;
};

enum class which { postgres, mariadb };

database_under_test start_database(which w, const std::filesystem::path& dir) {
    database_under_test db;
    if (w == which::postgres) {
        db.postgres = std::make_unique<postgres_server>(dir / "pg");
        db.target = database_target::of(*db.postgres);
    } else {
        db.mariadb = std::make_unique<mariadb_server>(dir / "mariadb");
        db.target = database_target::of(*db.mariadb);
    }
    return db;
}

class kafka_to_database : public ::testing::TestWithParam<which> {};

TEST_P(kafka_to_database, exactly_once_survives_sigkills_and_a_database_restart) {
    temp_dir dir("eddy-kafka-eo");
    auto database = start_database(GetParam(), dir.path());
    const auto& db = database.target;
    kafka_broker broker(dir.path(), {.topics = {{"words", 4}}});

    local_cluster cluster(dir.path(), link::unix_socket);
    cluster.add({.name = "from-kafka",
                 .builtin = "kafka-source",
                 .instances = 2,
                 .outputs = {"words"},
                 .config = {{"stream", "words"},
                            {"brokers", broker.bootstrap()},
                            {"topics", "words"},
                            {"group", "counting"}},
                 .delivery = "exactly_once"});
    cluster.add({.name = "counter",
                 .library = EDDY_WORDCOUNT_LIBRARY,
                 .class_name = "word_counter",
                 .instances = 2,
                 .inputs = {{"words", "key"}},
                 .outputs = {"counts"},
                 .delivery = "exactly_once"});
    cluster.add({.name = "to-db",
                 .builtin = db.builtin,
                 .instances = 2,
                 .inputs = {{"counts", "shuffle"}},
                 .config = db.config({{"stream", "counts"},
                                      {"table", "word_counts"},
                                      {"create_table", "true"},
                                      {"retry_initial_ms", "50"},
                                      {"retry_max_ms", "500"}}),
                 .delivery = "exactly_once"});
    cluster.start();

    auto rows_now = [&]() -> std::size_t {
        try {
            return std::stoul(db.query("SELECT COUNT(*) FROM word_counts"));
        } catch (const std::exception&) {
            return 0;  // the table is not there yet, or the database is down
        }
    };

    const auto words = seeded_words(total_words, 23);
    std::mt19937_64 random(5);
    int killed = 0;
    std::size_t rows_at_last_kill = 0;
    for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
        std::vector<kafka_message> messages;
        const std::size_t begin = chunk * total_words / chunks;
        const std::size_t end = (chunk + 1) * total_words / chunks;
        for (std::size_t i = begin; i < end; ++i) {
            messages.push_back({.key = words[i], .value = words[i]});
        }
        produce_messages(broker.bootstrap(), "words", messages, 60s);

        if (chunk == database_down_after) {
            db.stop();
            ASSERT_TRUE(wait_until(
                [&] { return cluster.logs().find("still failing") != std::string::npos; }, 30s))
                << "the sink did not report the lost database\n"
                << cluster.logs();
            continue;
        }
        if (chunk == database_up_after) {
            db.start();
        }
        // Kill while records flow: once the table has grown since the last kill.
        ASSERT_TRUE(wait_until([&] { return rows_now() > rows_at_last_kill; }, 60s))
            << "no progress after " << killed << " kills\n"
            << cluster.logs();
        const std::size_t how_many = chunk == 7 ? 2 : 1;
        std::vector<victim> chosen;
        while (chosen.size() < how_many) {
            const auto& v = victims[random() % victims.size()];
            if (std::none_of(chosen.begin(), chosen.end(), [&](const victim& c) {
                    return c.name == v.name && c.index == v.index;
                })) {
                chosen.push_back(v);
            }
        }
        // What the table held when the kills struck (not after the restarts:
        // a fast pipeline may finish the chunk meanwhile).
        rows_at_last_kill = rows_now();
        for (const auto& v : chosen) {
            std::printf("chunk %zu: SIGKILL %s[%u] at %zu rows\n", chunk, v.name.c_str(), v.index,
                        rows_at_last_kill);
            cluster.process(v.name, v.index).signal(SIGKILL);
        }
        for (const auto& v : chosen) {
            ASSERT_TRUE(cluster.process(v.name, v.index).wait_exit(10s).has_value());
            cluster.restart(v.name, v.index);
            ++killed;
        }
    }
    EXPECT_GE(killed, 5);
    EXPECT_LT(rows_at_last_kill, total_words) << "the run ended before the last kill";

    EXPECT_TRUE(wait_until([&] { return rows_now() >= total_words; }, 180s))
        << rows_now() << " of " << total_words << " rows\n"
        << cluster.logs();
    const auto rows = parse_rows(db.query(db.select({"key", "value"}, "word_counts")));
    EXPECT_EQ(rows.size(), total_words);
    EXPECT_EQ(check_counts(rows, words), "");
}

INSTANTIATE_TEST_SUITE_P(databases, kafka_to_database,
                         ::testing::Values(which::postgres, which::mariadb), [](const auto& info) {
                             return info.param == which::postgres ? "postgres" : "mariadb";
                         });

}  // namespace
}  // namespace eddy::testing
