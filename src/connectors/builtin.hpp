#pragma once

// The registry of built-in computations, by the name a manifest uses:
//
//     auto made = eddy::connectors::make_builtin("generator", {{"stream", "lines"}});
//     if (!made) { ... made.error().message names the problem ... }
//
// `config` is the computation's configuration as the manifest gives it: the
// same map the runtime later serves through `context::config`. It is checked
// here (unknown option names, bad values) so that a mistake fails at start-up,
// and the options that shape the metadata (`name`, `stream`) are taken from it.
// Every option is documented in docs/connectors.md.

#include "base/error.hpp"
#include "options.hpp"
#include <eddy/computation.hpp>

#include <memory>
#include <string_view>
#include <vector>

namespace eddy::connectors {

enum class connector_errc {
    unknown_builtin,  // no built-in computation has that name
    invalid_option,   // an option is unknown or its value is bad
};

// A new instance of the built-in `name` ("generator", "stdout", "file", ...:
// builtin_names()).
// Thread-safe; each call makes a fresh instance.
[[nodiscard]] result<std::unique_ptr<computation>, connector_errc> make_builtin(
    std::string_view name, const option_map& config = {});

// The names `make_builtin` knows, sorted.
[[nodiscard]] std::vector<std::string_view> builtin_names();

}  // namespace eddy::connectors
