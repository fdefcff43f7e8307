#include "connectors/detail/kafka_client.hpp"

#include "base/log.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace eddy::connectors::detail {

namespace {

void on_error(rd_kafka_t* handle, int code, const char* reason, void* opaque) {
    auto* events = static_cast<kafka_events*>(opaque);
    const auto err = static_cast<rd_kafka_resp_err_t>(code);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[512];
        const auto original = rd_kafka_fatal_error(handle, fatal, sizeof fatal);
        events->fatal = true;
        events->errors.push_back(
            fmt::format("fatal client error {}: {}", rd_kafka_err2name(original), fatal));
        return;
    }
    events->errors.push_back(fmt::format("{}: {}", rd_kafka_err2name(err), reason));
}

// librdkafka's own log lines (level 3 and below: errors), from its threads;
// eddy's logger is thread-safe.
void on_log(const rd_kafka_t* handle, int level, const char* facility, const char* line) {
    (void)level;
    eddy::log().warn("librdkafka {} {}: {}", rd_kafka_name(handle), facility, line);
}

}  // namespace

kafka_conf make_conf(std::string_view owner,
                     const std::vector<std::pair<std::string, std::string>>& settings,
                     kafka_events& events) {
    kafka_conf conf(rd_kafka_conf_new());
    char reason[512];
    auto set = [&](const std::string& name, const std::string& value) {
        if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), reason, sizeof reason) !=
            RD_KAFKA_CONF_OK) {
            throw std::invalid_argument(
                fmt::format("{}: Kafka setting {}={} refused: {}", owner, name, value, reason));
        }
    };
    set("log_level", "3");
    for (const auto& [name, value] : settings) {
        set(name, value);
    }
    rd_kafka_conf_set_opaque(conf.get(), &events);
    rd_kafka_conf_set_error_cb(conf.get(), on_error);
    rd_kafka_conf_set_log_cb(conf.get(), on_log);
    return conf;
}

kafka_handle make_client(std::string_view owner, rd_kafka_type_t type, kafka_conf conf) {
    char reason[512];
    // rd_kafka_new takes the configuration only when it succeeds.
    kafka_handle handle(rd_kafka_new(type, conf.get(), reason, sizeof reason));
    if (!handle) {
        throw std::runtime_error(
            fmt::format("{}: cannot create the Kafka client: {}", owner, reason));
    }
    [[maybe_unused]] auto* owned_by_handle = conf.release();
    return handle;
}

}  // namespace eddy::connectors::detail
