#include "timer_service.hpp"

namespace eddy::runtime {
namespace {

std::size_t slot(time_domain domain) {
    return domain == time_domain::event_time ? 0 : 1;
}

}  // namespace

void timer_service::set(std::string_view key, std::string_view tag, time_micros time,
                        time_domain domain) {
    identity id{domain, std::string(key), std::string(tag)};
    auto& queue = _queue[slot(domain)];
    const auto found = _times.find(id);
    const std::uint64_t order = _next_order++;
    if (found != _times.end()) {
        queue.erase(
            queue_entry{found->second.time, found->second.order, std::get<1>(id), std::get<2>(id)});
        found->second = scheduled{time, order};
    } else {
        _times.emplace(id, scheduled{time, order});
    }
    queue.emplace(time, order, std::move(std::get<1>(id)), std::move(std::get<2>(id)));
}

std::optional<due_timer> timer_service::pop_due(time_domain domain, time_micros limit) {
    auto& queue = _queue[slot(domain)];
    if (queue.empty() || std::get<0>(*queue.begin()) > limit) {
        return std::nullopt;
    }
    auto node = queue.extract(queue.begin());
    auto& [time, order, key, tag] = node.value();
    _times.erase(identity{domain, key, tag});
    return due_timer{std::move(key), std::move(tag), time, domain};
}

std::optional<time_micros> timer_service::next_due(time_domain domain) const {
    const auto& queue = _queue[slot(domain)];
    if (queue.empty()) {
        return std::nullopt;
    }
    return std::get<0>(*queue.begin());
}

void timer_service::clear(time_domain domain) {
    auto& queue = _queue[slot(domain)];
    for (const auto& [time, order, key, tag] : queue) {
        _times.erase(identity{domain, key, tag});
    }
    queue.clear();
}

}  // namespace eddy::runtime
