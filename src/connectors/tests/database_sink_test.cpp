// Options of postgres-sink and mysql-sink (checked in make_builtin, no
// database needed), the record → row mapping, and the retry loop against a
// fake session.

#include "connectors/database_sink.hpp"

#include "connectors/builtin.hpp"
#include "connectors/testing/recording_context.hpp"

#include <gtest/gtest.h>

#include <string>

namespace eddy::connectors {
namespace {

// EXPECT_THAT(text, HasSubstr(part)) without gmock.
#define EXPECT_MENTIONS(text, part)                              \
    do {                                                         \
        const std::string seen_ = (text);                        \
        EXPECT_NE(seen_.find(part), std::string::npos) << seen_; \
    } while (false)

std::string error_of(std::string_view builtin, const option_map& config) {
    auto made = make_builtin(builtin, config);
    if (made) {
        return "(no error)";
    }
    EXPECT_EQ(made.error().kind, connector_errc::invalid_option);
    return made.error().message;
}

const option_map pg_ok = {{"connection", "host=127.0.0.1 port=5432 dbname=app"},
                          {"table", "events"}};
const option_map my_ok = {{"database", "app"}, {"table", "events"}};

option_map with(option_map base, const std::string& name, const std::string& value) {
    base[name] = value;
    return base;
}
option_map without(option_map base, const std::string& name) {
    base.erase(name);
    return base;
}

TEST(database_sink_options, valid_options_make_sinks_that_subscribe_to_their_stream) {
    for (const auto& [name, config] : {std::pair{"postgres-sink", pg_ok}, {"mysql-sink", my_ok}}) {
        auto made = make_builtin(name, with(config, "stream", "orders"));
        ASSERT_TRUE(made) << made.error().message;
        EXPECT_EQ((*made)->metadata().name, name);
        EXPECT_EQ((*made)->metadata().inputs.at(0).stream, "orders");
        EXPECT_NE(dynamic_cast<runtime::batched_computation*>(made->get()), nullptr);
    }
}

TEST(database_sink_options, required_options_are_named) {
    EXPECT_MENTIONS(error_of("postgres-sink", without(pg_ok, "connection")),
                    "postgres-sink: option 'connection' is required");
    EXPECT_MENTIONS(error_of("postgres-sink", without(pg_ok, "table")),
                    "postgres-sink: option 'table' is required");
    EXPECT_MENTIONS(error_of("mysql-sink", without(my_ok, "database")),
                    "mysql-sink: option 'database' is required");
    EXPECT_MENTIONS(error_of("mysql-sink", without(my_ok, "table")),
                    "mysql-sink: option 'table' is required");
}

TEST(database_sink_options, bad_values_name_the_option) {
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "connection", "host=x nosuchkey=1")),
                    "option 'connection'");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "table", "events; drop table x")),
                    "option 'table'");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "id_column", "1id")),
                    "option 'id_column'");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "key_column", "k\"ey")),
                    "option 'key_column'");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "columns", "a=x,b")),
                    "option 'columns': expected column=field");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "columns", "a-b=x")),
                    "option 'columns': 'a-b' is not a column name");
    EXPECT_MENTIONS(
        error_of("postgres-sink", with(with(pg_ok, "columns", "a=x"), "value_column", "v")),
        "option 'value_column' does not apply with 'columns'");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "columns", "a=x,a=y")),
                    "column 'a' is given twice");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "key_column", "eddy_id")),
                    "column 'eddy_id' is given twice");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "create_table", "yes")), "create_table");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "retry_initial_ms", "0")),
                    "option 'retry_initial_ms' must be at least 1");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "retry_max_ms", "5")),
                    "option 'retry_max_ms' (5) must be at least 'retry_initial_ms' (100)");
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "error_after_attempts", "-1")),
                    "error_after_attempts");
    EXPECT_MENTIONS(error_of("mysql-sink", with(my_ok, "port", "70000")),
                    "option 'port': 70000 is not a TCP port");
    EXPECT_MENTIONS(error_of("mysql-sink", with(my_ok, "connection", "host=x")),
                    "connection");  // unknown for mysql-sink
    EXPECT_MENTIONS(error_of("postgres-sink", with(pg_ok, "host", "x")), "host");
}

