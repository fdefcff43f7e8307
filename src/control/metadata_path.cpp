#include "control/metadata_path.hpp"

#include <algorithm>

namespace eddy::control::store_detail {

metadata_result<void> check_path(std::string_view path) {
    if (path.empty() || path.front() != '/') {
        return fail(metadata_errc::bad_path, "path '{}' is not absolute", path);
    }
    if (path == "/") {
        return {};
    }
    if (path.back() == '/') {
        return fail(metadata_errc::bad_path, "path '{}' ends with '/'", path);
    }
    for (const auto c : path) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return fail(metadata_errc::bad_path, "path '{}' holds a control character", path);
        }
    }
    std::size_t start = 1;
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        const auto segment = path.substr(start, end - start);
        if (segment.empty() || segment == "." || segment == "..") {
            return fail(metadata_errc::bad_path, "path '{}' has an empty, '.' or '..' segment",
                        path);
        }
        start = end + 1;
    }
    return {};
}

}  // namespace eddy::control::store_detail
