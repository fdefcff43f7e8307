#include "fleet.hpp"

#include "base/log.hpp"
#include "instance_logs.hpp"

#include <httplib.h>

#include <thread>

namespace eddy::control {

namespace {

using namespace std::chrono_literals;

}  // namespace

bool executor_fleet::wait_healthy(const instance_record& instance,
                                  std::chrono::milliseconds timeout,
                                  const std::function<bool()>& alive) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = 2ms;
    while (std::chrono::steady_clock::now() < deadline) {
        if (const auto admin = admin_of(instance)) {
            httplib::Client client(admin->host, admin->port);
            client.set_connection_timeout(1, 0);
            if (auto res = client.Get("/health", {{"Authorization", "Bearer " + admin_token()}});
                res && res->status == 200) {
                return true;
            }
        }
        if (!alive()) {
            return false;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, 100ms);
    }
    return false;
}

tl::expected<nlohmann::json, std::string> executor_fleet::read_log(std::string_view computation,
                                                                   const instance_record& instance,
                                                                   std::uint64_t offset) const {
    return read_log_chunk(log_path(computation, instance.index), offset);
}

bool executor_fleet::push(const instance_record& instance, const std::string& document) {
    const auto admin = admin_of(instance);
    if (!admin) {
        return false;
    }
    httplib::Client client(admin->host, admin->port);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(20, 0);
    auto res = client.Put("/topology", {{"Authorization", "Bearer " + admin_token()}}, document,
                          "application/json");
    if (!res || res->status != 200) {
        eddy::log().warn("instance {} did not take the new topology: {}", instance.id,
                         res ? res->body : httplib::to_string(res.error()));
        return false;
    }
    return true;
}

tl::expected<nlohmann::json, std::string> executor_fleet::handoff(
    const instance_record& instance, const std::string& action, const nlohmann::json& body,
    std::chrono::milliseconds timeout) {
    const auto admin = admin_of(instance);
    if (!admin) {
        return tl::unexpected(
            fmt::format("instance {} has no admin port (not running)", instance.id));
    }
    httplib::Client client(admin->host, admin->port);
    client.set_connection_timeout(2, 0);
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
    client.set_read_timeout(static_cast<time_t>(std::max<std::int64_t>(1, seconds)), 0);
    auto res = client.Post("/handoff/" + action, {{"Authorization", "Bearer " + admin_token()}},
                           body.dump(), "application/json");
    if (!res) {
        return tl::unexpected(fmt::format("instance {}: handoff/{}: {}", instance.id, action,
                                          httplib::to_string(res.error())));
    }
    auto answer = nlohmann::json::parse(res->body, nullptr, false);
    if (res->status != 200 || answer.is_discarded()) {
        return tl::unexpected(
            fmt::format("instance {}: handoff/{}: {}", instance.id, action, res->body));
    }
    return answer;
}

std::optional<std::string> executor_fleet::admin_get(const instance_record& instance,
                                                     const std::string& path) {
    const auto admin = admin_of(instance);
    if (!admin) {
        return std::nullopt;
    }
    httplib::Client client(admin->host, admin->port);
    client.set_connection_timeout(0, 300'000);
    client.set_read_timeout(1, 0);
    auto res = client.Get(path, {{"Authorization", "Bearer " + admin_token()}});
    if (!res || res->status != 200) {
        return std::nullopt;
    }
    return std::move(res->body);
}

std::optional<scraped_metrics> executor_fleet::scrape(const instance_record& instance) {
    auto body = admin_get(instance, "/metrics");
    if (!body) {
        return std::nullopt;
    }
    return parse_scrape(std::move(*body));
}

std::optional<nlohmann::json> executor_fleet::spans(const instance_record& instance) {
    const auto body = admin_get(instance, "/spans");
    if (!body) {
        return std::nullopt;
    }
    auto page = nlohmann::json::parse(*body, nullptr, false);
    if (page.is_discarded()) {
        return std::nullopt;
    }
    return page;
}

}  // namespace eddy::control
