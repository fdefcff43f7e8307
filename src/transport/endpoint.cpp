#include "endpoint.hpp"

#include <charconv>

namespace eddy::transport {

std::string_view to_string(transport_errc errc) {
    switch (errc) {
        case transport_errc::bad_address:
            return "bad_address";
        case transport_errc::listen_failed:
            return "listen_failed";
        case transport_errc::protocol_error:
            return "protocol_error";
        case transport_errc::refused:
            return "refused";
        case transport_errc::closed:
            return "closed";
        case transport_errc::stopped:
            return "stopped";
    }
    return "unknown";
}

transport_result<endpoint> endpoint::parse(std::string_view text) {
    constexpr std::string_view tcp_prefix = "tcp://";
    constexpr std::string_view unix_prefix = "unix:";
    if (text.starts_with(tcp_prefix)) {
        const auto rest = text.substr(tcp_prefix.size());
        const auto colon = rest.rfind(':');
        if (colon == std::string_view::npos || colon == 0) {
            return fail(transport_errc::bad_address, "endpoint '{}': expected tcp://HOST:PORT",
                        text);
        }
        auto host = rest.substr(0, colon);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
            host = host.substr(1, host.size() - 2);
        }
        const auto port_text = rest.substr(colon + 1);
        unsigned port = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
            return fail(transport_errc::bad_address, "endpoint '{}': port '{}' is not 0-65535",
                        text, port_text);
        }
        return endpoint{kind::tcp, std::string(host), static_cast<std::uint16_t>(port), {}};
    }
    if (text.starts_with(unix_prefix)) {
        const auto path = text.substr(unix_prefix.size());
        // sockaddr_un holds 108 bytes including the terminating zero.
        if (path.empty() || path.size() > 107) {
            return fail(transport_errc::bad_address,
                        "endpoint '{}': a unix socket path must be 1-107 bytes", text);
        }
        return endpoint{kind::unix_socket, {}, 0, std::string(path)};
    }
    return fail(transport_errc::bad_address, "endpoint '{}': expected tcp://HOST:PORT or unix:PATH",
                text);
}

std::string endpoint::to_string() const {
    if (type == kind::unix_socket) {
        return "unix:" + path;
    }
    if (host.find(':') != std::string::npos) {
        return "tcp://[" + host + "]:" + std::to_string(port);
    }
    return "tcp://" + host + ":" + std::to_string(port);
}

}  // namespace eddy::transport
