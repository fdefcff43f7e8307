// `eddy trace ls` and `eddy trace ID`: the traces the coordinator collected
// (docs/api.md, "Traces"), as a table and as the tree of one trace's spans.

#include "api_client.hpp"
#include "commands.hpp"
#include "detail/output.hpp"
#include "render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <map>
#include <set>

namespace eddy::cli {

namespace {

using json = nlohmann::json;

std::string utc_time(std::int64_t micros) {
    const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts);
    return fmt::format("{}.{:03}", text, (micros / 1000) % 1000);
}

std::string millis(std::int64_t micros) {
    return fmt::format("{:.3f} ms", static_cast<double>(micros) / 1000.0);
}

std::string text_of(const json& object, const char* field) {
    if (!object.contains(field) || object[field].is_null()) {
        return "-";
    }
    return object[field].is_string() ? object[field].get<std::string>() : object[field].dump();
}

}  // namespace

std::string render_traces(const json& answer) {
    std::string out = fmt::format("{:<32}  {:<16}  {:<23}  {:>12}  {:>5}  {}\n", "TRACE", "ROOT",
                                  "START (UTC)", "DURATION", "SPANS", "PATH");
    for (const auto& t : answer.value("traces", json::array())) {
        std::string path;
        for (const auto& c : t.value("computations", json::array())) {
            path += (path.empty() ? "" : " > ") + c.get<std::string>();
        }
        out += fmt::format("{:<32}  {:<16}  {:<23}  {:>12}  {:>5}  {}\n", text_of(t, "trace_id"),
                           text_of(t, "root"), utc_time(t.value("start_us", std::int64_t{0})),
                           millis(t.value("duration_us", std::int64_t{0})),
                           t.value("spans", std::int64_t{0}), path);
    }
    return out;
}

std::string render_trace(const json& answer) {
    const auto& spans = answer.at("spans");
    std::int64_t origin = INT64_MAX;
    std::set<std::string> ids;
    for (const auto& s : spans) {
        origin = std::min(origin, s.value("start_us", std::int64_t{0}));
        ids.insert(s.value("span_id", ""));
    }
    // Children by parent, in the answer's order (by start). A span whose
    // parent is not in the trace (empty, or not collected) starts a tree.
    std::map<std::string, std::vector<const json*>> children;
    std::vector<const json*> roots;
    for (const auto& s : spans) {
        const std::string parent = s.value("parent_span_id", "");
        if (parent.empty() || !ids.contains(parent)) {
            roots.push_back(&s);
        } else {
            children[parent].push_back(&s);
        }
    }
    std::string out =
        fmt::format("trace {}: {} spans\n{:>12}  {:>12}  {}\n", text_of(answer, "trace_id"),
                    spans.size(), "START", "DURATION", "SPAN");
    // Depth first, iteratively: a long path must not run the stack out.
    std::vector<std::pair<const json*, std::size_t>> pending;
    for (auto it = roots.rbegin(); it != roots.rend(); ++it) {
        pending.emplace_back(*it, 0);
    }
    while (!pending.empty()) {
        const auto [s, depth] = pending.back();
        pending.pop_back();
        const auto start = s->value("start_us", std::int64_t{0});
        const auto end = s->value("end_us", std::int64_t{0});
        const auto& attributes = s->value("attributes", json::object());
        out += fmt::format("{:>12}  {:>12}  {}{}[{}] {} @{}  stream={} key={}\n",
                           "+" + millis(start - origin), millis(end - start),
                           std::string(depth * 2, ' '), text_of(*s, "computation"),
                           text_of(*s, "instance"), text_of(*s, "kind"), text_of(*s, "host"),
                           text_of(attributes, "stream"), text_of(attributes, "key"));
        if (const auto found = children.find(s->value("span_id", "")); found != children.end()) {
            for (auto it = found->second.rbegin(); it != found->second.rend(); ++it) {
                pending.emplace_back(*it, depth + 1);
            }
        }
    }
    return out;
}

int run_trace_ls(const global_options& global, int limit) {
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto traces = client->get("/api/v1/traces?limit=" + std::to_string(limit));
    if (!traces) {
        return report(traces.error());
    }
    return detail::print_answer(global, *traces, [](const json& document) {
        auto text = render_traces(document);
        text.pop_back();
        return text;
    });
}

int run_trace_show(const global_options& global, const std::string& trace_id) {
    const bool hex =
        trace_id.size() == 32 && std::all_of(trace_id.begin(), trace_id.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        });
    if (!hex) {
        std::cerr << "eddy: '" << trace_id
                  << "' is not a trace id (32 lower-case hex digits; `eddy trace ls` lists them)\n";
        return exit_usage;
    }
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto trace = client->get("/api/v1/traces/" + trace_id);
    if (!trace) {
        return report(trace.error());
    }
    return detail::print_answer(global, *trace, [](const json& document) {
        auto text = render_trace(document);
        text.pop_back();
        return text;
    });
}

}  // namespace eddy::cli
