#include "mysql_sink.hpp"

#include "database_sink.hpp"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysql.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::connectors {

namespace {

// A prepared statement takes at most 65535 placeholders.
constexpr std::size_t max_parameters = 65'535;
// Seconds a connect, read or write may take before the connection counts as lost.
constexpr unsigned int io_timeout_s = 30;

struct mysql_endpoint {
    std::string host = "127.0.0.1";
    unsigned int port = 3306;
    std::string user = "root";
    std::string password;
    std::string database;
    std::string socket;
};

std::string quote(std::string_view identifier) {
    // Identifiers are checked ([A-Za-z0-9_]).
    const auto dot = identifier.find('.');
    if (dot != std::string_view::npos) {
        return fmt::format("`{}`.`{}`", identifier.substr(0, dot), identifier.substr(dot + 1));
    }
    return fmt::format("`{}`", identifier);
}

// Client errors meaning the server is not there (any other error is the
// server refusing what was sent).
bool connection_error(unsigned int code) {
    return code == CR_CONNECTION_ERROR || code == CR_CONN_HOST_ERROR ||
           code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST || code == CR_UNKNOWN_HOST ||
           code == CR_SERVER_LOST_EXTENDED || code == 1927 /* ER_CONNECTION_KILLED */ ||
           code == 1053 /* ER_SERVER_SHUTDOWN */;
}

class mysql_session final : public database_session {
public:
    explicit mysql_session(mysql_endpoint endpoint) : _endpoint(std::move(endpoint)) {}
    ~mysql_session() override { disconnect(); }
    mysql_session(const mysql_session&) = delete;
    mysql_session& operator=(const mysql_session&) = delete;

