#include "api_server.hpp"

#include "api_routes_dashboard.hpp"
#include "api_routes_metrics.hpp"
#include "api_routes_traces.hpp"
#include "base/http_thread.hpp"
#include "base/log.hpp"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace eddy::control {

namespace {

using json = nlohmann::json;

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump() + "\n", "application/json");
}

void reply(httplib::Response& res, const api_result& result, int ok_status = 200) {
    if (result) {
        reply(res, ok_status, *result);
    } else {
        reply(res, result.error().status, json{{"error", result.error().message}});
    }
}

// The JSON body, or an error reply already sent.
std::optional<json> body_of(const httplib::Request& req, httplib::Response& res) {
    auto parsed = json::parse(req.body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        reply(res, 400, json{{"error", "the request body must be a JSON object"}});
        return std::nullopt;
    }
    return parsed;
}

std::optional<deploy_request> deploy_of(const json& body, httplib::Response& res) {
    if (!body.contains("manifest") || !body["manifest"].is_string()) {
        reply(res, 400, json{{"error", "'manifest' (the YAML text) is required"}});
        return std::nullopt;
    }
    deploy_request request;
    request.manifest = body["manifest"].get<std::string>();
    if (body.contains("file") && body["file"].is_string()) {
        request.file = body["file"].get<std::string>();
    }
    if (body.contains("directory")) {
        if (!body["directory"].is_string() ||
            !std::filesystem::path(body["directory"].get<std::string>()).is_absolute()) {
            reply(res, 400, json{{"error", "'directory' must be an absolute path"}});
            return std::nullopt;
        }
        request.directory = body["directory"].get<std::string>();
    }
    if (body.contains("artifacts")) {
        if (!body["artifacts"].is_object()) {
            reply(res, 400, json{{"error", "'artifacts' must map paths to base64 contents"}});
            return std::nullopt;
        }
        for (const auto& [path, encoded] : body["artifacts"].items()) {
            auto bytes =
                encoded.is_string() ? decode_base64(encoded.get<std::string>()) : std::nullopt;
            if (!bytes) {
                reply(res, 400, json{{"error", "artifact '" + path + "' is not valid base64"}});
                return std::nullopt;
            }
            request.artifacts.emplace(path, std::move(*bytes));
        }
    }
    return request;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::string out(text.size() / 4 * 3, '\0');
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(text.data()),
                                        static_cast<int>(text.size()));
    if (written < 0) {
        return std::nullopt;
    }
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') {
        padding = text.size() > 1 && text[text.size() - 2] == '=' ? 2 : 1;
    }
    out.resize(static_cast<std::size_t>(written) - padding);
    return out;
}

api_server::api_server(coordinator& c, std::string token, std::function<void()> on_shutdown)
    : _coordinator(&c), _token(std::move(token)), _on_shutdown(std::move(on_shutdown)) {}

api_server::api_server(std::string token, std::function<std::string()> leader,
                       std::function<void()> on_shutdown)
    : _token(std::move(token)), _leader(std::move(leader)), _on_shutdown(std::move(on_shutdown)) {}

void api_server::lead(coordinator& c) {
    _coordinator.store(&c);
}

api_server::~api_server() {
    stop();
}

int api_server::start(const std::string& host, int port) {
    _http = std::make_unique<httplib::Server>();
    _http->set_payload_max_length(max_request_bytes);
    routes();
    const int bound =
        port == 0 ? _http->bind_to_any_port(host) : (_http->bind_to_port(host, port) ? port : -1);
    if (bound <= 0) {
        return -1;
    }
    _thread = eddy::serve_in_thread(*_http);
    return bound;
}

void api_server::stop() {
    if (_http) {
        _http->stop();
    }
    if (_thread.joinable()) {
        _thread.join();
    }
}

