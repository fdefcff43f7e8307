#include "instance_logs.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <fstream>

namespace eddy::control {

nlohmann::json read_log_chunk(const std::filesystem::path& file, std::uint64_t offset) {
    std::ifstream in(file, std::ios::binary);
    std::string text;
    if (in) {
        in.seekg(0, std::ios::end);
        const auto size = static_cast<std::uint64_t>(in.tellg());
        if (offset < size) {
            const auto length = std::min(size - offset, max_log_chunk);
            text.resize(length);
            in.seekg(static_cast<std::streamoff>(offset));
            in.read(text.data(), static_cast<std::streamsize>(length));
            offset += length;
        } else {
            offset = size;
        }
    }
    return nlohmann::json{{"text", text}, {"next_offset", offset}};
}

bool valid_log_name(const std::string& name) {
    if (name.empty() || name == "." || name == "..") {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
    });
}

tl::expected<nlohmann::json, std::string> fetch_agent_log(const agent_log_request& request) {
    httplib::Client client(request.host, request.port);
    client.set_connection_timeout(std::chrono::seconds(2));
    client.set_read_timeout(std::chrono::seconds(5));
    const auto path = fmt::format("/logs?computation={}&instance={}&offset={}", request.computation,
                                  request.index, request.offset);
    const auto res = client.Get(path, {{"Authorization", "Bearer " + request.token}});
    const auto where = fmt::format("the agent at {}:{}", request.host, request.port);
    if (!res) {
        return tl::unexpected(
            fmt::format("{} did not answer: {}", where, httplib::to_string(res.error())));
    }
    if (res->status != 200) {
        return tl::unexpected(fmt::format("{} answered {}: {}", where, res->status, res->body));
    }
    auto parsed = nlohmann::json::parse(res->body, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("text") || !parsed.contains("next_offset")) {
        return tl::unexpected(where + " answered something that is not a log chunk");
    }
    return parsed;
}

}  // namespace eddy::control