    database_result connect() override {
        if (_conn != nullptr) {
            return {};
        }
        _conn = mysql_init(nullptr);
        if (_conn == nullptr) {
            return fail(database_errc::unreachable, "cannot connect to MariaDB: out of memory");
        }
        mysql_optionsv(_conn, MYSQL_OPT_CONNECT_TIMEOUT, &io_timeout_s);
        mysql_optionsv(_conn, MYSQL_OPT_READ_TIMEOUT, &io_timeout_s);
        mysql_optionsv(_conn, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout_s);
        mysql_optionsv(_conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        const auto& e = _endpoint;
        if (mysql_real_connect(_conn, e.socket.empty() ? e.host.c_str() : nullptr, e.user.c_str(),
                               e.password.c_str(), e.database.c_str(), e.port,
                               e.socket.empty() ? nullptr : e.socket.c_str(), 0) == nullptr) {
            std::string message = mysql_error(_conn);
            disconnect();
            return fail(database_errc::unreachable, "cannot connect to MariaDB at {}: {}", where(),
                        message);
        }
        return {};
    }

    database_result prepare_table(const table_mapping& mapping, table_mode mode) override {
        if (mode == table_mode::create) {
            std::string ddl =
                fmt::format("CREATE TABLE IF NOT EXISTS {} ({} VARCHAR(255) NOT NULL PRIMARY KEY",
                            quote(mapping.table), quote(mapping.id_column));
            for (const auto& column : mapping.columns) {
                ddl += fmt::format(", {} MEDIUMTEXT", quote(column));
            }
            ddl += ") CHARACTER SET utf8mb4";
            if (auto done = query(ddl); !done) {
                return done;
            }
        }
        std::string probe = fmt::format("SELECT {}", quote(mapping.id_column));
        for (const auto& column : mapping.columns) {
            probe += ", " + quote(column);
        }
        probe += fmt::format(" FROM {} WHERE 1 = 0", quote(mapping.table));
        if (auto done = query(probe); !done) {
            return done;
        }
        if (MYSQL_RES* res = mysql_store_result(_conn)) {
            mysql_free_result(res);
        }
        return {};
    }

    database_result upsert(const table_mapping& mapping, const table_rows& rows) override {
        if (auto begun = query("START TRANSACTION"); !begun) {
            return begun;
        }
        const std::size_t width = mapping.columns.size() + 1;
        const std::size_t per_statement = std::max<std::size_t>(1, max_parameters / width);
        for (std::size_t first = 0; first < rows.size(); first += per_statement) {
            const std::size_t count = std::min(per_statement, rows.size() - first);
            if (auto done = execute(mapping, rows, first, count); !done) {
                (void)query("ROLLBACK");
                return done;
            }
        }
        return query("COMMIT");
    }

    void disconnect() override {
        if (_conn != nullptr) {
            mysql_close(_conn);
            _conn = nullptr;
        }
    }

private:
    [[nodiscard]] std::string where() const {
        return _endpoint.socket.empty() ? fmt::format("{}:{}", _endpoint.host, _endpoint.port)
                                        : _endpoint.socket;
    }

    database_result failure(std::string_view what, unsigned int code, const char* message) {
        if (connection_error(code)) {
            return fail(database_errc::unreachable, "lost the connection to MariaDB at {}: {}",
                        where(), message);
        }
        return fail(database_errc::rejected, "MariaDB refused {}: {} (error {})", what, message,
                    code);
    }

    database_result query(const std::string& sql) {
        if (mysql_real_query(_conn, sql.data(), sql.size()) != 0) {
            return failure("the statement", mysql_errno(_conn), mysql_error(_conn));
        }
        return {};
    }

    // One prepared multi-row upsert of rows [first, first + count): the SQL
    // holds only checked identifiers and placeholders; values are bound.
    database_result execute(const table_mapping& mapping, const table_rows& rows, std::size_t first,
                            std::size_t count) {
        const std::size_t width = mapping.columns.size() + 1;
        std::string sql =
            fmt::format("INSERT INTO {} ({}", quote(mapping.table), quote(mapping.id_column));
        for (const auto& column : mapping.columns) {
            sql += ", " + quote(column);
        }
        sql += ") VALUES ";
        std::string row = "(?";
        for (std::size_t c = 1; c < width; ++c) {
            row += ", ?";
        }
        row += ")";
        for (std::size_t r = 0; r < count; ++r) {
            sql += r == 0 ? row : ", " + row;
        }
        sql += " ON DUPLICATE KEY UPDATE ";
        for (std::size_t c = 0; c < mapping.columns.size(); ++c) {
            sql += fmt::format("{}{} = VALUES({})", c == 0 ? "" : ", ", quote(mapping.columns[c]),
                               quote(mapping.columns[c]));
        }

        MYSQL_STMT* stmt = mysql_stmt_init(_conn);
        if (stmt == nullptr) {
            return failure("the statement", mysql_errno(_conn), mysql_error(_conn));
        }
        auto close = [&] { mysql_stmt_close(stmt); };
        if (mysql_stmt_prepare(stmt, sql.data(), sql.size()) != 0) {
            auto failed = failure("the upsert", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
            close();
            return failed;
        }
        const std::size_t n = count * width;
        _binds.assign(n, MYSQL_BIND{});
        _lengths.assign(n, 0);
        _nulls.assign(n, 0);
        for (std::size_t r = 0; r < count; ++r) {
            for (std::size_t c = 0; c < width; ++c) {
                const std::size_t i = r * width + c;
                const std::string* text = nullptr;
                if (c == 0) {
                    text = &rows.ids[first + r];
                } else if (const auto& value = rows.values[(first + r) * (width - 1) + c - 1]) {
                    text = &*value;
                }
                MYSQL_BIND& b = _binds[i];
                b.buffer_type = MYSQL_TYPE_STRING;
                if (text == nullptr) {
                    _nulls[i] = 1;
                } else {
                    b.buffer = const_cast<char*>(text->data());
                    b.buffer_length = text->size();
                    _lengths[i] = text->size();
                }
                b.length = &_lengths[i];
                b.is_null = &_nulls[i];
            }
        }
        if (mysql_stmt_bind_param(stmt, _binds.data()) != 0 || mysql_stmt_execute(stmt) != 0) {
            auto failed = failure("the upsert", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
            close();
            return failed;
        }
        close();
        return {};
    }

    mysql_endpoint _endpoint;
    MYSQL* _conn = nullptr;
    std::vector<MYSQL_BIND> _binds;
    std::vector<unsigned long> _lengths;
    std::vector<my_bool> _nulls;
};

constexpr std::array<std::string_view, 6> mysql_option_names = {"host",     "port",     "user",
                                                                "password", "database", "socket"};

}  // namespace

std::unique_ptr<computation> make_mysql_sink(const option_map& config) {
    std::vector<std::string_view> known(database_sink_option_names.begin(),
                                        database_sink_option_names.end());
    known.insert(known.end(), mysql_option_names.begin(), mysql_option_names.end());
    reject_unknown_options(config, "mysql-sink", known);
    auto options = read_database_sink_options(config, "mysql-sink");
    const auto reader = option_reader::of(config, options.name);
    mysql_endpoint endpoint;
    endpoint.host = reader.text("host").value_or(endpoint.host);
    if (auto port = reader.unsigned_integer("port")) {
        if (*port == 0 || *port > 65'535) {
            throw std::invalid_argument(fmt::format(
                "{}: option 'port': {} is not a TCP port (1 to 65535)", options.name, *port));
        }
        endpoint.port = static_cast<unsigned int>(*port);
    }
    endpoint.user = reader.text("user").value_or(endpoint.user);
    endpoint.password = reader.text("password").value_or("");
    endpoint.socket = reader.text("socket").value_or("");
    endpoint.database = reader.text("database").value_or("");
    if (endpoint.database.empty()) {
        throw std::invalid_argument(fmt::format(
            "{}: option 'database' is required (the database holding 'table')", options.name));
    }
    if (endpoint.host.empty() && endpoint.socket.empty()) {
        throw std::invalid_argument(
            fmt::format("{}: option 'host' is empty and no 'socket' is given", options.name));
    }
    return std::make_unique<database_sink>(std::move(options),
                                           std::make_unique<mysql_session>(std::move(endpoint)));
}

}  // namespace eddy::connectors
