#include "task_context.hpp"

#include "base/log.hpp"

#include <stdexcept>

namespace eddy::runtime {

task_context::task_context(const instance_settings& settings, producer& output,
                           timer_service& timers, state::state_store& store)
    : _settings(settings), _output(output), _timers(timers), _store(store) {}

void task_context::bind(std::string_view key, time_micros time, std::uint32_t group_hint) {
    _key = key;
    _time = time;
    _group = group_hint;
}

void task_context::produce(std::string_view stream, std::string_view key, std::string_view value) {
    produce_at(stream, key, value, _time);
}

void task_context::produce(std::string_view stream, std::string_view key, std::string_view value,
                           time_micros time) {
    produce_at(stream, key, value, time);
}

void task_context::report_produce_error(error<runtime_errc> failure) {
    // A programming error in the computation, reported and counted, not thrown:
    // the record is dropped and processing goes on.
    // Logged the first time and then every 10,000th, not per record.
    if (_produce_errors++ % 10'000 == 0) {
        eddy::log().error("{}[{}]: {} ({} so far)", _settings.computation, _settings.index,
                          failure.message, _produce_errors);
    }
}

void task_context::set_timer(std::string_view key, time_micros time, time_domain domain,
                             std::string_view tag) {
    // A durable store keeps the timer with the state it belongs to.
    const auto group = key == _key ? current_group() : key_group_of(key, _settings.max_key_groups);
    if (const auto stored = _store.put_timer(group, key, tag, domain, time); !stored) {
        throw std::runtime_error("timer '" + std::string(tag) +
                                 "' could not be stored: " + stored.error().message);
    }
    _timers.set(key, tag, time, domain);
}

key_group task_context::current_group() {
    if (_group == no_key_group) {
        _group = key_group_of(_key, _settings.max_key_groups).value();
    }
    return key_group(_group);
}

std::optional<std::string> task_context::get(std::string_view name) {
    const auto value = _store.get(current_group(), _key, name);
    if (!value) {
        // Thrown into the user's callback, which the task counts and retries.
        throw std::runtime_error("state get '" + std::string(name) +
                                 "' failed: " + value.error().message);
    }
    if (!*value) {
        return std::nullopt;
    }
    return std::string(**value);
}

void task_context::put(std::string_view name, std::string_view value) {
    const auto stored = _store.put(current_group(), _key, name, value);
    if (!stored) {
        throw std::runtime_error("state put '" + std::string(name) +
                                 "' failed: " + stored.error().message);
    }
}

void task_context::erase(std::string_view name) {
    const auto erased = _store.erase(current_group(), _key, name);
    if (!erased) {
        throw std::runtime_error("state erase '" + std::string(name) +
                                 "' failed: " + erased.error().message);
    }
}

std::optional<std::string_view> task_context::config(std::string_view name) const {
    if (_settings.config == nullptr) {
        return std::nullopt;
    }
    const auto found = _settings.config->find(name);
    if (found == _settings.config->end()) {
        return std::nullopt;
    }
    return std::string_view(found->second);
}

void task_context::log(log_level level, std::string_view message) {
    const auto spd = level == log_level::debug  ? spdlog::level::debug
                     : level == log_level::info ? spdlog::level::info
                     : level == log_level::warn ? spdlog::level::warn
                                                : spdlog::level::err;
    eddy::log().log(spd, "{}[{}]: {}", _settings.computation, _settings.index, message);
}

}  // namespace eddy::runtime
