#pragma once

// Shared asio plumbing of the transport: one socket type for TCP and Unix
// sockets (asio's generic stream protocol), endpoint conversion, and the
// completion token that reports errors as values instead of exceptions.

#include "transport/endpoint.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/use_awaitable.hpp>

namespace eddy::transport::detail {

using socket_type = asio::generic::stream_protocol::socket;
using generic_endpoint = asio::generic::stream_protocol::endpoint;

// co_await op(..., nothrow) yields (error_code, results...): no exceptions on
// the data path.
inline constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// Resolves `where` to a socket address (TCP names through the resolver).
[[nodiscard]] transport_result<generic_endpoint> to_generic(const endpoint& where);

// Low-latency options for a connected socket (TCP_NODELAY on TCP).
void tune(socket_type& socket, const endpoint& where);
void tune_accepted(socket_type& socket);

// "127.0.0.1:5432" or "unix:/path" for logs; "?" when unknown.
[[nodiscard]] std::string describe_peer(const socket_type& socket);

}  // namespace eddy::transport::detail
