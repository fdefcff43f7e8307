#pragma once

// Process-wide logging through spdlog. `eddy::log` returns the one logger,
// created on first use (stderr, level from EDDY_LOG_LEVEL, default info).
// Thread-safe: spdlog's multi-threaded sinks.

#include <spdlog/spdlog.h>

namespace eddy {

[[nodiscard]] spdlog::logger& log();

}  // namespace eddy
