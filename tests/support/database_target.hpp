#pragma once

// One database as a sink's test sees it: the built-in sink that writes to
// it, its connection options, its own client (through the server's
// `query`), and stopping and starting the server. Shared by the database
// sink tests and the Kafka → database exactly-once test.
//
//     postgres_server pg(dir / "pg");
//     const auto db = database_target::of(pg);
//     cluster.add({.builtin = db.builtin, .config = db.config({{"table", "t"}})});
//     const auto rows = parse_rows(db.query(db.select({"eddy_id", "key"}, "t")));
//
// Threading: one test thread; the servers must outlive the target.

#include "support/database_servers.hpp"

#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::testing {

struct database_target {
    std::string builtin;  // "postgres-sink" or "mysql-sink"
    std::map<std::string, std::string> connection;
    std::function<std::string(const std::string&)> query;
    std::function<void()> stop;
    std::function<void()> start;
    char quote = '"';  // of identifiers in `query`

    [[nodiscard]] static database_target of(postgres_server& server);
    [[nodiscard]] static database_target of(mariadb_server& server);

    // The sink's configuration: the connection options and `more`.
    [[nodiscard]] std::map<std::string, std::string> config(
        std::map<std::string, std::string> more) const;
    // "SELECT c1, c2 FROM table", the column names quoted for this database.
    [[nodiscard]] std::string select(std::initializer_list<std::string_view> columns,
                                     std::string_view table) const;
};

using row = std::vector<std::string>;

// The lines of a `query` answer split at tabs.
[[nodiscard]] std::vector<row> parse_rows(const std::string& text);

}  // namespace eddy::testing
