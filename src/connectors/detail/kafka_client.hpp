#pragma once

// What kafka_source.cpp and kafka_sink.cpp share about librdkafka: a handle
// that destroys itself, configuration that fails with the setting's name,
// and the client's errors collected for the owner to log through its
// context. librdkafka types go no further than these connectors' .cpp files
// (STYLE.md): include this header from nowhere else.
//
// Threading: librdkafka calls `on_error` from inside rd_kafka_poll and
// rd_kafka_consumer_poll, i.e. on the thread that polls, which is the
// instance's thread; `kafka_events` is therefore only ever touched by it.

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::connectors::detail {

struct kafka_handle_deleter {
    void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using kafka_handle = std::unique_ptr<rd_kafka_t, kafka_handle_deleter>;

struct kafka_conf_deleter {
    void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using kafka_conf = std::unique_ptr<rd_kafka_conf_t, kafka_conf_deleter>;

// Errors the client reported since the owner last drained them.
struct kafka_events {
    std::vector<std::string> errors;
    // A fatal error (e.g. the idempotent producer's sequence was lost): the
    // handle cannot be used any more.
    bool fatal = false;

    [[nodiscard]] std::vector<std::string> drain() { return std::exchange(errors, {}); }
};

// A configuration with `settings` applied, whose error callback appends to
// `events` and whose librdkafka log goes to eddy's log. Throws
// std::invalid_argument naming `owner` and the setting librdkafka refused.
[[nodiscard]] kafka_conf make_conf(std::string_view owner,
                                   const std::vector<std::pair<std::string, std::string>>& settings,
                                   kafka_events& events);

// A client of `type` over `conf` (which it takes). Throws std::runtime_error
// with librdkafka's reason.
[[nodiscard]] kafka_handle make_client(std::string_view owner, rd_kafka_type_t type,
                                       kafka_conf conf);

}  // namespace eddy::connectors::detail
