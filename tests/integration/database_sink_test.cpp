// postgres-sink and mysql-sink against real servers (started here, in a
// temporary directory, on free ports) and real executors: a seeded, bounded
// generator → the sink → a table whose rows must be exactly the generator's
// records (computed independently by running the generator directly); the
// JSON-field mapping with records that do not fit going to the sink's dead
// letters; and a database stopped in the middle of a run and started again,
// after which the table must still hold every record exactly once.

#include "connectors/builtin.hpp"
#include "connectors/testing/recording_context.hpp"
#include "support/database_target.hpp"
#include "support/local_cluster.hpp"
#include "support/wordcount_reference.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

// Both servers, started once for the suite (initdb takes ~3 s).
struct servers {
    temp_dir dir{"eddy-db"};
    postgres_server postgres{dir / "pg"};
    mariadb_server mariadb{dir / "mariadb"};
};
servers* shared = nullptr;

enum class which { postgres, mariadb };

database_target target(which w) {
    return w == which::postgres ? database_target::of(shared->postgres)
                                : database_target::of(shared->mariadb);
}

// The records `instances` generators with `options` make, as (key, value) rows.
std::multiset<row> generated(const connectors::option_map& options, std::uint32_t instances) {
    std::multiset<row> rows;
    for (const auto& r : generator_output(options, instances)) {
        rows.insert({r.key, r.value});
    }
    return rows;
}

// The table's rows without their ids, after checking that every id is
// distinct and of the form <sender>-<receiver index>-<sequence>-<index>.
std::multiset<row> table_rows(const database_target& db, const std::string& select) {
    static const std::regex id_form("[0-9]+-[0-9]+-[0-9]+-[0-9]+");
    std::multiset<row> rows;
    std::set<std::string> ids;
    for (auto& r : parse_rows(db.query(select))) {
        EXPECT_TRUE(std::regex_match(r.at(0), id_form)) << r.at(0);
        EXPECT_TRUE(ids.insert(r.at(0)).second) << "id " << r.at(0) << " twice";
        rows.emplace(r.begin() + 1, r.end());
    }
    return rows;
}

connectors::option_map generator_options(const std::string& count, const std::string& seed) {
    return {{"stream", "records"}, {"kind", "random"}, {"count", count},
            {"seed", seed},        {"keys", "500"},    {"value_size", "16"}};
}

class database_sink : public ::testing::TestWithParam<which> {
public:
    static void SetUpTestSuite() { shared = new servers(); }
    static void TearDownTestSuite() {
        delete shared;
        shared = nullptr;
    }
};

TEST_P(database_sink, round_trip_has_exactly_the_generated_rows) {
    const auto db = target(GetParam());
    temp_dir dir("eddy-db-roundtrip");
    local_cluster cluster(dir.path(), link::unix_socket);
    const auto gen = generator_options("3000", "17");
    cluster.add({.name = "gen",
                 .builtin = "generator",
                 .instances = 2,
                 .outputs = {"records"},
                 .config = {gen.begin(), gen.end()}});
    cluster.add({.name = "sink",
                 .builtin = db.builtin,
                 .instances = 2,
                 .inputs = {{"records", "shuffle"}},
                 .config = db.config(
                     {{"stream", "records"}, {"table", "round_trip"}, {"create_table", "true"}})});
    cluster.start();
    ASSERT_TRUE(cluster.wait_exit_all(30s)) << cluster.logs();

    const auto expected = generated(gen, 2);
    ASSERT_EQ(expected.size(), 6000U);
    const auto rows = table_rows(db, db.select({"eddy_id", "key", "value"}, "round_trip"));
    EXPECT_EQ(rows.size(), expected.size());
    EXPECT_TRUE(rows == expected) << "the table's rows differ from the generated records";
}

