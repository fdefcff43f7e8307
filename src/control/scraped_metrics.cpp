#include "scraped_metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

namespace eddy::control {

namespace {

// One sample line: `name{labels} value [timestamp]` or `name value`.
struct sample_line {
    std::string_view name;
    std::string_view labels;  // inside the braces; empty without
    double value = 0;
};

std::optional<double> parse_number(std::string_view text) {
    if (text == "+Inf" || text == "Inf") {
        return std::numeric_limits<double>::infinity();
    }
    if (text == "-Inf") {
        return -std::numeric_limits<double>::infinity();
    }
    if (text == "NaN") {
        return std::numeric_limits<double>::quiet_NaN();
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::optional<sample_line> parse_line(std::string_view line) {
    if (line.empty() || line.front() == '#') {
        return std::nullopt;
    }
    sample_line out;
    std::size_t rest = 0;
    const auto brace = line.find('{');
    const auto space = line.find(' ');
    if (brace != std::string_view::npos && (space == std::string_view::npos || brace < space)) {
        // Label values may hold '}' only escaped inside quotes; find the
        // closing brace outside quotes.
        bool quoted = false;
        std::size_t close = std::string_view::npos;
        for (std::size_t i = brace + 1; i < line.size(); ++i) {
            if (line[i] == '\\' && quoted) {
                ++i;
            } else if (line[i] == '"') {
                quoted = !quoted;
            } else if (line[i] == '}' && !quoted) {
                close = i;
                break;
            }
        }
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        out.name = line.substr(0, brace);
        out.labels = line.substr(brace + 1, close - brace - 1);
        rest = close + 1;
    } else {
        if (space == std::string_view::npos) {
            return std::nullopt;
        }
        out.name = line.substr(0, space);
        rest = space;
    }
    auto tail = line.substr(rest);
    while (!tail.empty() && tail.front() == ' ') {
        tail.remove_prefix(1);
    }
    const auto value_end = tail.find(' ');
    const auto value = parse_number(tail.substr(0, value_end));
    if (!value) {
        return std::nullopt;
    }
    out.value = *value;
    return out;
}

// The value of label `name` in a label list, or nullopt.
std::optional<std::string_view> label_value(std::string_view labels, std::string_view name) {
    std::size_t at = 0;
    while (at < labels.size()) {
        const auto eq = labels.find('=', at);
        if (eq == std::string_view::npos || eq + 1 >= labels.size() || labels[eq + 1] != '"') {
            return std::nullopt;
        }
        std::size_t end = eq + 2;
        while (end < labels.size() && labels[end] != '"') {
            end += labels[end] == '\\' ? 2 : 1;
        }
        if (labels.substr(at, eq - at) == name) {
            return labels.substr(eq + 2, end - eq - 2);
        }
        at = end + 1;
        if (at < labels.size() && labels[at] == ',') {
            ++at;
        }
    }
    return std::nullopt;
}

std::string escape_label(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

scraped_metrics parse_scrape(std::string page) {
    scraped_metrics out;
    std::map<double, double> processing;  // le → cumulative, summed over samples
    std::istringstream lines(page);
    std::string line;
    while (std::getline(lines, line)) {
        const auto sample = parse_line(line);
        if (!sample) {
            continue;
        }
        const auto& name = sample->name;
        const double v = sample->value;
        if (name == "eddy_records_in_total") {
            out.records_in += v;
        } else if (name == "eddy_records_out_total") {
            out.records_out += v;
        } else if (name == "eddy_records_dropped_total") {
            out.records_dropped += v;
        } else if (name == "eddy_queue_depth_batches") {
            out.queue_depth += v;
        } else if (name == "eddy_blocked_on_credit_seconds_total") {
            out.blocked_seconds += v;
        } else if (name == "eddy_bytes_in_total") {
            out.bytes_in += v;
        } else if (name == "eddy_bytes_out_total") {
            out.bytes_out += v;
        } else if (name == "eddy_busy_seconds_total") {
            out.busy_seconds += v;
        } else if (name == "eddy_idle_seconds_total") {
            out.idle_seconds += v;
        } else if (name == "eddy_backpressured_seconds_total") {
            out.backpressured_seconds += v;
        } else if (name == "eddy_dead_letters_total") {
            out.dead_letters += v;
        } else if (name == "eddy_watermark_lag_seconds") {
            out.watermark_lag_seconds = std::max(out.watermark_lag_seconds.value_or(v), v);
        } else if (name == "eddy_processing_latency_seconds_bucket") {
            if (const auto le = label_value(sample->labels, "le")) {
                if (const auto bound = parse_number(*le)) {
                    processing[*bound] += v;
                }
            }
        }
    }
    out.processing.assign(processing.begin(), processing.end());
    out.page = std::move(page);
    return out;
}

std::optional<double> histogram_quantile(double q, const cumulative_buckets& buckets) {
    if (buckets.empty() || !(buckets.back().second > 0)) {
        return std::nullopt;
    }
    q = std::clamp(q, 0.0, 1.0);
    const double rank = q * buckets.back().second;
    double lower = 0;
    double below = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        const auto [upper, count] = buckets[i];
        if (count >= rank && count > below) {
            if (std::isinf(upper)) {
                return lower;  // the highest finite bound: nothing better is known
            }
            return lower + (upper - lower) * (rank - below) / (count - below);
        }
        lower = upper;
        below = count;
    }
    return lower;
}

cumulative_buckets bucket_delta(const cumulative_buckets& now, const cumulative_buckets& before) {
    if (before.size() != now.size()) {
        return now;
    }
    cumulative_buckets out;
    out.reserve(now.size());
    for (std::size_t i = 0; i < now.size(); ++i) {
        if (now[i].first != before[i].first || now[i].second < before[i].second) {
            return now;
        }
        out.emplace_back(now[i].first, now[i].second - before[i].second);
    }
    return out;
}

void add_buckets(cumulative_buckets& into, const cumulative_buckets& more) {
    if (into.empty()) {
        into = more;
        return;
    }
    if (into.size() != more.size()) {
        return;
    }
    for (std::size_t i = 0; i < into.size(); ++i) {
        if (into[i].first == more[i].first) {
            into[i].second += more[i].second;
        }
    }
}

void instance_window::update(scraped_metrics next, std::chrono::steady_clock::time_point at) {
    if (_scraped) {
        const double elapsed = std::chrono::duration<double>(at - _at).count();
        if (elapsed > 0 && next.records_in >= _last.records_in &&
            next.records_out >= _last.records_out) {
            // Smoothed (exponential moving average) for the record and byte
            // rates; the fractions and latencies are the last window's own.
            constexpr double weight = 0.3;
            const auto smooth = [&](double& rate, double now, double before) {
                rate = weight * ((now - before) / elapsed) + (1 - weight) * rate;
            };
            smooth(records_in_per_second, next.records_in, _last.records_in);
            smooth(records_out_per_second, next.records_out, _last.records_out);
            smooth(bytes_in_per_second, next.bytes_in, _last.bytes_in);
            smooth(bytes_out_per_second, next.bytes_out, _last.bytes_out);
            const auto fraction = [&](double now, double before) {
                return std::clamp((now - before) / elapsed, 0.0, 1.0);
            };
            busy = fraction(next.busy_seconds, _last.busy_seconds);
            idle = fraction(next.idle_seconds, _last.idle_seconds);
            backpressured = fraction(next.backpressured_seconds, _last.backpressured_seconds);
            processing_window = bucket_delta(next.processing, _last.processing);
        } else {
            // The executor restarted: its counters began again.
            processing_window.clear();
        }
    }
    _last = std::move(next);
    _at = at;
    _scraped = true;
}

void instance_window::quiet() {
    records_in_per_second = records_out_per_second = 0;
    bytes_in_per_second = bytes_out_per_second = 0;
    busy = idle = backpressured = 0;
    processing_window.clear();
    _last.watermark_lag_seconds.reset();
}

std::string merge_pages(const std::vector<labelled_page>& pages) {
    struct family {
        std::string help;  // the whole `# HELP` line
        std::string type;  // the whole `# TYPE` line
        std::string samples;
    };
    std::vector<std::string> order;
    std::map<std::string, family, std::less<>> families;
    for (const auto& page : pages) {
        const std::string host = "host=\"" + escape_label(page.host) + "\"";
        std::string_view text = page.text;
        family* current = nullptr;
        while (!text.empty()) {
            const auto end = text.find('\n');
            const auto line = text.substr(0, end);
            text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
            if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
                auto name = line.substr(7);
                name = name.substr(0, name.find(' '));
                auto found = families.find(name);
                if (found == families.end()) {
                    order.emplace_back(name);
                    found = families.emplace(std::string(name), family{}).first;
                }
                current = &found->second;
                auto& slot = line[2] == 'H' ? current->help : current->type;
                if (slot.empty()) {
                    slot = std::string(line);
                }
                continue;
            }
            if (line.empty() || line.front() == '#' || current == nullptr) {
                continue;
            }
            const auto brace = line.find('{');
            const auto space = line.find(' ');
            if (brace != std::string_view::npos &&
                (space == std::string_view::npos || brace < space)) {
                current->samples += line.substr(0, brace + 1);
                current->samples += host;
                if (line[brace + 1] != '}') {
                    current->samples += ',';
                }
                current->samples += line.substr(brace + 1);
            } else if (space != std::string_view::npos) {
                current->samples += line.substr(0, space);
                current->samples += '{' + host + '}';
                current->samples += line.substr(space);
            } else {
                continue;
            }
            current->samples += '\n';
        }
    }
    std::string out;
    for (const auto& name : order) {
        const auto& f = families.find(name)->second;
        for (const auto* part : {&f.help, &f.type}) {
            if (!part->empty()) {
                out += *part;
                out += '\n';
            }
        }
        out += f.samples;
    }
    return out;
}

}  // namespace eddy::control
