#pragma once

// The coordinator's trace routes (docs/api.md, "Traces"):
//
//   GET /api/v1/traces?limit=N   the newest traces' summaries (default 50, at most 10,000)
//   GET /api/v1/traces/<id>      one trace's spans, ordered by start; 404 if unknown
//
// Behind the API server's token check, like every /api/v1 route.

#include <functional>

namespace httplib {
class Server;
}  // namespace httplib

namespace eddy::control {

class coordinator;

// `leading()` gives the coordinator that serves (never null once a route is
// reached: the API server answers for a standby before routing).
void register_trace_routes(httplib::Server& http, std::function<coordinator*()> leading);

}  // namespace eddy::control
