#include "api_routes_dashboard.hpp"

#include "dashboard_assets.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace eddy::control {

namespace {

constexpr std::string_view ui_prefix = "/ui/";

// Only what the page needs: its own scripts, styles and API calls; inline
// styles because uPlot and the graph set them; no framing by other sites.
constexpr auto content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

const dashboard_asset* find_asset(std::string_view path) {
    const auto assets = dashboard_assets();
    const auto found = std::lower_bound(
        assets.begin(), assets.end(), path,
        [](const dashboard_asset& asset, std::string_view wanted) { return asset.path < wanted; });
    return found != assets.end() && found->path == path ? &*found : nullptr;
}

void not_found(const httplib::Request& req, httplib::Response& res) {
    res.status = 404;
    // The path came from the request: bytes that are not UTF-8 are replaced.
    const nlohmann::json body{{"error", "the dashboard has no file '" + req.path + "'"}};
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                    "application/json");
}

void serve(const httplib::Request& req, httplib::Response& res) {
    // The path is only ever a key into the embedded set: "../" and the like
    // simply match nothing.
    std::string_view relative = std::string_view(req.path).substr(ui_prefix.size());
    if (relative.empty()) {
        relative = "index.html";
    }
    const auto* asset = find_asset(relative);
    if (asset == nullptr) {
        not_found(req, res);
        return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_header("ETag", std::string(asset->etag));
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    if (asset->content_type.starts_with("text/html")) {
        res.set_header("Content-Security-Policy", content_security_policy);
    }
    if (req.get_header_value("If-None-Match") == asset->etag) {
        res.status = 304;
        return;
    }
    res.status = 200;
    res.set_content(asset->bytes.data(), asset->bytes.size(), std::string(asset->content_type));
}

void redirect_to_ui(const httplib::Request&, httplib::Response& res) {
    res.set_redirect(std::string(ui_prefix), 302);
}

}  // namespace

bool is_dashboard_path(std::string_view path) {
    return path == "/" || path == "/ui" || path.starts_with(ui_prefix);
}

void register_dashboard_routes(httplib::Server& http) {
    http.Get("/", redirect_to_ui);
    http.Get("/ui", redirect_to_ui);
    http.Get("/ui/.*", serve);
}

}  // namespace eddy::control
