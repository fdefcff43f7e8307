#include "wire/errc.hpp"

namespace eddy::wire {

std::string_view to_string(wire_errc errc) {
    switch (errc) {
        case wire_errc::truncated:
            return "truncated";
        case wire_errc::oversized:
            return "oversized";
        case wire_errc::bad_type:
            return "bad_type";
        case wire_errc::bad_varint:
            return "bad_varint";
        case wire_errc::bad_length:
            return "bad_length";
        case wire_errc::bad_flags:
            return "bad_flags";
        case wire_errc::count_mismatch:
            return "count_mismatch";
        case wire_errc::trailing_bytes:
            return "trailing_bytes";
        case wire_errc::version_mismatch:
            return "version_mismatch";
    }
    return "unknown";
}

}  // namespace eddy::wire
