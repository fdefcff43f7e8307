#include "trace_store.hpp"

#include <algorithm>

namespace eddy::control {

namespace {

using json = nlohmann::json;

bool is_hex(std::string_view text, std::size_t digits) {
    return text.size() == digits && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

}  // namespace

void sort_spans(std::vector<stored_span>& spans) {
    std::stable_sort(spans.begin(), spans.end(), [](const stored_span& a, const stored_span& b) {
        return a.start_us != b.start_us ? a.start_us < b.start_us : a.end_us < b.end_us;
    });
}

json to_json(const stored_span& s) {
    return json{{"span_id", s.span_id},
                {"parent_span_id", s.parent_span_id},
                {"computation", s.computation},
                {"instance", s.instance},
                {"instance_id", s.instance_id},
                {"host", s.host},
                {"kind", s.kind},
                {"start_us", s.start_us},
                {"end_us", s.end_us},
                {"attributes", json{{"stream", s.stream}, {"key", s.key}}}};
}

void trace_store::add_page(const json& page, std::string_view host,
                           std::chrono::steady_clock::time_point now) {
    if (!page.is_object() || !page.contains("spans") || !page["spans"].is_array()) {
        return;
    }
    std::string computation;
    std::uint32_t instance = 0;
    std::uint32_t instance_id = 0;
    try {
        computation = page.value("computation", "");
        instance = page.value("instance", std::uint32_t{0});
        instance_id = page.value("instance_id", std::uint32_t{0});
    } catch (const json::exception&) {
        std::lock_guard lock(_mu);
        _dropped_spans += page["spans"].size();
        return;
    }
    for (const auto& item : page["spans"]) {
        stored_span s;
        std::string trace_id;
        try {
            trace_id = item.value("trace_id", "");
            s.span_id = item.value("span_id", "");
            s.parent_span_id = item.value("parent_span_id", "");
            s.kind = item.value("kind", "");
            s.start_us = item.value("start_us", std::int64_t{0});
            s.end_us = item.value("end_us", std::int64_t{0});
            s.stream = item.value("stream", "");
            s.key = item.value("key", "");
        } catch (const json::exception&) {
            trace_id.clear();  // a field of the wrong type (or not an object): dropped below
        }
        if (!is_hex(trace_id, 32) || !is_hex(s.span_id, 16) ||
            (!s.parent_span_id.empty() && !is_hex(s.parent_span_id, 16))) {
            std::lock_guard lock(_mu);
            ++_dropped_spans;
            continue;
        }
        s.computation = computation;
        s.instance = instance;
        s.instance_id = instance_id;
        s.host = std::string(host);
        add(trace_id, std::move(s), now);
    }
}

void trace_store::add(std::string_view trace_id, stored_span span,
                      std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(_mu);
    auto found = _traces.find(std::string(trace_id));
    if (found == _traces.end()) {
        while (_traces.size() >= _options.max_traces && !_arrival.empty()) {
            _traces.erase(_arrival.front());
            _arrival.pop_front();
            ++_evicted;
        }
        found = _traces.emplace(std::string(trace_id), stored_trace{std::string(trace_id), {}, now})
                    .first;
        _arrival.emplace_back(trace_id);
    }
    auto& trace = found->second;
    if (trace.spans.size() >= _options.max_spans_per_trace) {
        ++_dropped_spans;
        return;
    }
    trace.spans.push_back(std::move(span));
    trace.updated = now;
}

json trace_store::summary(const stored_trace& trace) {
    std::int64_t start = INT64_MAX;
    std::int64_t end = INT64_MIN;
    const stored_span* root = nullptr;
    const stored_span* earliest = nullptr;
    // Each computation by its first span's start: a trace touches a few.
    std::vector<std::pair<std::int64_t, const std::string*>> computations;
    for (const auto& s : trace.spans) {
        start = std::min(start, s.start_us);
        end = std::max(end, s.end_us);
        if (earliest == nullptr || s.start_us < earliest->start_us) {
            earliest = &s;
        }
        if (s.parent_span_id.empty() && (root == nullptr || s.start_us < root->start_us)) {
            root = &s;
        }
        auto seen = std::find_if(computations.begin(), computations.end(),
                                 [&](const auto& c) { return *c.second == s.computation; });
        if (seen == computations.end()) {
            computations.emplace_back(s.start_us, &s.computation);
        } else {
            seen->first = std::min(seen->first, s.start_us);
        }
    }
    std::stable_sort(computations.begin(), computations.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    json names = json::array();
    for (const auto& c : computations) {
        names.push_back(*c.second);
    }
    // The root's spans may not have arrived (yet): the earliest hop stands in.
    const stored_span* first = root != nullptr ? root : earliest;
    return json{{"trace_id", trace.trace_id},
                {"root", first != nullptr ? first->computation : std::string()},
                {"start_us", trace.spans.empty() ? 0 : start},
                {"duration_us", trace.spans.empty() ? 0 : end - start},
                {"spans", trace.spans.size()},
                {"computations", std::move(names)}};
}

json trace_store::list(std::size_t limit) const {
    struct candidate {
        std::int64_t start;
        const stored_trace* trace;
    };
    json listed = json::array();
    std::lock_guard lock(_mu);
    std::vector<candidate> all;
    all.reserve(_traces.size());
    for (const auto& [id, trace] : _traces) {
        std::int64_t start = INT64_MAX;
        for (const auto& s : trace.spans) {
            start = std::min(start, s.start_us);
        }
        all.push_back({trace.spans.empty() ? 0 : start, &trace});
    }
    // Only the newest `limit` are summarised.
    const auto newest = [](const candidate& a, const candidate& b) {
        return a.start != b.start ? a.start > b.start : a.trace->trace_id < b.trace->trace_id;
    };
    const std::size_t shown = std::min(limit, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(shown), all.end(),
                      newest);
    for (std::size_t i = 0; i < shown; ++i) {
        listed.push_back(summary(*all[i].trace));
    }
    return json{{"traces", std::move(listed)}};
}

std::optional<json> trace_store::find(std::string_view trace_id) const {
    std::vector<stored_span> spans;
    {
        std::lock_guard lock(_mu);
        const auto found = _traces.find(std::string(trace_id));
        if (found == _traces.end()) {
            return std::nullopt;
        }
        spans = found->second.spans;
    }
    sort_spans(spans);
    json list = json::array();
    for (const auto& s : spans) {
        list.push_back(to_json(s));
    }
    return json{{"trace_id", std::string(trace_id)}, {"spans", std::move(list)}};
}

std::vector<stored_trace> trace_store::take_completed(std::chrono::steady_clock::time_point now,
                                                      std::chrono::milliseconds quiet) {
    std::vector<stored_trace> completed;
    std::lock_guard lock(_mu);
    for (const auto& id : _arrival) {
        auto& trace = _traces.at(id);
        if (!trace.exported && now - trace.updated >= quiet) {
            trace.exported = true;
            completed.push_back(trace);
        }
    }
    return completed;
}

std::size_t trace_store::size() const {
    std::lock_guard lock(_mu);
    return _traces.size();
}

std::uint64_t trace_store::evicted() const {
    std::lock_guard lock(_mu);
    return _evicted;
}

std::uint64_t trace_store::dropped_spans() const {
    std::lock_guard lock(_mu);
    return _dropped_spans;
}

}  // namespace eddy::control
