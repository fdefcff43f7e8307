#include "fleet.hpp"

#include "base/log.hpp"
#include "instance_logs.hpp"

#include <httplib.h>

#include <sstream>
#include <thread>

namespace eddy::control {

namespace {

using namespace std::chrono_literals;

double sum_metric(const std::string& page, std::string_view name) {
    double total = 0;
    std::istringstream lines(page);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind(name, 0) == 0 && line.size() > name.size() &&
            (line[name.size()] == '{' || line[name.size()] == ' ')) {
            total += std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return total;
}

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

tl::expected<nlohmann::json, std::string> executor_fleet::read_log(
    std::string_view computation, const instance_record& instance, std::uint64_t offset) const {
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

std::optional<instance_counters> executor_fleet::scrape(const instance_record& instance) {
    const auto admin = admin_of(instance);
    if (!admin) {
        return std::nullopt;
    }
    httplib::Client client(admin->host, admin->port);
    client.set_connection_timeout(0, 300'000);
    client.set_read_timeout(1, 0);
    auto res = client.Get("/metrics", {{"Authorization", "Bearer " + admin_token()}});
    if (!res || res->status != 200) {
        return std::nullopt;
    }
    return instance_counters{sum_metric(res->body, "eddy_records_in_total"),
                             sum_metric(res->body, "eddy_records_out_total"),
                             sum_metric(res->body, "eddy_records_dropped_total"),
                             sum_metric(res->body, "eddy_queue_depth_batches"),
                             sum_metric(res->body, "eddy_blocked_on_credit_seconds_total")};
}

}  // namespace eddy::control
