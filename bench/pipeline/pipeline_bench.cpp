// The in-process pipeline generator → map → key-grouped count, against a
// plain single-threaded loop doing the same per-record work (generate the
// record, map it, count it in a hash map) with no runtime. Prints one line:
// pipeline records/s, CPU cores it used, records/s per core, the baseline's
// records/s, and the ratio (per-core pipeline rate ÷ baseline rate).

#include <eddy/computation.hpp>
#include <eddy/embedded.hpp>

#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <unordered_map>

namespace {

constexpr std::uint64_t distinct_keys = 4'000;
constexpr std::size_t value_size = 90;
constexpr double phase_seconds = 3.0;

// The per-record work both sides share. ---------------------------------

// Fills `key` ("key-<n>") and `value` (90 bytes) for record i.
void make_record(std::uint64_t i, std::string& key, std::string& value) {
    char digits[24];
    const std::uint64_t k = (i * 2'654'435'761ull) % distinct_keys;
    const auto key_end = std::to_chars(digits, digits + sizeof digits, k).ptr;
    key.assign("key-");
    key.append(digits, key_end);
    value.assign(value_size, 'v');
    const auto value_end = std::to_chars(digits, digits + sizeof digits, i).ptr;
    value.replace(0, static_cast<std::size_t>(value_end - digits), digits,
                  static_cast<std::size_t>(value_end - digits));
}

// The map step: keeps the first 64 bytes of the value.
std::string_view map_value(std::string_view value) {
    return value.substr(0, 64);
}

// The count step, on a decimal string as the state store keeps it.
std::string next_count(const std::optional<std::string>& current) {
    return std::to_string((current ? std::stoll(*current) : 0) + 1);
}

// The pipeline. ----------------------------------------------------------

class generator final : public eddy::source {
public:
    explicit generator(std::uint64_t total) : _total(total) {}
    eddy::metadata metadata() const override { return {.name = "generator", .outputs = {"raw"}}; }
    eddy::poll_status poll(eddy::context& ctx) override {
        for (int n = 0; n < 256; ++n) {
            if (_next == _total) {
                return eddy::poll_status::finished;
            }
            make_record(_next, _key, _value);
            ctx.produce("raw", _key, _value, static_cast<eddy::time_micros>(_next));
            ++_next;
        }
        return eddy::poll_status::produced;
    }

private:
    std::uint64_t _total;
    std::uint64_t _next = 0;
    std::string _key, _value;
};

class mapper final : public eddy::computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "map", .inputs = {{"raw", eddy::grouping::shuffle}}, .outputs = {"mapped"}};
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        ctx.produce("mapped", r.key, map_value(r.value));
    }
};

class counter final : public eddy::computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "count", .inputs = {{"mapped", eddy::grouping::key}}};
    }
    void process_record(eddy::context& ctx, const eddy::record&) override {
        ctx.put("count", next_count(ctx.get("count")));
    }
};

// Measurement. -----------------------------------------------------------

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](timeval t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct measured {
    std::uint64_t records = 0;
    double wall = 0;
    double cpu = 0;
};

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

measured run_baseline() {
    std::unordered_map<std::string, std::string, string_hash, std::equal_to<>> counts;
    std::string key, value;
    std::uint64_t sink = 0;
    const double cpu0 = cpu_seconds(), wall0 = now_seconds();
    std::uint64_t i = 0;
    while (now_seconds() - wall0 < phase_seconds) {
        for (int n = 0; n < 4096; ++n, ++i) {
            make_record(i, key, value);
            const std::string_view mapped = map_value(value);
            sink += mapped.size();
            auto found = counts.find(std::string_view(key));
            if (found == counts.end()) {
                counts.emplace(key, next_count(std::nullopt));
            } else {
                found->second = next_count(found->second);
            }
        }
    }
    measured m{i, now_seconds() - wall0, cpu_seconds() - cpu0};
    if (sink == 0 || counts.size() != distinct_keys) {
        std::fprintf(stderr, "baseline did not run\n");
    }
    return m;
}

measured run_pipeline(std::uint64_t total) {
    // Larger batches than the default 512: fewer thread wake-ups per record
    // when each stage waits for the one before it.
    eddy::embedded_topology topology({.batch_records = 4096, .queue_batches = 16});
    topology.add([total] { return std::make_unique<generator>(total); });
    topology.add<mapper>();
    topology.add<counter>();
    const double cpu0 = cpu_seconds(), wall0 = now_seconds();
    topology.start();
    topology.wait();
    measured m{topology.stats("count").records_in, now_seconds() - wall0, cpu_seconds() - cpu0};
    if (m.records != total) {
        std::fprintf(stderr, "pipeline lost records: %llu of %llu\n",
                     static_cast<unsigned long long>(m.records),
                     static_cast<unsigned long long>(total));
    }
    return m;
}

}  // namespace

int main() {
    const measured base = run_baseline();
    // Per CPU second, like the pipeline: on a shared machine the baseline's
    // wall time includes time it was descheduled, which would flatter the ratio.
    const double base_rate = double(base.records) / base.cpu;
    const auto total = static_cast<std::uint64_t>(base_rate * phase_seconds / 2);
    const measured pipe = run_pipeline(total);
    const double pipe_rate = double(pipe.records) / pipe.wall;
    const double cores = pipe.cpu / pipe.wall;
    const double per_core = pipe_rate / cores;
    std::printf(
        "pipeline_bench: generator->map->key count, %zu-byte records, %llu keys: pipeline "
        "%.0f records/s on %.2f cores = %.0f records/s/core; baseline (1 thread, no runtime) "
        "%.0f records/s; ratio %.2f (target >= 0.5)\n",
        value_size + 8, static_cast<unsigned long long>(distinct_keys), pipe_rate, cores, per_core,
        base_rate, per_core / base_rate);
    return 0;
}
