#include "admin_server.hpp"

#include "base/http_thread.hpp"
#include "base/log.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

namespace eddy::executor {

namespace {

// Compares in time independent of where the strings first differ.
bool same_secret(std::string_view given, std::string_view expected) {
    return given.size() == expected.size() &&
           CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

}  // namespace

admin_server::admin_server(admin_routes routes, std::string token)
    : _routes(std::move(routes)), _token(std::move(token)) {}

admin_server::~admin_server() {
    stop();
}

executor_result<int> admin_server::start(const std::string& host, int port) {
    if (_token.empty()) {
        return fail(executor_errc::start_failed, "admin: refusing to serve without a token");
    }
    _http = std::make_unique<httplib::Server>();
    _http->set_payload_max_length(max_admin_body_bytes);
    _http->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        const auto header = req.get_header_value("Authorization");
        constexpr std::string_view scheme = "Bearer ";
        if (!header.starts_with(scheme) ||
            !same_secret(std::string_view(header).substr(scheme.size()), _token)) {
            res.status = 401;
            res.set_header("WWW-Authenticate", "Bearer");
            res.set_content("{\"error\":\"missing or wrong bearer token\"}\n", "application/json");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    _http->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(_routes.metrics(), "text/plain; version=0.0.4; charset=utf-8");
    });
    _http->Get("/health", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(_routes.health(), "application/json");
    });
    _http->Get("/spans", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(_routes.spans ? _routes.spans() : std::string("{\"spans\":[]}\n"),
                        "application/json");
    });
    _http->Put("/topology", [this](const httplib::Request& req, httplib::Response& res) {
        auto replaced = _routes.replace_topology(req.body);
        if (!replaced) {
            res.status = 400;
            res.set_content(nlohmann::json{{"error", replaced.error().message}}.dump() + "\n",
                            "application/json");
            return;
        }
        res.set_content("{\"ok\":true}\n", "application/json");
    });
    _http->Post(R"(/handoff/(drain|export|import|sizes))", [this](const httplib::Request& req,
                                                                  httplib::Response& res) {
        auto answer = _routes.handoff(req.matches[1].str(), req.body);
        if (!answer) {
            res.status = answer.error().kind == executor_errc::not_in_topology ? 409 : 400;
            res.set_content(nlohmann::json{{"error", answer.error().message}}.dump() + "\n",
                            "application/json");
            return;
        }
        res.set_content(*answer, "application/json");
    });
    int bound = port;
    if (port == 0) {
        bound = _http->bind_to_any_port(host);
    } else if (!_http->bind_to_port(host, port)) {
        bound = -1;
    }
    if (bound <= 0) {
        return fail(executor_errc::start_failed, "admin: cannot listen on {}:{}", host, port);
    }
    _thread = eddy::serve_in_thread(*_http);
    return bound;
}

void admin_server::stop() {
    if (_http) {
        _http->stop();
    }
    if (_thread.joinable()) {
        _thread.join();
    }
}

}  // namespace eddy::executor
