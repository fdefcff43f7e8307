#pragma once

// The common part of the database sinks (`postgres-sink`, `mysql-sink`): a
// stream → a table. One input batch is one database transaction: its records
// are mapped to rows (key and value as columns, or fields of a JSON value as
// columns) and written with one multi-row, parameterised upsert keyed by a
// deterministic record id, "<sender instance>-<receiving instance
// index>-<sequence>-<index in batch>" (a sequence counts one channel's batches),
// so that a batch written again (after a lost connection, or replayed by the
// runtime) updates the same rows instead of adding new ones.
//
// A record that does not fit the mapping (value not JSON, a missing field,
// bytes that are not UTF-8 text) goes to `<name>.dead_letters` with the reason;
// the rest of its batch is written. When the database cannot be reached or
// refuses the batch, the sink reconnects with exponential backoff and writes
// the whole batch again, blocking its instance meanwhile (backpressure
// upstream); each failed attempt is logged, at error level from
// `error_after_attempts` on.
//
// The database itself hides behind `database_session`, implemented next to
// its client library (postgres_sink.cpp, mysql_sink.cpp): libpq and
// libmariadb types never leave those files.
//
// Lifecycle: constructed (options validated) → metadata → init (connects,
// creates or checks the table) → process_batch… → destroyed (disconnects).
// Threading: the instance's thread only.

#include "base/error.hpp"
#include "options.hpp"
#include "runtime/batched_computation.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace eddy::connectors {

enum class database_errc {
    unreachable,  // no connection, or it was lost: try again later
    rejected,     // the server answered with an error (no such table, bad column, ...)
};

using database_result = result<void, database_errc>;

enum class table_mode { check, create };

// Where records go. Column and table names are checked identifiers
// ([A-Za-z_][A-Za-z0-9_]*, a table may be `schema.table`).
struct table_mapping {
    // Table written; required. Config `table`.
    std::string table;
    // Column of the record id, the table's primary key. Default "eddy_id". Config `id_column`.
    std::string id_column = "eddy_id";
    // Data columns, in order after the id.
    std::vector<std::string> columns;
    // JSON mode: fields[i] of the value fills columns[i] (config `columns`,
    // "col=field,..."). Empty: key/value mode, columns are {key_column, value_column}.
    std::vector<std::string> fields;
};

// The rows of one batch. values is row-major, columns.size() per row;
// nullopt is SQL NULL (a JSON null).
struct table_rows {
    std::vector<std::string> ids;
    std::vector<std::optional<std::string>> values;
    [[nodiscard]] std::size_t size() const { return ids.size(); }
};

// One connection to one database. Every call may be made again after a
// failure; `disconnect` then `connect` starts afresh.
class database_session {
public:
    virtual ~database_session() = default;
    // Connects if not connected.
    [[nodiscard]] virtual database_result connect() = 0;
    // Creates the table if asked (and absent), then checks that it has the columns.
    [[nodiscard]] virtual database_result prepare_table(const table_mapping& mapping,
                                                        table_mode mode) = 0;
    // Upserts every row in one transaction: all of them or none.
    [[nodiscard]] virtual database_result upsert(const table_mapping& mapping,
                                                 const table_rows& rows) = 0;
    virtual void disconnect() = 0;
};

struct database_sink_options {
    // Computation name. Fixed at construction. Config `name`.
    std::string name;
    // The stream written, subscribed with shuffle grouping. Default "records".
    // Fixed at construction. Config `stream`.
    std::string stream = "records";
    table_mapping mapping;
    // Create the table if it does not exist, or only check it. Default check.
    // Config `create_table` (true/false).
    table_mode mode = table_mode::check;
    // First wait before retrying a failed batch; doubles each attempt up to
    // retry_max_ms. Default 100. Config `retry_initial_ms`.
    std::uint64_t retry_initial_ms = 100;
    // Longest wait between attempts. Default 10000. Config `retry_max_ms`.
    std::uint64_t retry_max_ms = 10'000;
    // Failed attempts after which each further one is logged at error level
    // (before: warning). Default 5. Config `error_after_attempts`.
    std::uint64_t error_after_attempts = 5;
};

// The options every database sink reads (the sinks add their connection's).
inline constexpr std::array<std::string_view, 11> database_sink_option_names = {
    "name",
    "stream",
    "table",
    "id_column",
    "key_column",
    "value_column",
    "columns",
    "create_table",
    "retry_initial_ms",
    "retry_max_ms",
    "error_after_attempts"};

// Reads and checks the common options; throws std::invalid_argument naming
// the option. `builtin_name` is the default computation name.
[[nodiscard]] database_sink_options read_database_sink_options(const option_map& config,
                                                               std::string_view builtin_name);

// A record of a batch as a row, or why it does not fit the mapping.
[[nodiscard]] result<std::vector<std::optional<std::string>>, database_errc> map_record(
    const table_mapping& mapping, const record& r);

class database_sink final : public runtime::batched_computation {
public:
    using sleeper = std::function<void(std::chrono::milliseconds)>;

    // `sleep` waits between attempts (a test passes one that does not).
    database_sink(database_sink_options options, std::unique_ptr<database_session> session,
                  sleeper sleep = {});
    ~database_sink() override;
    database_sink(const database_sink&) = delete;
    database_sink& operator=(const database_sink&) = delete;

    [[nodiscard]] eddy::metadata metadata() const override;
    // Connects (retrying while unreachable) and creates or checks the table;
    // throws runtime::init_failure if the database refuses the table.
    void init(context& ctx) override;
    [[nodiscard]] runtime::batch_outcome process_batch(runtime::task_context& ctx,
                                                       const runtime::record_batch& batch) override;
    [[nodiscard]] runtime::batch_outcome process_timers(
        runtime::task_context& ctx, std::span<const runtime::due_timer> due) override;

private:
    // Runs `attempt` (after connecting) until it succeeds, with backoff;
    // returns the failed attempts. Stops early, returning the error, when
    // `attempt` is rejected and `give_up_when_rejected` is set.
    enum class on_rejection { retry, give_up };
    [[nodiscard]] result<std::uint64_t, database_errc> with_retries(
        context& ctx, std::string_view what, on_rejection rejected,
        const std::function<database_result()>& attempt);

    database_sink_options _options;
    std::unique_ptr<database_session> _session;
    sleeper _sleep;
    std::string _dead_letters;
    table_rows _rows;  // reused across batches
};

}  // namespace eddy::connectors