TEST(database_sink_mapping, key_and_value_as_columns) {
    const auto o = read_database_sink_options(pg_ok, "postgres-sink");
    EXPECT_EQ(o.mapping.columns, (std::vector<std::string>{"key", "value"}));
    auto row = map_record(o.mapping, record{.key = "k", .value = "v"});
    ASSERT_TRUE(row);
    EXPECT_EQ(*row, (std::vector<std::optional<std::string>>{"k", "v"}));
    auto bad = map_record(o.mapping, record{.key = "k", .value = std::string_view("\xff\x00", 2)});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "the value is not UTF-8 text");
}

TEST(database_sink_mapping, json_fields_as_columns) {
    const auto o = read_database_sink_options(with(pg_ok, "columns", "name=n,count=c,note=x"),
                                              "postgres-sink");
    auto row = map_record(o.mapping, record{.value = R"({"n": "a\"b", "c": 3, "x": null})"});
    ASSERT_TRUE(row) << row.error().message;
    EXPECT_EQ(*row, (std::vector<std::optional<std::string>>{"a\"b", "3", std::nullopt}));
    EXPECT_EQ(map_record(o.mapping, record{.value = "not json"}).error().message,
              "the value is not JSON");
    EXPECT_EQ(map_record(o.mapping, record{.value = "[1]"}).error().message,
              "the value is not a JSON object");
    EXPECT_EQ(map_record(o.mapping, record{.value = R"({"n": "a", "c": 1})"}).error().message,
              "field 'x' is missing from the value");
}

// A session whose first `unreachable` table checks fail as if the server
// were down, and whose next one fails with `then` (or succeeds).
class fake_session final : public database_session {
public:
    fake_session(int unreachable, std::optional<database_errc> then)
        : _unreachable(unreachable), _then(then) {}
    database_result connect() override { return {}; }
    database_result prepare_table(const table_mapping&, table_mode) override {
        ++attempts;
        if (_unreachable-- > 0) {
            return fail(database_errc::unreachable, "server gone");
        }
        if (_then) {
            return fail(*_then, "relation \"events\" does not exist");
        }
        return {};
    }
    database_result upsert(const table_mapping&, const table_rows&) override { return {}; }
    void disconnect() override {}
    int attempts = 0;

private:
    int _unreachable;
    std::optional<database_errc> _then;
};

TEST(database_sink_retries, init_retries_with_backoff_doubling_up_to_the_maximum) {
    auto o = read_database_sink_options(
        with(with(pg_ok, "retry_initial_ms", "10"), "retry_max_ms", "25"), "postgres-sink");
    auto session = std::make_unique<fake_session>(4, std::nullopt);
    auto* fake = session.get();
    std::vector<long> waits;
    database_sink sink(std::move(o), std::move(session),
                       [&](std::chrono::milliseconds d) { waits.push_back(d.count()); });
    testing::recording_context ctx({}, 0, 1);
    sink.init(ctx);
    EXPECT_EQ(fake->attempts, 5);
    EXPECT_EQ(waits, (std::vector<long>{10, 20, 25, 25}));
}

TEST(database_sink_retries, init_fails_clearly_when_the_table_is_refused) {
    auto o = read_database_sink_options(pg_ok, "postgres-sink");
    database_sink sink(std::move(o), std::make_unique<fake_session>(1, database_errc::rejected),
                       [](std::chrono::milliseconds) {});
    testing::recording_context ctx({}, 0, 1);
    try {
        sink.init(ctx);
        FAIL() << "init did not throw";
    } catch (const runtime::init_failure& e) {
        EXPECT_MENTIONS(e.what(), "postgres-sink: table 'events' cannot be used");
        EXPECT_MENTIONS(e.what(), "does not exist");
    }
}

}  // namespace
}  // namespace eddy::connectors
