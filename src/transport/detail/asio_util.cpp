#include "asio_util.hpp"

#include <arpa/inet.h>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace eddy::transport::detail {

transport_result<generic_endpoint> to_generic(const endpoint& where) {
    if (where.type == endpoint::kind::unix_socket) {
        return generic_endpoint(asio::local::stream_protocol::endpoint(where.path));
    }
    std::error_code ec;
    const auto address = asio::ip::make_address(where.host, ec);
    if (!ec) {
        return generic_endpoint(asio::ip::tcp::endpoint(address, where.port));
    }
    asio::io_context resolver_context;
    asio::ip::tcp::resolver resolver(resolver_context);
    const auto results = resolver.resolve(where.host, std::to_string(where.port), ec);
    if (ec || results.empty()) {
        return fail(transport_errc::bad_address, "cannot resolve '{}': {}", where.host,
                    ec ? ec.message() : "no address");
    }
    return generic_endpoint(results.begin()->endpoint());
}

namespace {
void set_nodelay(socket_type& socket) {
    const int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
}  // namespace

void tune(socket_type& socket, const endpoint& where) {
    if (where.type == endpoint::kind::tcp) {
        set_nodelay(socket);
    }
}

void tune_accepted(socket_type& socket) {
    const int family = socket.local_endpoint().protocol().family();
    if (family == AF_INET || family == AF_INET6) {
        set_nodelay(socket);
    }
}

std::string describe_peer(const socket_type& socket) {
    std::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) {
        return "?";
    }
    const auto* addr = remote.data();
    char text[INET6_ADDRSTRLEN] = {};
    if (addr->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
        ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (addr->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    return "unix";
}

}  // namespace eddy::transport::detail
