#pragma once

// Export of completed traces as OTLP/JSON (the JSON mapping of
// opentelemetry's ExportTraceServiceRequest): one document per trace, with
// one resourceSpans entry per instance that recorded spans (service.name =
// computation), hex traceId/spanId, times as decimal strings of Unix nanos
// and the span's stream and key as attributes.
//
// Targets (`eddy up --trace-export`, `EDDY_TRACE_EXPORT`):
//   file:PATH                   one document per line, appended
//   http://HOST:PORT/PATH       POSTed one by one (application/json)
//
// A trace is complete once no span has come to it for `quiet`. Documents
// wait in a bounded queue (the oldest is dropped, and counted, when it is
// full); an HTTP post is retried with backoff, and a document that still
// fails stays at the head of the queue for the next round.
//
// Lifecycle: the exporter's thread starts in the constructor and stops in
// the destructor, which first exports what the store holds (quiet or not).
// Threading: counters from any thread.

#include "trace_store.hpp"

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace eddy::control {

struct trace_export_target {
    enum class kind { file, http } to = kind::file;
    std::string path;  // file: the file; http: the request path
    std::string host;  // http only
    int port = 0;      // http only
};

// Parses `file:PATH` or `http://HOST:PORT/PATH`; the error says what is wrong.
[[nodiscard]] tl::expected<trace_export_target, std::string> parse_trace_export(
    std::string_view spec);

// The OTLP/JSON document of one trace.
[[nodiscard]] nlohmann::json otlp_json(const stored_trace& trace);

struct trace_exporter_options {
    std::chrono::milliseconds quiet{3000};  // a trace is complete after this; default 3 s
    std::chrono::milliseconds period{500};  // how often the store is looked at; default 0.5 s
    std::size_t max_queued = 1000;          // documents waiting; default 1000
    int attempts = 3;                       // HTTP tries per round; default 3
};

class trace_exporter {
public:
    trace_exporter(trace_store& store, trace_export_target target,
                   trace_exporter_options options = {});
    ~trace_exporter();
    trace_exporter(const trace_exporter&) = delete;
    trace_exporter& operator=(const trace_exporter&) = delete;

    [[nodiscard]] std::uint64_t exported() const { return _exported.load(); }
    [[nodiscard]] std::uint64_t dropped() const { return _dropped.load(); }
    [[nodiscard]] std::uint64_t failures() const { return _failures.load(); }

private:
    void run();
    // Takes what is complete into the queue, then delivers from its head.
    void round(std::chrono::milliseconds quiet);
    [[nodiscard]] bool deliver(const std::string& document);

    trace_store& _store;
    const trace_export_target _target;
    const trace_exporter_options _options;
    std::deque<std::string> _queue;  // exporter thread only
    std::mutex _mu;
    std::condition_variable _wake;
    bool _stopping = false;  // GUARDED_BY(_mu)
    std::atomic<std::uint64_t> _exported{0};
    std::atomic<std::uint64_t> _dropped{0};
    std::atomic<std::uint64_t> _failures{0};
    std::thread _thread;
};

}  // namespace eddy::control
