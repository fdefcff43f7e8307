// Computations the network benchmark loads into its executors by class name:
// `relay` (the pass-through middle stage), `latency_sink` (the end of the
// pipeline, which measures) and `premade_source` (a diagnostic source that
// costs almost nothing per record, to separate the data plane's own limit
// from the built-in generator's). Kept apart from the integration tests' library so
// that the benchmark does not change when a test does.

#include "latency_histogram.hpp"
#include <eddy/computation.hpp>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

// Sends every record on, unchanged and with its event time, to `output`.
class relay final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "relay"}; }
    void init(eddy::context& ctx) override {
        _output = std::string(ctx.config("output").value_or("out"));
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        ctx.produce(_output, r.key, r.value, r.time);
    }

private:
    std::string _output;
};

// Produces `count` records to `stream`, `batch` per poll, cycling through
// 4096 records made at init like the generator's ("key-<n>" with n below
// `keys`, `value_size` characters of [a-z0-9]); like the generator, it stamps
// each record with the processing time of the poll that makes it.
class premade_source final : public eddy::source {
public:
    eddy::metadata metadata() const override { return {.name = "premade_source"}; }
    void init(eddy::context& ctx) override {
        _stream = std::string(ctx.config("stream").value_or("records"));
        _count = config_number(ctx, "count", 1'000'000);
        _batch = std::max<std::uint64_t>(1, config_number(ctx, "batch", 256));
        const auto keys = std::max<std::uint64_t>(1, config_number(ctx, "keys", 1000));
        const auto value_size = config_number(ctx, "value_size", 93);
        constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        std::mt19937_64 rng(7);
        for (std::size_t i = 0; i < pool; ++i) {
            _keys.push_back("key-" + std::to_string(rng() % keys));
            std::string value(value_size, ' ');
            for (auto& c : value) {
                c = alphabet[rng() % alphabet.size()];
            }
            _values.push_back(std::move(value));
        }
    }
    eddy::poll_status poll(eddy::context& ctx) override {
        if (_made >= _count) {
            return eddy::poll_status::finished;
        }
        const eddy::time_micros now = ctx.processing_time();
        const auto until = std::min(_count, _made + _batch);
        for (; _made < until; ++_made) {
            const auto i = static_cast<std::size_t>(_made % pool);
            ctx.produce(_stream, _keys[i], _values[i], now);
        }
        return eddy::poll_status::produced;
    }

private:
    static constexpr std::size_t pool = 4096;
    static std::uint64_t config_number(eddy::context& ctx, std::string_view name,
                                       std::uint64_t fallback) {
        const auto value = ctx.config(name);
        return value ? std::stoull(std::string(*value)) : fallback;
    }

    std::string _stream;
    std::uint64_t _count = 0;
    std::uint64_t _batch = 0;
    std::uint64_t _made = 0;
    std::vector<std::string> _keys;
    std::vector<std::string> _values;
};

// Records, for every record, processing time now − event time (the generator
// stamps a record's event time with its processing time when it makes it, and
// every executor runs on this machine's clock), and writes what it measured
// to the file named by `report` once its input has ended:
//
//     records 3000000
//     payload_bytes 299660000        key + value bytes
//     first_created_us ...           smallest event time seen
//     first_arrival_us ...           processing time of the first record
//     last_arrival_us ...            processing time of the last record
//     p50_us ... p99_us ... p999_us ... max_us ...
//     written_by end_of_input        or `destructor`
//     window_0 250000/12/1800        per 100 ms of arrivals (ms offset):
//     ...                            records/over 1 ms/max µs
//
// End of input is an event-time timer at max_time: the executor fires it once
// every upstream channel has ended (instance_task::process on the last end of
// stream, or instance_task::finish). The destructor writes the file too if the
// timer never fired, and says so, so that the benchmark can tell.
class latency_sink final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "latency_sink"}; }
    ~latency_sink() override {
        if (!_written && !_report.empty()) {
            write("destructor");
        }
    }
    void init(eddy::context& ctx) override {
        _report = std::string(ctx.config("report").value_or(""));
        ctx.set_timer("", eddy::max_time, eddy::time_domain::event_time, "end_of_input");
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        const eddy::time_micros now = ctx.processing_time();
        if (_records == 0) {
            _first_arrival = now;
        }
        ++_records;
        _payload_bytes += r.key.size() + r.value.size();
        _first_created = std::min(_first_created, r.time);
        _last_arrival = now;
        const auto latency = now - r.time;
        _latency.record(latency);
        // Where in the run the slow records are (start-up, steady, bursts):
        // per 100 ms of arrival time, how many took over 1 ms and the worst.
        const auto window = static_cast<std::size_t>((now - _first_arrival) / window_micros);
        if (window >= _windows.size()) {
            _windows.resize(window + 1);
        }
        auto& w = _windows[window];
        ++w.records;
        w.over_1ms += latency > 1000 ? 1 : 0;
        w.max_us = std::max(w.max_us, latency);
    }
    void process_timer(eddy::context&, const eddy::timer& t) override {
        if (t.tag == "end_of_input" && !_written) {
            write("end_of_input");
        }
    }

private:
    void write(const char* by) {
        _written = true;
        std::FILE* out = std::fopen(_report.c_str(), "w");
        if (out == nullptr) {
            std::perror(_report.c_str());
            return;
        }
        std::fprintf(out,
                     "records %llu\npayload_bytes %llu\nfirst_created_us %lld\n"
                     "first_arrival_us %lld\nlast_arrival_us %lld\np50_us %lld\np99_us %lld\n"
                     "p999_us %lld\nmax_us %lld\nwritten_by %s\n",
                     static_cast<unsigned long long>(_records),
                     static_cast<unsigned long long>(_payload_bytes),
                     static_cast<long long>(_first_created), static_cast<long long>(_first_arrival),
                     static_cast<long long>(_last_arrival),
                     static_cast<long long>(_latency.percentile(0.50)),
                     static_cast<long long>(_latency.percentile(0.99)),
                     static_cast<long long>(_latency.percentile(0.999)),
                     static_cast<long long>(_latency.percentile(1.0)), by);
        for (std::size_t i = 0; i < _windows.size(); ++i) {
            const auto& w = _windows[i];
            std::fprintf(out, "window_%zu %llu/%llu/%lld\n", i * window_micros / 1000,
                         static_cast<unsigned long long>(w.records),
                         static_cast<unsigned long long>(w.over_1ms),
                         static_cast<long long>(w.max_us));
        }
        std::fclose(out);
    }

    struct window_figures {
        std::uint64_t records = 0;
        std::uint64_t over_1ms = 0;
        eddy::time_micros max_us = 0;
    };
    static constexpr eddy::time_micros window_micros = 100'000;

    std::string _report;
    bool _written = false;
    std::uint64_t _records = 0;
    std::uint64_t _payload_bytes = 0;
    eddy::time_micros _first_created = eddy::max_time;
    eddy::time_micros _first_arrival = 0;
    eddy::time_micros _last_arrival = 0;
    eddy::bench::latency_histogram _latency;
    std::vector<window_figures> _windows;
};

}  // namespace

EDDY_EXPORT_COMPUTATION(relay)
EDDY_EXPORT_COMPUTATION(latency_sink)
EDDY_EXPORT_COMPUTATION(premade_source)
