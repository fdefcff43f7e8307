#pragma once

// What `eddy deploy` and `eddy update` send: the manifest's text and every
// shared library it names (docs/api.md, POST /api/v1/computations). The
// coordinator never opens a path from a request, so the CLI reads each
// `library:` file itself, relative to the manifest's directory as the
// manifest parser does (src/control/manifest.hpp), and sends it keyed by the
// path exactly as written in the manifest.

#include "errors.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::cli {

// One `library:` value of a manifest.
struct library_reference {
    std::string written;         // as written in the manifest: the artifact's key
    std::filesystem::path file;  // where it is read from: absolute, normalised
};

// Every distinct `library:` value in `manifest_text`, in the order they
// appear, from every YAML document: a `computations:` list or one computation
// at top level. Relative paths are resolved against `manifest_file`'s
// directory (the current directory when it has none). Text that is not valid
// YAML, or a `library:` that is not a string, yields nothing for it: the
// coordinator checks the manifest and reports every problem with its line.
[[nodiscard]] std::vector<library_reference> find_libraries(
    std::string_view manifest_text, const std::filesystem::path& manifest_file);

// The JSON body of a deploy or an update: {"manifest", "file", "artifacts"},
// each artifact base64-encoded. Fails (cli_errc::failed) when the manifest or
// a library it names cannot be read, naming the file.
[[nodiscard]] cli_result<nlohmann::json> deploy_body(const std::filesystem::path& manifest_file);

}  // namespace eddy::cli
