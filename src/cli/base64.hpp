#pragma once

// Base64 (RFC 4648, section 4: the standard alphabet, with `=` padding): how
// `eddy deploy` carries shared libraries inside the JSON body of a request.

#include <string>
#include <string_view>

namespace eddy::cli {

[[nodiscard]] std::string base64_encode(std::string_view bytes);

}  // namespace eddy::cli
