#include "database_sink.hpp"

#include "runtime/dead_letters.hpp"
#include "runtime/topology_plan.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

namespace eddy::connectors {

namespace {

bool is_identifier(std::string_view s) {
    if (s.empty() || s.size() > 63 || std::isdigit(static_cast<unsigned char>(s[0])) != 0) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
}

bool is_table_name(std::string_view s) {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos) {
        return is_identifier(s);
    }
    return is_identifier(s.substr(0, dot)) && is_identifier(s.substr(dot + 1));
}

std::string identifier_option(const option_reader& reader, std::string_view name,
                              std::string fallback) {
    auto value = reader.text(name).value_or(std::move(fallback));
    if (!is_identifier(value)) {
        throw std::invalid_argument(fmt::format(
            "{}: option '{}': '{}' is not a column name (letters, digits and _, not starting with "
            "a digit, at most 63 characters)",
            reader.owner(), name, value));
    }
    return value;
}

// "col=field,col=field" → (columns, fields).
void parse_columns(const option_reader& reader, std::string_view text, table_mapping& mapping) {
    std::string_view rest = text;
    while (true) {
        const auto comma = rest.find(',');
        const auto item = rest.substr(0, comma);
        const auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) {
            throw std::invalid_argument(fmt::format(
                "{}: option 'columns': expected column=field[,column=field...], got '{}'",
                reader.owner(), text));
        }
        const auto column = item.substr(0, eq);
        if (!is_identifier(column)) {
            throw std::invalid_argument(
                fmt::format("{}: option 'columns': '{}' is not a column name (letters, digits and "
                            "_, not starting with a digit)",
                            reader.owner(), column));
        }
        mapping.columns.emplace_back(column);
        mapping.fields.emplace_back(item.substr(eq + 1));
        if (comma == std::string_view::npos) {
            break;
        }
        rest = rest.substr(comma + 1);
    }
}

// Valid UTF-8 without NUL (neither database stores a NUL in text).
bool is_text(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        if (c == 0) {
            return false;
        }
        if (c < 0x80) {
            extra = 0;
        } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
            extra = 1;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
        } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
            extra = 3;
        } else {
            return false;
        }
        if (i + extra >= s.size()) {
            return false;
        }
        for (std::size_t k = 1; k <= extra; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
                return false;
            }
        }
        i += extra + 1;
    }
    return true;
}

}  // namespace

database_sink_options read_database_sink_options(const option_map& config,
                                                 std::string_view builtin_name) {
    database_sink_options o{.name = std::string(builtin_name)};
    o.name = option_reader::of(config, o.name).text("name").value_or(o.name);
    const auto reader = option_reader::of(config, o.name);
    o.stream = reader.text("stream").value_or(o.stream);
    o.mapping.table = reader.text("table").value_or("");
    if (o.mapping.table.empty()) {
        throw std::invalid_argument(fmt::format("{}: option 'table' is required", o.name));
    }
    if (!is_table_name(o.mapping.table)) {
        throw std::invalid_argument(fmt::format(
            "{}: option 'table': '{}' is not a table name (letters, digits and _, optionally "
            "schema.table)",
            o.name, o.mapping.table));
    }
    o.mapping.id_column = identifier_option(reader, "id_column", o.mapping.id_column);
    if (auto columns = reader.text("columns")) {
        for (const auto* option : {"key_column", "value_column"}) {
            if (reader.text(option)) {
                throw std::invalid_argument(fmt::format(
                    "{}: option '{}' does not apply with 'columns' (the columns come from fields "
                    "of a JSON value); give one or the other",
                    o.name, option));
            }
        }
        parse_columns(reader, *columns, o.mapping);
    } else {
        o.mapping.columns = {identifier_option(reader, "key_column", "key"),
                             identifier_option(reader, "value_column", "value")};
    }
    std::set<std::string> seen = {o.mapping.id_column};
    for (const auto& column : o.mapping.columns) {
        if (!seen.insert(column).second) {
            throw std::invalid_argument(fmt::format(
                "{}: column '{}' is given twice (option 'columns', 'key_column', 'value_column' "
                "or 'id_column')",
                o.name, column));
        }
    }
    if (auto create = reader.one_of("create_table", {"true", "false"})) {
        o.mode = *create == "true" ? table_mode::create : table_mode::check;
    }
    o.retry_initial_ms = reader.unsigned_integer("retry_initial_ms").value_or(o.retry_initial_ms);
    o.retry_max_ms = reader.unsigned_integer("retry_max_ms").value_or(o.retry_max_ms);
    o.error_after_attempts =
        reader.unsigned_integer("error_after_attempts").value_or(o.error_after_attempts);
    if (o.retry_initial_ms == 0) {
        throw std::invalid_argument(
            fmt::format("{}: option 'retry_initial_ms' must be at least 1", o.name));
    }
    if (o.retry_max_ms < o.retry_initial_ms) {
        throw std::invalid_argument(
            fmt::format("{}: option 'retry_max_ms' ({}) must be at least 'retry_initial_ms' ({})",
                        o.name, o.retry_max_ms, o.retry_initial_ms));
    }
    if (o.error_after_attempts == 0) {
        throw std::invalid_argument(
            fmt::format("{}: option 'error_after_attempts' must be at least 1", o.name));
    }
    return o;
}

