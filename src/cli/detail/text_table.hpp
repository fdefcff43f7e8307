#pragma once

// A plain-text table for the CLI's renderers: columns padded to their widest
// cell and separated by two spaces, numbers right-aligned, no trailing blanks.

#include <algorithm>
#include <string>
#include <vector>

namespace eddy::cli::detail {

enum class align { left, right };

struct column {
    std::string header;  // empty in every column: the table has no header line
    align alignment = align::left;
};

class text_table {
public:
    explicit text_table(std::vector<column> columns) : _columns(std::move(columns)) {}

    void add_row(std::vector<std::string> cells) {
        cells.resize(_columns.size());
        _rows.push_back(std::move(cells));
    }

    [[nodiscard]] std::string render() const {
        std::vector<std::size_t> widths(_columns.size());
        const bool has_header = std::any_of(_columns.begin(), _columns.end(),
                                            [](const column& c) { return !c.header.empty(); });
        for (std::size_t i = 0; i < _columns.size(); ++i) {
            widths[i] = has_header ? _columns[i].header.size() : 0;
            for (const auto& row : _rows) {
                widths[i] = std::max(widths[i], row[i].size());
            }
        }
        std::string out;
        if (has_header) {
            std::vector<std::string> headers;
            for (const auto& c : _columns) {
                headers.push_back(c.header);
            }
            append_line(out, headers, widths);
        }
        for (const auto& row : _rows) {
            append_line(out, row, widths);
        }
        return out;
    }

private:
    void append_line(std::string& out, const std::vector<std::string>& cells,
                     const std::vector<std::size_t>& widths) const {
        std::string line;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i > 0) {
                line += "  ";
            }
            const std::string padding(widths[i] - cells[i].size(), ' ');
            line += _columns[i].alignment == align::right ? padding + cells[i] : cells[i] + padding;
        }
        line.erase(line.find_last_not_of(' ') + 1);
        out += line;
        out += '\n';
    }

    std::vector<column> _columns;
    std::vector<std::vector<std::string>> _rows;
};

}  // namespace eddy::cli::detail
