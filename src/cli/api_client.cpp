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
                    endpoint.url(), (endpoint.home / "token").string(),
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
    return fmt::format("http://127.0.0.1:{}", port);
}

cli_result<api_endpoint> find_api(const fs::path& home) {
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
    return api_endpoint{home, port, std::move(token)};
}

api_client::api_client(api_endpoint endpoint, std::chrono::seconds read_timeout)
    : _endpoint(std::move(endpoint)),
      _http(std::make_unique<httplib::Client>("127.0.0.1", _endpoint.port)) {
    _http->set_bearer_token_auth(_endpoint.token);
    _http->set_connection_timeout(2);
    _http->set_read_timeout(read_timeout.count());
    _http->set_write_timeout(60);
    // Paths are encoded by computation_path; httplib must not encode them again.
    _http->set_url_encode(false);
}

api_client::~api_client() = default;
api_client::api_client(api_client&&) noexcept = default;
api_client& api_client::operator=(api_client&&) noexcept = default;

cli_result<api_answer> api_client::get(const std::string& path) {
    return answer_of(_http->Get(path), _endpoint, "GET", path);
}

cli_result<api_answer> api_client::post(const std::string& path, const nlohmann::json& body) {
    return answer_of(_http->Post(path, body.dump(), std::string(json_type)), _endpoint, "POST",
                     path);
}

cli_result<api_answer> api_client::put(const std::string& path, const nlohmann::json& body) {
    return answer_of(_http->Put(path, body.dump(), std::string(json_type)), _endpoint, "PUT", path);
}

cli_result<api_answer> api_client::remove(const std::string& path) {
    return answer_of(_http->Delete(path), _endpoint, "DELETE", path);
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
