#pragma once

// The CLI's side of the REST API (docs/api.md). `find_api` locates a home's
// coordinator from `<home>/api.port` and `<home>/token`; an `api_client`
// sends requests with the bearer token and turns every way a request can go
// wrong into a cli_error: the API's own `error` message for a refused
// request (cli_errc::failed), or cli_errc::unreachable, naming the home and
// saying that `eddy up` starts a coordinator, when nothing answers.
//
// Threading: one client per thread; calls block until the answer or the
// read timeout.

#include "errors.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace httplib {
class Client;
class Result;
}  // namespace httplib

namespace eddy::cli {

// Where a home's coordinator listens.
struct api_endpoint {
    std::filesystem::path home;
    std::string host = "127.0.0.1";
    int port = 0;
    std::string token;
    std::filesystem::path token_file;  // where the token came from (for messages)

    [[nodiscard]] std::string url() const;  // "http://HOST:PORT"
};

// "http://HOST:PORT" as an endpoint with `token`; cli_errc::usage otherwise.
[[nodiscard]] cli_result<api_endpoint> parse_coordinator_url(std::string_view url,
                                                             std::string token);

// Cluster mode: $EDDY_COORDINATOR (http://HOST:PORT) with the token in
// $EDDY_TOKEN_FILE, when set (the --coordinator and --token-file flags set
// them). Otherwise reads `<home>/api.port` and `<home>/token`. Fails with cli_errc::unreachable
// when either is missing or malformed: no coordinator was started there.
[[nodiscard]] cli_result<api_endpoint> find_api(const std::filesystem::path& home);

// A successful answer (2xx): its body as sent, for --json, and parsed.
struct api_answer {
    int status = 0;
    std::string body;
    nlohmann::json document;
};

class api_client {
public:
    // `read_timeout` bounds the wait for an answer: updates restart instances
    // one at a time, so the default is generous.
    explicit api_client(api_endpoint endpoint,
                        std::chrono::seconds read_timeout = std::chrono::seconds(300));
    ~api_client();
    api_client(api_client&&) noexcept;
    api_client& operator=(api_client&&) noexcept;

    [[nodiscard]] cli_result<api_answer> get(const std::string& path);
    [[nodiscard]] cli_result<api_answer> post(const std::string& path, const nlohmann::json& body);
    [[nodiscard]] cli_result<api_answer> put(const std::string& path, const nlohmann::json& body);
    [[nodiscard]] cli_result<api_answer> remove(const std::string& path);

    [[nodiscard]] const api_endpoint& endpoint() const { return _endpoint; }

private:
    void open();
    // Sends, and follows a standby's pointer to the leader once.
    [[nodiscard]] cli_result<api_answer> send(std::string_view method, const std::string& path,
                                              const std::function<httplib::Result()>& request);

    api_endpoint _endpoint;
    std::chrono::seconds _read_timeout;
    std::unique_ptr<httplib::Client> _http;
};

// A client for `home`'s coordinator (find_api, then an api_client).
[[nodiscard]] cli_result<api_client> connect(
    const std::filesystem::path& home,
    std::chrono::seconds read_timeout = std::chrono::seconds(300));

// `segment` percent-encoded for use as one segment of a URL path: a
// computation's name never reaches another route, whatever it holds.
[[nodiscard]] std::string encode_path_segment(std::string_view segment);

// "/api/v1/computations/<name>" with the name encoded, plus `suffix`.
[[nodiscard]] std::string computation_path(std::string_view name, std::string_view suffix = "");

}  // namespace eddy::cli