TEST_P(database_sink, json_fields_map_to_columns_and_misfits_are_dead_lettered) {
    const auto db = target(GetParam());
    temp_dir dir("eddy-db-json");
    local_cluster cluster(dir.path(), link::unix_socket);
    const auto gen = generator_options("1000", "5");
    const auto dead = (dir / "dead.txt").string();
    cluster.add({.name = "gen",
                 .builtin = "generator",
                 .outputs = {"records"},
                 .config = {gen.begin(), gen.end()}});
    cluster.add({.name = "json",
                 .library = EDDY_TEST_COMPUTATIONS,
                 .class_name = "json_maker",
                 .inputs = {{"records", "shuffle"}},
                 .outputs = {"docs"},
                 .config = {{"output", "docs"}}});
    cluster.add({.name = "sink",
                 .builtin = db.builtin,
                 .inputs = {{"docs", "shuffle"}},
                 .config = db.config({{"stream", "docs"},
                                      {"table", "json_docs"},
                                      {"id_column", "rid"},
                                      {"columns", "name=k,payload=v,size=n"},
                                      {"create_table", "true"}})});
    cluster.add({.name = "dead",
                 .builtin = "file",
                 .inputs = {{"sink.dead_letters", "shuffle"}},
                 .config = {{"stream", "sink.dead_letters"}, {"path", dead}, {"format", "value"}}});
    cluster.start();
    ASSERT_TRUE(cluster.wait_exit_all(30s)) << cluster.logs();

    // The rule of json_maker (tests/integration/test_computations.cpp).
    std::multiset<row> expected;
    std::size_t not_json = 0;
    std::size_t missing = 0;
    for (const auto& r : generated(gen, 1)) {
        if (r[0].ends_with('3')) {
            ++not_json;
        } else if (r[0].ends_with('5')) {
            ++missing;
        } else {
            expected.insert({r[0], r[1], std::to_string(r[1].size())});
        }
    }
    ASSERT_GT(not_json, 0U);
    ASSERT_GT(missing, 0U);
    EXPECT_TRUE(table_rows(db, db.select({"rid", "name", "payload", "size"}, "json_docs")) ==
                expected);

    std::size_t seen_not_json = 0;
    std::size_t seen_missing = 0;
    std::istringstream lines(read_file(dead));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find(R"("error":"the value is not JSON")") != std::string::npos) {
            ++seen_not_json;
        } else if (line.find(R"("error":"field 'v' is missing from the value")") !=
                   std::string::npos) {
            ++seen_missing;
        } else {
            ADD_FAILURE() << "unexpected dead letter: " << line;
        }
        EXPECT_NE(line.find(R"("computation":"sink")"), std::string::npos) << line;
    }
    EXPECT_EQ(seen_not_json, not_json);
    EXPECT_EQ(seen_missing, missing);
}

TEST_P(database_sink, a_database_stopped_mid_run_loses_and_doubles_nothing) {
    const auto db = target(GetParam());
    temp_dir dir("eddy-db-restart");
    local_cluster cluster(dir.path(), link::unix_socket);
    auto gen = generator_options("4000", "23");
    gen["rate"] = "2000";
    cluster.add({.name = "gen",
                 .builtin = "generator",
                 .instances = 2,
                 .outputs = {"records"},
                 .config = {gen.begin(), gen.end()}});
    cluster.add({.name = "sink",
                 .builtin = db.builtin,
                 .inputs = {{"records", "shuffle"}},
                 .config = db.config({{"stream", "records"},
                                      {"table", "restarted"},
                                      {"create_table", "true"},
                                      {"retry_initial_ms", "50"},
                                      {"retry_max_ms", "400"},
                                      {"error_after_attempts", "3"}})});
    cluster.start();
    auto count = [&] {
        try {
            return std::stoul(db.query("SELECT COUNT(*) FROM restarted"));
        } catch (const std::exception&) {
            return 0UL;
        }
    };
    ASSERT_TRUE(wait_until([&] { return count() >= 1000; }, 20s)) << cluster.logs();
    db.stop();
    // The sink notices, keeps retrying, and says so at error level.
    ASSERT_TRUE(
        wait_until([&] { return cluster.logs().find("still failing") != std::string::npos; }, 20s))
        << cluster.logs();
    db.start();
    ASSERT_TRUE(cluster.wait_exit_all(40s)) << cluster.logs();
    EXPECT_NE(cluster.logs().find("succeeded after"), std::string::npos) << cluster.logs();

    gen.erase("rate");  // the records do not depend on it
    const auto expected = generated(gen, 2);
    const auto rows = table_rows(db, db.select({"eddy_id", "key", "value"}, "restarted"));
    EXPECT_EQ(rows.size(), expected.size());
    EXPECT_TRUE(rows == expected) << "the table's rows differ from the generated records";
}

INSTANTIATE_TEST_SUITE_P(databases, database_sink,
                         ::testing::Values(which::postgres, which::mariadb), [](const auto& info) {
                             return info.param == which::postgres ? "postgres" : "mariadb";
                         });

}  // namespace
}  // namespace eddy::testing