void api_server::routes() {
    auto& http = *_http;
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        const bool leading = _coordinator.load() != nullptr;
        if (req.path == "/api/v1/health") {
            // For load balancers and probes: no token, nothing secret.
            json health{{"role", leading ? "leader" : "standby"}};
            if (!leading && _leader) {
                health["leader"] = _leader();
            }
            reply(res, 200, health);
            return httplib::Server::HandlerResponse::Handled;
        }
        if (is_dashboard_path(req.path)) {
            // The dashboard's files hold no data: no token (its API calls carry it).
            return httplib::Server::HandlerResponse::Unhandled;
        }
        const auto header = req.get_header_value("Authorization");
        constexpr std::string_view scheme = "Bearer ";
        const std::string_view given =
            header.starts_with(scheme) ? std::string_view(header).substr(scheme.size()) : "";
        if (given.size() != _token.size() ||
            CRYPTO_memcmp(given.data(), _token.data(), _token.size()) != 0) {
            res.set_header("WWW-Authenticate", "Bearer");
            reply(res, 401, json{{"error", "missing or wrong bearer token"}});
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!leading) {
            const auto leader = _leader ? _leader() : std::string();
            reply(res, 503,
                  json{{"error", leader.empty()
                                     ? "this coordinator is a standby and no leader is elected yet"
                                     : "this coordinator is a standby; the leader is at " + leader},
                       {"leader", leader}});
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) {
            const char* what = res.status == 413   ? "the request body is larger than 64 MiB"
                               : res.status == 404 ? "no such path"
                                                   : "request failed";
            reply(res, res.status, json{{"error", what}});
        }
    });
    http.Get("/api/v1/computations", [this](const httplib::Request&, httplib::Response& res) {
        reply(res, 200, _coordinator.load()->computations());
    });
    http.Post("/api/v1/computations", [this](const httplib::Request& req, httplib::Response& res) {
        auto body = body_of(req, res);
        auto request = body ? deploy_of(*body, res) : std::nullopt;
        if (request) {
            reply(res, _coordinator.load()->deploy(*request), 201);
        }
    });
    http.Get(R"(/api/v1/computations/([A-Za-z0-9_.-]+))",
             [this](const httplib::Request& req, httplib::Response& res) {
                 reply(res, _coordinator.load()->computation(req.matches[1]));
             });
    http.Delete(R"(/api/v1/computations/([A-Za-z0-9_.-]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                    reply(res, _coordinator.load()->kill(req.matches[1]));
                });
    http.Put(R"(/api/v1/computations/([A-Za-z0-9_.-]+))",
             [this](const httplib::Request& req, httplib::Response& res) {
                 auto body = body_of(req, res);
                 auto request = body ? deploy_of(*body, res) : std::nullopt;
                 if (request) {
                     reply(res, _coordinator.load()->update(req.matches[1], *request));
                 }
             });
    http.Post(R"(/api/v1/computations/([A-Za-z0-9_.-]+)/scale)", [this](const httplib::Request& req,
                                                                        httplib::Response& res) {
        auto body = body_of(req, res);
        if (!body) {
            return;
        }
        if (!body->contains("instances") || !(*body)["instances"].is_number_integer()) {
            reply(res, 400, json{{"error", "'instances' (an integer) is required"}});
            return;
        }
        const auto n = (*body)["instances"].get<std::int64_t>();
        if (n < 1 || n > 4096) {
            reply(res, 400, json{{"error", "instances must be from 1 to 4096"}});
            return;
        }
        reply(res, _coordinator.load()->scale(req.matches[1], static_cast<std::uint32_t>(n)));
    });
    http.Get(R"(/api/v1/computations/([A-Za-z0-9_.-]+)/logs)", [this](const httplib::Request& req,
                                                                      httplib::Response& res) {
        std::uint32_t instance = 0;
        std::uint64_t offset = 0;
        try {
            if (req.has_param("instance")) {
                instance = static_cast<std::uint32_t>(std::stoul(req.get_param_value("instance")));
            }
            if (req.has_param("offset")) {
                offset = std::stoull(req.get_param_value("offset"));
            }
        } catch (const std::exception&) {
            reply(res, 400, json{{"error", "instance and offset must be integers"}});
            return;
        }
        reply(res, _coordinator.load()->logs(req.matches[1], instance, offset));
    });
    http.Get("/api/v1/instances", [this](const httplib::Request&, httplib::Response& res) {
        reply(res, 200, _coordinator.load()->instances());
    });
    http.Get("/api/v1/streams", [this](const httplib::Request&, httplib::Response& res) {
        reply(res, 200, _coordinator.load()->streams());
    });
    http.Get("/api/v1/graph", [this](const httplib::Request&, httplib::Response& res) {
        reply(res, 200, _coordinator.load()->graph());
    });
    http.Get("/api/v1/status", [this](const httplib::Request&, httplib::Response& res) {
        reply(res, 200, _coordinator.load()->status());
    });
    http.Post("/api/v1/shutdown", [this](const httplib::Request&, httplib::Response& res) {
        reply(res, 202, json{{"stopping", true}});
        _on_shutdown();
    });
    register_dashboard_routes(http);
    register_metrics_routes(http, [this] { return _coordinator.load(); });
    register_trace_routes(http, [this] { return _coordinator.load(); });
}

}  // namespace eddy::control
