#include "detail/json_fields.hpp"
#include "detail/text_table.hpp"
#include "render.hpp"

#include <set>

namespace eddy::cli {

using detail::list;
using detail::text;

namespace {

// A source feeds others and is fed by none; a sink is the reverse. A node
// with no edge at all is neither, and says so.
std::string role_of(const std::string& name, const std::set<std::string>& feeds,
                    const std::set<std::string>& fed) {
    const bool out = feeds.contains(name);
    const bool in = fed.contains(name);
    if (out && !in) {
        return "source";
    }
    if (in && !out) {
        return "sink";
    }
    return out ? "" : "unconnected";
}

std::string instances_text(const nlohmann::json& node) {
    const auto count = text(node, "instances");
    return count + (count == "1" ? " instance" : " instances");
}

// `raw` escaped for a Graphviz double-quoted string.
std::string dot_escaped(std::string_view raw) {
    std::string out;
    for (const char c : raw) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c == '\n' ? ' ' : c;
    }
    return out;
}

std::string dot_quoted(std::string_view raw) {
    return "\"" + dot_escaped(raw) + "\"";
}

struct edge_ends {
    std::set<std::string> feeds;  // computations with an outgoing edge
    std::set<std::string> fed;    // computations with an incoming edge
};

edge_ends ends_of(const nlohmann::json& graph) {
    edge_ends ends;
    for (const auto& edge : list(graph, "edges")) {
        ends.feeds.insert(text(edge, "from"));
        ends.fed.insert(text(edge, "to"));
    }
    return ends;
}

}  // namespace

std::string render_graph(const nlohmann::json& graph) {
    const auto& nodes = list(graph, "nodes");
    if (nodes.empty()) {
        return "no computations (`eddy deploy FILE` deploys some)\n";
    }
    const auto ends = ends_of(graph);
    detail::text_table node_table({{}, {}, {}, {}});
    for (const auto& node : nodes) {
        const auto name = text(node, "name");
        node_table.add_row({name, instances_text(node), text(node, "status"),
                            role_of(name, ends.feeds, ends.fed)});
    }
    std::string out = node_table.render();
    const auto& edges = list(graph, "edges");
    if (!edges.empty()) {
        out += '\n';
    }
    for (const auto& edge : edges) {
        out += fmt::format("{} --{}[{}]--> {}\n", text(edge, "from"), text(edge, "stream"),
                           text(edge, "grouping"), text(edge, "to"));
    }
    return out;
}

std::string render_graph_dot(const nlohmann::json& graph) {
    const auto ends = ends_of(graph);
    std::string out = "digraph eddy {\n    rankdir=LR;\n    node [shape=box];\n";
    for (const auto& node : list(graph, "nodes")) {
        const auto name = text(node, "name");
        const auto role = role_of(name, ends.feeds, ends.fed);
        // Graphviz reads "\n" inside a quoted label as a line break.
        const auto label =
            fmt::format("\"{}\\n{}, {}\"", dot_escaped(name), dot_escaped(instances_text(node)),
                        dot_escaped(text(node, "status")));
        out += fmt::format("    {} [label={}{}];\n", dot_quoted(name), label,
                           role == "source" ? ", shape=invhouse"
                           : role == "sink" ? ", shape=house"
                                            : "");
    }
    for (const auto& edge : list(graph, "edges")) {
        out += fmt::format("    {} -> {} [label={}];\n", dot_quoted(text(edge, "from")),
                           dot_quoted(text(edge, "to")),
                           dot_quoted(text(edge, "stream") + " [" + text(edge, "grouping") + "]"));
    }
    return out + "}\n";
}

}  // namespace eddy::cli
