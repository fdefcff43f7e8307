// GET /spans of the executor's admin server: the trace spans this instance
// recorded since the last call, for the coordinator's trace store.

#include "executor.hpp"

#include <nlohmann/json.hpp>

namespace eddy::executor {

std::string executor::render_spans() {
    auto spans = _spans.drain();
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : spans) {
        list.push_back({{"trace_id", runtime::to_hex(s.trace)},
                        {"span_id", runtime::to_hex(s.id)},
                        {"parent_span_id",
                         runtime::is_zero(s.parent) ? std::string() : runtime::to_hex(s.parent)},
                        {"kind", runtime::to_string(s.kind)},
                        {"start_us", s.start_micros},
                        {"end_us", s.end_micros},
                        {"stream", s.stream},
                        {"key", s.key}});
    }
    const nlohmann::json page{{"computation", _settings ? _settings->computation : std::string()},
                              {"instance", _options.index},
                              {"instance_id", _self.value()},
                              {"recorded", _spans.recorded()},
                              {"dropped", _spans.dropped()},
                              {"spans", std::move(list)}};
    // Keys are bytes: what is not UTF-8 is replaced rather than refused.
    return page.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace eddy::executor