result<std::vector<std::optional<std::string>>, database_errc> map_record(
    const table_mapping& mapping, const record& r) {
    std::vector<std::optional<std::string>> row;
    if (mapping.fields.empty()) {
        if (!is_text(r.key)) {
            return fail(database_errc::rejected, "the key is not UTF-8 text");
        }
        if (!is_text(r.value)) {
            return fail(database_errc::rejected, "the value is not UTF-8 text");
        }
        row.emplace_back(std::string(r.key));
        row.emplace_back(std::string(r.value));
        return row;
    }
    const auto value = nlohmann::json::parse(r.value, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        return fail(database_errc::rejected, "the value is not JSON");
    }
    if (!value.is_object()) {
        return fail(database_errc::rejected, "the value is not a JSON object");
    }
    for (const auto& field : mapping.fields) {
        const auto found = value.find(field);
        if (found == value.end()) {
            return fail(database_errc::rejected, "field '{}' is missing from the value", field);
        }
        if (found->is_null()) {
            row.emplace_back(std::nullopt);
        } else if (found->is_string()) {
            const auto& text = found->get_ref<const std::string&>();
            if (!is_text(text)) {
                return fail(database_errc::rejected, "field '{}' is not UTF-8 text", field);
            }
            row.emplace_back(text);
        } else {
            row.emplace_back(found->dump());
        }
    }
    return row;
}

database_sink::database_sink(database_sink_options options,
                             std::unique_ptr<database_session> session, sleeper sleep)
    : _options(std::move(options)),
      _session(std::move(session)),
      _sleep(sleep ? std::move(sleep)
                   : sleeper([](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); })),
      _dead_letters(runtime::dead_letter_stream(_options.name)) {}

database_sink::~database_sink() {
    _session->disconnect();
}

eddy::metadata database_sink::metadata() const {
    return {.name = _options.name, .inputs = {{_options.stream, grouping::shuffle}}, .outputs = {}};
}

result<std::uint64_t, database_errc> database_sink::with_retries(
    context& ctx, std::string_view what, on_rejection rejected,
    const std::function<database_result()>& attempt) {
    std::uint64_t failed = 0;
    std::uint64_t wait_ms = _options.retry_initial_ms;
    while (true) {
        auto done = _session->connect();
        if (done) {
            done = attempt();
        }
        if (done) {
            if (failed != 0) {
                ctx.log(log_level::info, fmt::format("{}: {} succeeded after {} failed attempts",
                                                     _options.name, what, failed));
            }
            return failed;
        }
        ++failed;
        if (done.error().kind == database_errc::rejected && rejected == on_rejection::give_up) {
            return tl::unexpected(std::move(done.error()));
        }
        _session->disconnect();
        const auto level =
            failed >= _options.error_after_attempts ? log_level::error : log_level::warn;
        ctx.log(level,
                fmt::format("{}: {} failed (attempt {}{}), retrying in {} ms: {}", _options.name,
                            what, failed, level == log_level::error ? ", still failing" : "",
                            wait_ms, done.error().message));
        _sleep(std::chrono::milliseconds(wait_ms));
        wait_ms = std::min(wait_ms * 2, _options.retry_max_ms);
    }
}

void database_sink::init(context& ctx) {
    auto prepared = with_retries(
        ctx, fmt::format("preparing table '{}'", _options.mapping.table), on_rejection::give_up,
        [&] { return _session->prepare_table(_options.mapping, _options.mode); });
    if (!prepared) {
        throw runtime::init_failure(fmt::format("{}: table '{}' cannot be used: {}", _options.name,
                                                _options.mapping.table, prepared.error().message));
    }
}

runtime::batch_outcome database_sink::process_batch(runtime::task_context& ctx,
                                                    const runtime::record_batch& batch) {
    runtime::batch_outcome outcome;
    _rows.ids.clear();
    _rows.values.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const record r = batch.at(i);
        auto row = map_record(_options.mapping, r);
        if (!row) {
            const runtime::failed_input input{
                .stream = r.stream, .key = r.key, .value = r.value, .time = r.time};
            ctx.produce(_dead_letters, r.key,
                        runtime::dead_letter_value(_options.name, input, row.error().message, 1),
                        r.time);
            ++outcome.dead_letters;
            continue;
        }
        // A sequence number counts batches on one channel (sender → this
        // instance), so the channel's receiving end is part of the id too.
        _rows.ids.push_back(fmt::format("{}-{}-{}-{}", batch.sender.value(), ctx.instance_index(),
                                        batch.sequence.value(), i));
        for (auto& value : *row) {
            _rows.values.push_back(std::move(value));
        }
    }
    if (_rows.size() == 0) {
        return outcome;
    }
    auto written = with_retries(
        ctx, fmt::format("writing {} rows to '{}'", _rows.size(), _options.mapping.table),
        on_rejection::retry, [&] { return _session->upsert(_options.mapping, _rows); });
    outcome.failures += written.value_or(0);
    return outcome;
}

runtime::batch_outcome database_sink::process_timers(runtime::task_context& ctx,
                                                     std::span<const runtime::due_timer> due) {
    (void)ctx;
    (void)due;
    return {};
}

}  // namespace eddy::connectors
