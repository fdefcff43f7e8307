#include "lease_watchdog.hpp"

#include "base/lease.hpp"
#include "base/log.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace eddy::executor {

lease_watchdog::lease_watchdog(std::filesystem::path file, std::chrono::milliseconds timeout)
    : _file(std::move(file)), _timeout(timeout), _thread([this] { watch(); }) {}

lease_watchdog::~lease_watchdog() {
    {
        std::lock_guard lock(_mu);
        _stopping = true;
    }
    _wake.notify_all();
    _thread.join();
}

std::optional<std::string> lease_watchdog::check(const std::filesystem::path& file,
                                                 std::chrono::milliseconds timeout) {
    const auto age = lease_age(file);
    if (!age) {
        return fmt::format("its agent's lease {} is missing or unreadable", file.string());
    }
    if (*age > timeout) {
        return fmt::format(
            "its agent has not renewed its lease {} for {} ms (the limit is {} ms): the agent "
            "has lost ZooKeeper or is not running, and the instance is about to run elsewhere",
            file.string(), std::chrono::duration_cast<std::chrono::milliseconds>(*age).count(),
            timeout.count());
    }
    return std::nullopt;
}

void lease_watchdog::watch() {
    std::unique_lock lock(_mu);
    while (!_wake.wait_for(lock, _timeout / 8, [this] { return _stopping; })) {
        if (auto why = check(_file, _timeout)) {
            eddy::log().error("fenced: {}; ending now", *why);
            eddy::log().flush();
            std::_Exit(fenced_exit_code);
        }
    }
}

}  // namespace eddy::executor
