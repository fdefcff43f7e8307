#pragma once

// The timers of one instance, in both time domains. A timer is identified by
// (key, tag, domain); setting it again replaces the earlier time. Due timers
// come out in time order (ties in the order they were set). Processing-time
// timers are due when the runtime's clock reaches them, event-time timers when
// the instance's input watermark does (time <= watermark).
//
// The service only keeps timers; the instance loop decides when to ask for the
// due ones and how long to sleep (until next_due(processing_time)).
//
// Lifecycle: owned by an instance_task. Threading: the instance's thread only.

#include <eddy/context.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace eddy::runtime {

struct due_timer {
    std::string key;
    std::string tag;
    time_micros time = 0;
    time_domain domain = time_domain::processing_time;
};

class timer_service {
public:
    void set(std::string_view key, std::string_view tag, time_micros time, time_domain domain);

    // The earliest timer of `domain` with time <= `limit`, removed; or nullopt.
    [[nodiscard]] std::optional<due_timer> pop_due(time_domain domain, time_micros limit);

    // The earliest pending time of `domain`.
    [[nodiscard]] std::optional<time_micros> next_due(time_domain domain) const;

    [[nodiscard]] std::size_t pending() const { return _times.size(); }

    // Drops every timer of `domain` (e.g. processing-time timers at shutdown).
    void clear(time_domain domain);

    // Visits every pending timer, in no particular order.
    template <class Visit>
    void visit(Visit&& visit) const {
        for (const auto& [id, at] : _times) {
            visit(due_timer{std::get<1>(id), std::get<2>(id), at.time, std::get<0>(id)});
        }
    }

    // Removes and returns every timer whose key satisfies `pred` (the timers
    // of key groups handed to another instance), in no particular order.
    template <class Pred>
    [[nodiscard]] std::vector<due_timer> take_if(Pred&& pred) {
        std::vector<due_timer> taken;
        for (auto it = _times.begin(); it != _times.end();) {
            const auto& [domain, key, tag] = it->first;
            if (!pred(std::string_view(key))) {
                ++it;
                continue;
            }
            _queue[domain == time_domain::event_time ? 0 : 1].erase(
                queue_entry{it->second.time, it->second.order, key, tag});
            taken.push_back(due_timer{key, tag, it->second.time, domain});
            it = _times.erase(it);
        }
        return taken;
    }

private:
    using identity = std::tuple<time_domain, std::string, std::string>;  // domain, key, tag
    struct scheduled {
        time_micros time;
        std::uint64_t order;
    };
    using queue_entry = std::tuple<time_micros, std::uint64_t, std::string, std::string>;

    std::map<identity, scheduled, std::less<>> _times;
    std::set<queue_entry> _queue[2];  // by domain: ordered by (time, order)
    std::uint64_t _next_order = 0;
};

}  // namespace eddy::runtime
