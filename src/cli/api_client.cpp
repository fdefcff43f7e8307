#include "api_client.hpp"

#include <httplib.h>

#include <cctype>
#include <charconv>
#include <fstream>

namespace eddy::cli {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view json_type = "application/json";

std::string first_line(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
        line.pop_back();
    }
    return line;
}

cli_error not_running(const fs::path& home, std::string_view why) {
    return {cli_errc::unreachable,
            fmt::format("no coordinator is running for home {} ({}); `eddy up` starts one",
                        home.string(), why)};
}

// The API's `error` when the body carries one, else what can be said.
std::string refusal_message(const httplib::Response& response, std::string_view method,
                            const std::string& path) {
    const auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()) {
        return parsed["error"].get<std::string>();
    }
    return fmt::format("{} {}: HTTP {}", method, path, response.status);
}

cli_result<api_answer> answer_of(const httplib::Result& result, const api_endpoint& endpoint,
                                 std::string_view method, const std::string& path) {
    if (!result) {
        const auto error = result.error();
        const auto what = httplib::to_string(error);
        if (error == httplib::Error::Connection) {
            return tl::unexpected(not_running(
                endpoint.home, fmt::format("nothing answers at {}: {}", endpoint.url(), what)));
        }
        return fail(cli_errc::failed, "{} {} at {}: {}", method, path, endpoint.url(), what);
    }
    const auto& response = *result;
    if (response.status == 401) {
        return fail(cli_errc::failed, "the coordinator at {} refused the token in {}: {}",
                    endpoint.url(), endpoint.token_file.string(),
                    refusal_message(response, method, path));
    }
    if (response.status < 200 || response.status >= 300) {
        return fail(cli_errc::failed, "{}", refusal_message(response, method, path));
    }
    auto document = nlohmann::json::parse(response.body, nullptr, false);
    if (document.is_discarded()) {
        return fail(cli_errc::failed, "{} {}: the coordinator's answer is not JSON", method, path);
    }
    return api_answer{response.status, response.body, std::move(document)};
}

}  // namespace

std::string api_endpoint::url() const {
    return fmt::format("http://{}:{}", host, port);
}

cli_result<api_endpoint> parse_coordinator_url(std::string_view url, std::string token) {
    constexpr std::string_view scheme = "http://";
    const auto bad = [&] {
        return fail(cli_errc::failed, "coordinator '{}' is not of the form http://HOST:PORT", url);
    };
    if (!url.starts_with(scheme)) {
        return bad();
    }
    auto rest = url.substr(scheme.size());
    while (rest.ends_with('/')) {
        rest.remove_suffix(1);
    }
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return bad();
    }
    int port = 0;
    const auto digits = rest.substr(colon + 1);
    const auto [end, parsed] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (parsed != std::errc{} || end != digits.data() + digits.size() || port <= 0 ||
        port > 65535) {
        return bad();
    }
    api_endpoint endpoint;
    endpoint.host = std::string(rest.substr(0, colon));
    endpoint.port = port;
    endpoint.token = std::move(token);
    return endpoint;
}

cli_result<api_endpoint> find_api(const fs::path& home) {
    // Cluster mode: a coordinator anywhere, with the cluster's token.
    if (const char* url = std::getenv("EDDY_COORDINATOR"); url != nullptr && *url != '\0') {
        const char* token_file = std::getenv("EDDY_TOKEN_FILE");
        if (token_file == nullptr || *token_file == '\0') {
            return fail(cli_errc::failed,
                        "--coordinator (EDDY_COORDINATOR) needs --token-file (EDDY_TOKEN_FILE)");
        }
        auto token = first_line(token_file);
        if (token.empty()) {
            return fail(cli_errc::failed, "no token in {}", token_file);
        }
        auto endpoint = parse_coordinator_url(url, std::move(token));
        if (endpoint) {
            endpoint->home = home;
            endpoint->token_file = token_file;
        }
        return endpoint;
    }
    const auto port_file = home / "api.port";
    const auto token_file = home / "token";
    std::error_code ec;
    if (!fs::exists(port_file, ec)) {
        return tl::unexpected(not_running(home, fmt::format("no {}", port_file.string())));
    }
    const auto port_text = first_line(port_file);
    int port = 0;
    const auto [end, parsed] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (parsed != std::errc{} || end != port_text.data() + port_text.size() || port <= 0 ||
        port > 65535) {
        return tl::unexpected(not_running(
            home, fmt::format("{} holds '{}', not a port", port_file.string(), port_text)));
    }
    auto token = first_line(token_file);
    if (token.empty()) {
        return tl::unexpected(
            not_running(home, fmt::format("no token in {}", token_file.string())));
    }
    api_endpoint endpoint;
    endpoint.home = home;
    endpoint.port = port;
    endpoint.token = std::move(token);
    endpoint.token_file = token_file;
    return endpoint;
}

api_client::api_client(api_endpoint endpoint, std::chrono::seconds read_timeout)
    : _endpoint(std::move(endpoint)), _read_timeout(read_timeout) {
    open();
}

void api_client::open() {
    _http = std::make_unique<httplib::Client>(_endpoint.host, _endpoint.port);
    _http->set_bearer_token_auth(_endpoint.token);
    _http->set_connection_timeout(2);
    _http->set_read_timeout(_read_timeout.count());
    _http->set_write_timeout(60);
    // Paths are encoded by computation_path; httplib must not encode them again.
    _http->set_url_encode(false);
}

api_client::~api_client() = default;
api_client::api_client(api_client&&) noexcept = default;
api_client& api_client::operator=(api_client&&) noexcept = default;

cli_result<api_answer> api_client::send(std::string_view method, const std::string& path,
                                        const std::function<httplib::Result()>& request) {
    auto result = request();
    // A standby coordinator names the leader: ask it there, once.
    if (result && result->status == 503) {
        const auto parsed = nlohmann::json::parse(result->body, nullptr, false);
        if (parsed.is_object() && parsed.contains("leader") && parsed["leader"].is_string() &&
            !parsed["leader"].get<std::string>().empty()) {
            if (auto leader =
                    parse_coordinator_url(parsed["leader"].get<std::string>(), _endpoint.token)) {
                _endpoint.host = leader->host;
                _endpoint.port = leader->port;
                open();
                result = request();
            }
        }
    }
    return answer_of(result, _endpoint, method, path);
}

cli_result<api_answer> api_client::get(const std::string& path) {
    return send("GET", path, [&] { return _http->Get(path); });
}

cli_result<api_answer> api_client::post(const std::string& path, const nlohmann::json& body) {
    return send("POST", path,
                [&] { return _http->Post(path, body.dump(), std::string(json_type)); });
}

cli_result<api_answer> api_client::put(const std::string& path, const nlohmann::json& body) {
    return send("PUT", path, [&] { return _http->Put(path, body.dump(), std::string(json_type)); });
}

cli_result<api_answer> api_client::remove(const std::string& path) {
    return send("DELETE", path, [&] { return _http->Delete(path); });
}

cli_result<api_client> connect(const fs::path& home, std::chrono::seconds read_timeout) {
    auto endpoint = find_api(home);
    if (!endpoint) {
        return tl::unexpected(std::move(endpoint.error()));
    }
    return api_client(std::move(*endpoint), read_timeout);
}

std::string encode_path_segment(std::string_view segment) {
    std::string out;
    for (const char c : segment) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", byte);
        }
    }
    return out;
}

std::string computation_path(std::string_view name, std::string_view suffix) {
    return fmt::format("/api/v1/computations/{}{}", encode_path_segment(name), suffix);
}

}  // namespace eddy::cli
