#pragma once

// The state store an instance of a given delivery mode needs (DESIGN.md,
// "Delivery modes and state"): memory for at_most_once, RocksDB in `dir` for
// at_least_once and exactly_once. An executor that needs the outbox, marks
// or positions (exactly_once) opens a rocksdb_store itself; this is for the
// code that only needs keyed state.
//
// Threading: any thread; the store returned belongs to its caller's thread.

#include "base/delivery_mode.hpp"
#include "rocksdb_store.hpp"
#include "state_store.hpp"

#include <filesystem>
#include <memory>

namespace eddy::state {

// `dir` and `options` are unused under at_most_once.
[[nodiscard]] state_result<std::unique_ptr<state_store>> open_state_store(
    delivery_mode mode, const std::filesystem::path& dir, rocksdb_options options = {});

}  // namespace eddy::state
