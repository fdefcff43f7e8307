#pragma once

// The coordinator's `GET /metrics` on the API server (docs/metrics.md): the
// aggregate of every executor's metrics page plus the coordinator's own
// series, in the Prometheus text format. Like every API route it requires
// the bearer token (the API server checks it before any route), and a
// standby answers 503.

#include <functional>

namespace httplib {
class Server;
}  // namespace httplib

namespace eddy::control {

class coordinator;

// `leading()` gives the coordinator that serves (never null once the route
// is reached: the API server answers for a standby before routing).
void register_metrics_routes(httplib::Server& http, std::function<coordinator*()> leading);

}  // namespace eddy::control
