#include "api_routes_metrics.hpp"

#include "coordinator.hpp"

#include <httplib.h>

namespace eddy::control {

void register_metrics_routes(httplib::Server& http, std::function<coordinator*()> leading) {
    http.Get("/metrics",
             [leading = std::move(leading)](const httplib::Request&, httplib::Response& res) {
                 res.status = 200;
                 res.set_content(leading()->prometheus_metrics(), "text/plain; version=0.0.4");
             });
}

}  // namespace eddy::control
