#include "postgres_sink.hpp"

#include "database_sink.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::connectors {

namespace {

// PostgreSQL takes at most 65535 parameters in one statement.
constexpr std::size_t max_parameters = 65'535;

std::string quote(std::string_view identifier) {
    // Identifiers are checked ([A-Za-z0-9_]); quoting keeps their case.
    const auto dot = identifier.find('.');
    if (dot != std::string_view::npos) {
        return fmt::format("\"{}\".\"{}\"", identifier.substr(0, dot), identifier.substr(dot + 1));
    }
    return fmt::format("\"{}\"", identifier);
}

std::string trimmed(const char* message) {
    std::string text = message == nullptr ? "" : message;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

struct result_deleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, result_deleter>;

class postgres_session final : public database_session {
public:
    explicit postgres_session(std::string conninfo) : _conninfo(std::move(conninfo)) {}
    ~postgres_session() override { disconnect(); }
    postgres_session(const postgres_session&) = delete;
    postgres_session& operator=(const postgres_session&) = delete;

    database_result connect() override {
        if (_conn != nullptr && PQstatus(_conn) == CONNECTION_OK) {
            return {};
        }
        disconnect();
        _conn = PQconnectdb(_conninfo.c_str());
        if (PQstatus(_conn) != CONNECTION_OK) {
            auto message = trimmed(PQerrorMessage(_conn));
            disconnect();
            return fail(database_errc::unreachable, "cannot connect to PostgreSQL: {}", message);
        }
        return {};
    }

    database_result prepare_table(const table_mapping& mapping, table_mode mode) override {
        if (mode == table_mode::create) {
            std::string ddl = fmt::format("CREATE TABLE IF NOT EXISTS {} ({} TEXT PRIMARY KEY",
                                          quote(mapping.table), quote(mapping.id_column));
            for (const auto& column : mapping.columns) {
                ddl += fmt::format(", {} TEXT", quote(column));
            }
            ddl += ")";
            if (auto done = command(ddl.c_str(), {}, 0); !done) {
                return done;
            }
        }
        std::string probe = fmt::format("SELECT {}", quote(mapping.id_column));
        for (const auto& column : mapping.columns) {
            probe += ", " + quote(column);
        }
        probe += fmt::format(" FROM {} WHERE false", quote(mapping.table));
        return command(probe.c_str(), {}, 0);
    }

    database_result upsert(const table_mapping& mapping, const table_rows& rows) override {
        if (auto begun = command("BEGIN", {}, 0); !begun) {
            return begun;
        }
        const std::size_t width = mapping.columns.size() + 1;
        const std::size_t per_statement = std::max<std::size_t>(1, max_parameters / width);
        for (std::size_t first = 0; first < rows.size(); first += per_statement) {
            const std::size_t count = std::min(per_statement, rows.size() - first);
            const auto& sql = statement(mapping, count);
            _params.clear();
            for (std::size_t r = first; r < first + count; ++r) {
                _params.push_back(rows.ids[r].c_str());
                for (std::size_t c = 0; c + 1 < width; ++c) {
                    const auto& value = rows.values[r * (width - 1) + c];
                    _params.push_back(value ? value->c_str() : nullptr);
                }
            }
            if (auto done = command(sql.c_str(), _params.data(), static_cast<int>(_params.size()));
                !done) {
                (void)command("ROLLBACK", {}, 0);
                return done;
            }
        }
        return command("COMMIT", {}, 0);
    }

    void disconnect() override {
        if (_conn != nullptr) {
            PQfinish(_conn);
            _conn = nullptr;
        }
    }

private:
    // The upsert of `count` rows, built once per row count (the SQL holds only
    // checked identifiers and placeholders; the values travel as parameters).
    const std::string& statement(const table_mapping& mapping, std::size_t count) {
        if (_statement_rows == count && !_statement.empty()) {
            return _statement;
        }
        const std::size_t width = mapping.columns.size() + 1;
        std::string sql =
            fmt::format("INSERT INTO {} ({}", quote(mapping.table), quote(mapping.id_column));
        for (const auto& column : mapping.columns) {
            sql += ", " + quote(column);
        }
        sql += ") VALUES ";
        std::size_t n = 0;
        for (std::size_t r = 0; r < count; ++r) {
            sql += r == 0 ? "(" : ", (";
            for (std::size_t c = 0; c < width; ++c) {
                sql += fmt::format("{}${}", c == 0 ? "" : ", ", ++n);
            }
            sql += ")";
        }
        sql += fmt::format(" ON CONFLICT ({}) DO UPDATE SET ", quote(mapping.id_column));
        for (std::size_t c = 0; c < mapping.columns.size(); ++c) {
            sql += fmt::format("{}{} = EXCLUDED.{}", c == 0 ? "" : ", ", quote(mapping.columns[c]),
                               quote(mapping.columns[c]));
        }
        _statement = std::move(sql);
        _statement_rows = count;
        return _statement;
    }

    // Runs one statement; a failure says whether the connection is gone.
    database_result command(const char* sql, const char* const* params, int count) {
        pg_result res(PQexecParams(_conn, sql, count, nullptr, params, nullptr, nullptr, 0));
        const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            return {};
        }
        auto message = trimmed(res ? PQresultErrorMessage(res.get()) : PQerrorMessage(_conn));
        if (message.empty()) {
            message = trimmed(PQerrorMessage(_conn));
        }
        if (PQstatus(_conn) != CONNECTION_OK) {
            return fail(database_errc::unreachable, "lost the connection to PostgreSQL: {}",
                        message);
        }
        return fail(database_errc::rejected, "PostgreSQL refused the statement: {}", message);
    }

    std::string _conninfo;
    PGconn* _conn = nullptr;
    std::string _statement;
    std::size_t _statement_rows = 0;
    std::vector<const char*> _params;
};

constexpr std::array<std::string_view, 1> postgres_option_names = {"connection"};

}  // namespace

std::unique_ptr<computation> make_postgres_sink(const option_map& config) {
    std::vector<std::string_view> known(database_sink_option_names.begin(),
                                        database_sink_option_names.end());
    known.insert(known.end(), postgres_option_names.begin(), postgres_option_names.end());
    reject_unknown_options(config, "postgres-sink", known);
    auto options = read_database_sink_options(config, "postgres-sink");
    auto conninfo = option_reader::of(config, options.name).text("connection").value_or("");
    if (conninfo.empty()) {
        throw std::invalid_argument(
            fmt::format("{}: option 'connection' is required (a libpq conninfo string, e.g. "
                        "'host=127.0.0.1 port=5432 dbname=app user=eddy')",
                        options.name));
    }
    // Checked now so that a typo fails at start-up, not at the first connection.
    char* error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
    if (parsed == nullptr) {
        std::string message = trimmed(error != nullptr ? error : "out of memory");
        PQfreemem(error);
        throw std::invalid_argument(
            fmt::format("{}: option 'connection': {}", options.name, message));
    }
    PQconninfoFree(parsed);
    return std::make_unique<database_sink>(std::move(options),
                                           std::make_unique<postgres_session>(std::move(conninfo)));
}

}  // namespace eddy::connectors
