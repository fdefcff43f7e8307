#pragma once

// Where an executor listens and where a channel connects: TCP (host and
// port) or a Unix domain socket path, written `tcp://127.0.0.1:7001` or
// `unix:/run/eddy/counter-0.sock`. Same-host peers use Unix sockets: no TCP
// stack, fewer copies.

#include "errc.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace eddy::transport {

struct endpoint {
    enum class kind { tcp, unix_socket };
    kind type = kind::tcp;
    std::string host;        // tcp: a numeric address or a name
    std::uint16_t port = 0;  // tcp: 0 when listening means "any free port"
    std::string path;        // unix_socket

    [[nodiscard]] static transport_result<endpoint> parse(std::string_view text);
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const endpoint&, const endpoint&) = default;
};

}  // namespace eddy::transport
