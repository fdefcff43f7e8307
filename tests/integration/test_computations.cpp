// Computations the integration tests load into executors by class name.

#include <eddy/computation.hpp>

#include <chrono>
#include <fstream>
#include <string>

namespace {

std::int64_t config_integer(eddy::context& ctx, std::string_view name, std::int64_t fallback) {
    const auto value = ctx.config(name);
    return value ? std::stoll(std::string(*value)) : fallback;
}

// A sink that spends `spin_nanos` of CPU on every record: the slow receiver
// the backpressure test needs. Produces nothing. When `count_file` is set it
// writes how many records it saw there when it is destroyed (at the
// executor's exit), so a test can check nothing was lost.
class slow_sink final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "slow_sink"}; }
    ~slow_sink() override {
        if (!_count_file.empty()) {
            std::ofstream(_count_file) << _records << "\n";
        }
    }
    void init(eddy::context& ctx) override {
        _spin = config_integer(ctx, "spin_nanos", 1000);
        _count_file = std::string(ctx.config("count_file").value_or(""));
    }
    void process_record(eddy::context&, const eddy::record&) override {
        ++_records;
        if (_spin == 0) {
            return;
        }
        const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(_spin);
        while (std::chrono::steady_clock::now() < until) {
        }
    }

private:
    std::int64_t _spin = 0;
    std::int64_t _records = 0;
    std::string _count_file;
};

// Sends every record on, unchanged, to the stream configured as `output`.
class passthrough final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "passthrough"}; }
    void init(eddy::context& ctx) override {
        _output = std::string(ctx.config("output").value_or("out"));
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        ctx.produce(_output, r.key, r.value, r.time);
    }

private:
    std::string _output;
};

// Turns each record into a JSON object {"k": key, "v": value, "n": size of
// value} on the stream configured as `output`, except that a key ending in
// 3 gives a value that is not JSON and a key ending in 5 an object without
// "v": inputs for the database sinks' JSON mapping and their dead letters.
// The rule is spelled out again in database_sink_test.cpp.
class json_maker final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "json_maker"}; }
    void init(eddy::context& ctx) override {
        _output = std::string(ctx.config("output").value_or("out"));
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        // Keys and values of the `random` generator need no JSON escaping.
        std::string value;
        if (r.key.ends_with('3')) {
            value = "not json: " + std::string(r.value);
        } else if (r.key.ends_with('5')) {
            value = "{\"k\": \"" + std::string(r.key) + "\"}";
        } else {
            value = "{\"k\": \"" + std::string(r.key) + "\", \"v\": \"" + std::string(r.value) +
                    "\", \"n\": " + std::to_string(r.value.size()) + "}";
        }
        ctx.produce(_output, r.key, value, r.time);
    }

private:
    std::string _output;
};

}  // namespace

// Echoes each record `delay_ms` (config, default 3000) of processing time
// later: a processing-time timer per record, keyed by the record's key with
// its value as the tag, produces (key, value) to "echoed" when it fires. For
// the durable-state test: timers set before a SIGKILL must fire after the
// restart. Records of any other stream than "numbers" are ignored: a test
// subscribes it to a slow endless one too, so that its input never ends.
class delayed_echo final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "delayed_echo"}; }
    void init(eddy::context& ctx) override {
        _delay = std::stoll(std::string(ctx.config("delay_ms").value_or("3000"))) * 1000;
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        if (r.stream == "numbers") {
            ctx.set_timer(r.key, ctx.processing_time() + _delay, eddy::time_domain::processing_time,
                          r.value);
        }
    }
    void process_timer(eddy::context& ctx, const eddy::timer& t) override {
        ctx.produce("echoed", t.key, t.tag);
    }

private:
    std::int64_t _delay = 0;
};

EDDY_EXPORT_COMPUTATION(delayed_echo)
EDDY_EXPORT_COMPUTATION(json_maker)
EDDY_EXPORT_COMPUTATION(slow_sink)
EDDY_EXPORT_COMPUTATION(passthrough)
