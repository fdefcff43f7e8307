#pragma once

// The web dashboard's routes on the API server (docs/api.md, "The
// dashboard"): `/` redirects to `/ui/`, and `/ui/<path>` serves the embedded
// files (dashboard_assets.hpp) by exact path, anything else under /ui being
// 404. The files hold no data, so they are served without the token; the
// page sends the token with every API call it makes.

#include <string_view>

namespace httplib {
class Server;
}  // namespace httplib

namespace eddy::control {

// Whether `path` (a request's path) is one of the dashboard's routes, which
// the API server lets through without a token.
[[nodiscard]] bool is_dashboard_path(std::string_view path);

void register_dashboard_routes(httplib::Server& http);

}  // namespace eddy::control
