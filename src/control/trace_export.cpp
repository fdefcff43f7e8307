#include "trace_export.hpp"

#include "base/log.hpp"

#include <httplib.h>

#include <charconv>
#include <fstream>
#include <map>
#include <tuple>

namespace eddy::control {

namespace {

using json = nlohmann::json;

json string_attribute(std::string_view key, std::string_view value) {
    return json{{"key", key}, {"value", {{"stringValue", value}}}};
}

json int_attribute(std::string_view key, std::int64_t value) {
    // OTLP/JSON: 64-bit integers are strings.
    return json{{"key", key}, {"value", {{"intValue", std::to_string(value)}}}};
}

// OTLP SpanKind: INTERNAL 1, PRODUCER 4, CONSUMER 5.
int otlp_kind(std::string_view kind) {
    if (kind == "received") {
        return 5;
    }
    if (kind == "sent") {
        return 4;
    }
    return 1;
}

std::string nanos(std::int64_t micros) {
    return std::to_string(micros) + "000";
}

}  // namespace

tl::expected<trace_export_target, std::string> parse_trace_export(std::string_view spec) {
    trace_export_target target;
    if (spec.starts_with("file:")) {
        target.path = std::string(spec.substr(5));
        if (target.path.empty()) {
            return tl::unexpected(std::string("trace export 'file:' names no file"));
        }
        return target;
    }
    constexpr std::string_view scheme = "http://";
    if (!spec.starts_with(scheme)) {
        return tl::unexpected(
            fmt::format("trace export '{}' must be file:PATH or http://HOST:PORT/PATH", spec));
    }
    const std::string_view rest = spec.substr(scheme.size());
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return tl::unexpected(fmt::format("trace export '{}': say HOST:PORT", spec));
    }
    target.to = trace_export_target::kind::http;
    target.host = std::string(authority.substr(0, colon));
    const auto port_text = authority.substr(colon + 1);
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), target.port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || target.port < 1 ||
        target.port > 65535) {
        return tl::unexpected(
            fmt::format("trace export '{}': port '{}' is not from 1 to 65535", spec, port_text));
    }
    target.path = slash == std::string_view::npos ? "/v1/traces" : std::string(rest.substr(slash));
    return target;
}

json otlp_json(const stored_trace& trace) {
    // One resource per instance that recorded spans, in order of first span.
    std::map<std::tuple<std::string, std::uint32_t, std::string>, std::size_t> resources;
    json resource_spans = json::array();
    std::vector<stored_span> spans = trace.spans;
    sort_spans(spans);
    for (const auto& s : spans) {
        const auto who = std::make_tuple(s.computation, s.instance_id, s.host);
        auto [at, added] = resources.try_emplace(who, resource_spans.size());
        if (added) {
            resource_spans.push_back(
                {{"resource",
                  {{"attributes", json::array({string_attribute("service.name", s.computation),
                                               string_attribute("service.instance.id",
                                                                std::to_string(s.instance_id)),
                                               string_attribute("host.name", s.host),
                                               int_attribute("eddy.instance", s.instance)})}}},
                 {"scopeSpans",
                  json::array({{{"scope", {{"name", "eddy"}}}, {"spans", json::array()}}})}});
        }
        json span{{"traceId", trace.trace_id},
                  {"spanId", s.span_id},
                  {"name", s.computation + " " + s.kind},
                  {"kind", otlp_kind(s.kind)},
                  {"startTimeUnixNano", nanos(s.start_us)},
                  {"endTimeUnixNano", nanos(s.end_us)},
                  {"attributes", json::array({string_attribute("eddy.kind", s.kind),
                                              string_attribute("eddy.stream", s.stream),
                                              string_attribute("eddy.key", s.key)})}};
        if (!s.parent_span_id.empty()) {
            span["parentSpanId"] = s.parent_span_id;
        }
        resource_spans[at->second]["scopeSpans"][0]["spans"].push_back(std::move(span));
    }
    return json{{"resourceSpans", std::move(resource_spans)}};
}

trace_exporter::trace_exporter(trace_store& store, trace_export_target target,
                               trace_exporter_options options)
    : _store(store), _target(std::move(target)), _options(options) {
    _thread = std::thread([this] { run(); });
}

trace_exporter::~trace_exporter() {
    {
        std::lock_guard lock(_mu);
        _stopping = true;
    }
    _wake.notify_all();
    _thread.join();
}

void trace_exporter::run() {
    for (;;) {
        {
            std::unique_lock lock(_mu);
            if (_wake.wait_for(lock, _options.period, [this] { return _stopping; })) {
                break;
            }
        }
        round(_options.quiet);
    }
    // Stopping: what the store holds goes out now, complete or not.
    round(std::chrono::milliseconds(0));
}

void trace_exporter::round(std::chrono::milliseconds quiet) {
    for (const auto& trace : _store.take_completed(std::chrono::steady_clock::now(), quiet)) {
        if (_queue.size() >= _options.max_queued) {
            _queue.pop_front();
            ++_dropped;
        }
        _queue.push_back(otlp_json(trace).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    while (!_queue.empty()) {
        if (!deliver(_queue.front())) {
            ++_failures;
            return;  // the head waits for the next round
        }
        _queue.pop_front();
        ++_exported;
    }
}

bool trace_exporter::deliver(const std::string& document) {
    if (_target.to == trace_export_target::kind::file) {
        std::ofstream out(_target.path, std::ios::app);
        out << document << '\n';
        out.flush();
        if (!out) {
            eddy::log().warn("trace export: cannot append to {}", _target.path);
            return false;
        }
        return true;
    }
    httplib::Client client(_target.host, _target.port);
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(2, 0);
    auto backoff = std::chrono::milliseconds(100);
    for (int attempt = 1; attempt <= _options.attempts; ++attempt) {
        auto res = client.Post(_target.path, document, "application/json");
        if (res && res->status >= 200 && res->status < 300) {
            return true;
        }
        eddy::log().debug("trace export: POST http://{}:{}{} attempt {}: {}", _target.host,
                          _target.port, _target.path, attempt,
                          res ? std::to_string(res->status) : httplib::to_string(res.error()));
        if (attempt < _options.attempts) {
            std::unique_lock lock(_mu);
            if (_wake.wait_for(lock, backoff, [this] { return _stopping; })) {
                return false;
            }
            backoff *= 2;
        }
    }
    eddy::log().warn("trace export: POST http://{}:{}{} failed {} times; kept for later",
                     _target.host, _target.port, _target.path, _options.attempts);
    return false;
}

}  // namespace eddy::control
