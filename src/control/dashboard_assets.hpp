#pragma once

// The web dashboard's files (web/, docs/dashboard.md), embedded at build
// time: cmake/embed_assets.cmake generates the definition of
// dashboard_assets() from the output of web/build.mjs. A fixed set, read-only
// and built into the binary, so an installed `eddy` serves the same page as
// one in the build tree and no request path is ever opened as a file.

#include <span>
#include <string_view>

namespace eddy::control {

struct dashboard_asset {
    std::string_view path;          // relative to /ui/: "index.html", "vendor/dagre.js"
    std::string_view content_type;  // "text/html; charset=utf-8", ...
    std::string_view etag;          // quoted, from the content's SHA-256
    std::string_view bytes;
};

// Every embedded file, sorted by path.
[[nodiscard]] std::span<const dashboard_asset> dashboard_assets();

}  // namespace eddy::control
