#include "api_routes_traces.hpp"

#include "coordinator.hpp"

#include <httplib.h>

#include <charconv>

namespace eddy::control {

namespace {

using json = nlohmann::json;

constexpr std::size_t default_trace_limit = 50;
constexpr std::size_t max_trace_limit = 10'000;

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                    "application/json");
}

}  // namespace

void register_trace_routes(httplib::Server& http, std::function<coordinator*()> leading) {
    http.Get("/api/v1/traces", [leading](const httplib::Request& req, httplib::Response& res) {
        std::size_t limit = default_trace_limit;
        if (req.has_param("limit")) {
            const auto text = req.get_param_value("limit");
            std::size_t parsed = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
            if (ec != std::errc() || end != text.data() + text.size() || parsed < 1 ||
                parsed > max_trace_limit) {
                reply(res, 400,
                      json{{"error", "limit '" + text + "' must be an integer from 1 to 10000"}});
                return;
            }
            limit = parsed;
        }
        reply(res, 200, leading()->traces().list(limit));
    });
    http.Get(R"(/api/v1/traces/([^/]+))",
             [leading](const httplib::Request& req, httplib::Response& res) {
                 const std::string id = req.matches[1];
                 if (auto trace = leading()->traces().find(id)) {
                     reply(res, 200, *trace);
                 } else {
                     reply(res, 404, json{{"error", "no trace '" + id + "'"}});
                 }
             });
}

}  // namespace eddy::control
