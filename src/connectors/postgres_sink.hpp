#pragma once

// `postgres-sink`: a stream → a PostgreSQL table (database_sink.hpp), over
// libpq. Its own option is `connection`, a libpq conninfo string
// ("host=127.0.0.1 port=5432 dbname=app user=eddy"). libpq stays inside
// postgres_sink.cpp.

#include "options.hpp"
#include <eddy/computation.hpp>

#include <array>
#include <memory>
#include <string_view>

namespace eddy::connectors {

// A new postgres-sink from a manifest's options; throws
// std::invalid_argument naming a bad or missing option.
[[nodiscard]] std::unique_ptr<computation> make_postgres_sink(const option_map& config);

}  // namespace eddy::connectors
