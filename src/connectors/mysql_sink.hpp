#pragma once

// `mysql-sink`: a stream → a MariaDB (or MySQL) table (database_sink.hpp),
// over libmariadb. Its own options are `host`, `port`, `user`, `password`,
// `database` and `socket`. libmariadb stays inside mysql_sink.cpp.

#include "options.hpp"
#include <eddy/computation.hpp>

#include <memory>

namespace eddy::connectors {

// A new mysql-sink from a manifest's options; throws std::invalid_argument
// naming a bad or missing option.
[[nodiscard]] std::unique_ptr<computation> make_mysql_sink(const option_map& config);

}  // namespace eddy::connectors
