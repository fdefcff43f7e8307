#include "support/database_target.hpp"

#include <sstream>
#include <utility>

namespace eddy::testing {

database_target database_target::of(postgres_server& server) {
    return {.builtin = "postgres-sink",
            .connection = {{"connection", server.conninfo()}},
            .query = [&server](const std::string& sql) { return server.query(sql); },
            .stop = [&server] { server.stop(); },
            .start = [&server] { server.start(); }};
}

database_target database_target::of(mariadb_server& server) {
    return {.builtin = "mysql-sink",
            .connection = {{"host", "127.0.0.1"},
                           {"port", std::to_string(server.port())},
                           {"user", "root"},
                           {"database", "eddy"}},
            .query = [&server](const std::string& sql) { return server.query(sql); },
            .stop = [&server] { server.stop(); },
            .start = [&server] { server.start(); },
            .quote = '`'};
}

std::map<std::string, std::string> database_target::config(
    std::map<std::string, std::string> more) const {
    auto out = connection;
    out.merge(more);
    return out;
}

std::string database_target::select(std::initializer_list<std::string_view> columns,
                                    std::string_view table) const {
    std::string sql = "SELECT ";
    bool first = true;
    for (auto c : columns) {
        if (!first) {
            sql += ", ";
        }
        first = false;
        sql += quote;
        sql += c;
        sql += quote;
    }
    return sql + " FROM " + std::string(table);
}

std::vector<row> parse_rows(const std::string& text) {
    std::vector<row> rows;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        row fields;
        std::size_t start = 0;
        while (true) {
            const auto tab = line.find('\t', start);
            fields.push_back(line.substr(start, tab - start));
            if (tab == std::string::npos) {
                break;
            }
            start = tab + 1;
        }
        rows.push_back(std::move(fields));
    }
    return rows;
}

}  // namespace eddy::testing
