#pragma once

// The ways a channel can fail, as values. A connection that fails is closed
// and (on the sending side) reconnected with backoff; none of these ends the
// process.

#include "base/error.hpp"

#include <string_view>

namespace eddy::transport {

enum class transport_errc {
    bad_address,     // an endpoint string that is neither tcp://HOST:PORT nor unix:PATH
    listen_failed,   // bind or listen refused (address in use, permissions)
    protocol_error,  // the peer sent a malformed or unexpected frame
    refused,         // the receiver declined the channel (wrong receiver or epoch)
    closed,          // the connection closed
    stopped,         // the transport is shutting down
};

template <class T>
using transport_result = eddy::result<T, transport_errc>;
using transport_error = eddy::error<transport_errc>;

[[nodiscard]] std::string_view to_string(transport_errc errc);

}  // namespace eddy::transport
