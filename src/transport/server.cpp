#include "server.hpp"

#include "base/assert.hpp"
#include "base/log.hpp"
#include "detail/asio_util.hpp"
#include "detail/session.hpp"

#include <asio/basic_socket_acceptor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <future>

namespace eddy::transport {

using acceptor_type = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

// Everything the io thread's coroutines touch; shared so that they outlive a
// server that is being destroyed while they unwind.
struct server::state {
    state(inbound_handler& h, inbound_options o) : handler(h), options(o) {}
    inbound_handler& handler;
    const inbound_options options;
    server_counters counters;
    std::vector<std::unique_ptr<acceptor_type>> acceptors;  // io thread after start
    std::vector<std::weak_ptr<detail::session>> sessions;   // io thread
    std::vector<std::string> unix_paths;
    bool stopped = false;  // io thread
};

namespace {

asio::awaitable<void> accept_loop(std::shared_ptr<server::state> st, acceptor_type* acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor->async_accept(detail::nothrow);
        if (st->stopped) {
            co_return;
        }
        if (ec) {
            if (ec == asio::error::operation_aborted) {
                co_return;
            }
            eddy::log().warn("accept failed: {}", ec.message());
            continue;
        }
        detail::tune_accepted(socket);
        ++st->counters.connections;
        auto session = std::make_shared<detail::session>(std::move(socket), st->handler,
                                                         st->options, st->counters);
        std::erase_if(st->sessions, [](const auto& weak) { return weak.expired(); });
        st->sessions.push_back(session);
        asio::co_spawn(acceptor->get_executor(), detail::session::run(std::move(session)),
                       asio::detached);
    }
}

std::uint16_t bound_port(acceptor_type& acceptor) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(acceptor.native_handle(), reinterpret_cast<sockaddr*>(&addr), &len);
    if (addr.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
    }
    if (addr.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
    }
    return 0;
}

}  // namespace

server::server(io_loop& loop, inbound_handler& handler, inbound_options options)
    : _loop(loop), _state(std::make_shared<state>(handler, options)) {}

server::~server() {
    stop();
}

const server_counters& server::counters() const {
    return _state->counters;
}

transport_result<endpoint> server::listen(const endpoint& where) {
    auto address = detail::to_generic(where);
    if (!address) {
        return tl::unexpected(address.error());
    }
    if (where.type == endpoint::kind::unix_socket) {
        // A socket file left by a process that died is in the way; anything
        // that is not a socket is someone else's file and stays.
        struct stat info {};
        if (::lstat(where.path.c_str(), &info) == 0) {
            if (!S_ISSOCK(info.st_mode)) {
                return fail(transport_errc::listen_failed,
                            "cannot listen on {}: the path exists and is not a socket",
                            where.to_string());
            }
            ::unlink(where.path.c_str());
        }
    }
    auto acceptor = std::make_unique<acceptor_type>(_loop.context());
    std::error_code ec;
    acceptor->open(address->protocol(), ec);
    if (!ec && where.type == endpoint::kind::tcp) {
        acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor->bind(*address, ec);
    }
    if (!ec) {
        acceptor->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return fail(transport_errc::listen_failed, "cannot listen on {}: {}", where.to_string(),
                    ec.message());
    }
    endpoint bound = where;
    if (where.type == endpoint::kind::tcp) {
        bound.port = bound_port(*acceptor);
    } else {
        ::chmod(where.path.c_str(), 0600);
        _state->unix_paths.push_back(where.path);
    }
    auto* raw = acceptor.get();
    // The acceptor list is touched by the io thread only once stop() posts.
    _state->acceptors.push_back(std::move(acceptor));
    asio::co_spawn(_loop.context(), accept_loop(_state, raw), asio::detached);
    return bound;
}

void server::stop() {
    auto st = _state;
    auto close_all = [st] {
        if (st->stopped) {
            return;
        }
        st->stopped = true;
        for (auto& acceptor : st->acceptors) {
            std::error_code ignored;
            acceptor->close(ignored);
        }
        for (auto& weak : st->sessions) {
            if (auto session = weak.lock()) {
                session->close();
            }
        }
        for (const auto& path : st->unix_paths) {
            ::unlink(path.c_str());
        }
    };
    if (!_loop.running() || _loop.in_loop_thread()) {
        close_all();
        return;
    }
    std::promise<void> done;
    asio::post(_loop.context(), [&done, close_all] {
        close_all();
        done.set_value();
    });
    // The loop may be stopped concurrently; don't wait for ever on it.
    auto future = done.get_future();
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        eddy::log().warn("server stop: io loop did not answer within 5 s");
    }
}

void inbound_channel::grant(std::uint64_t bytes) {
    // Coalesced here, on the granting thread: a sender blocks only once a
    // whole window is outstanding, so returning credit in eighths of a window
    // never leaves it waiting, and the io thread is woken once per eighth
    // instead of once per batch processed.
    if (_ungranted.fetch_add(bytes, std::memory_order_acq_rel) + bytes < _grant_bytes) {
        return;
    }
    const std::uint64_t gathered = _ungranted.exchange(0, std::memory_order_acq_rel);
    if (gathered == 0) {
        return;  // another thread took it
    }
    if (auto session = _session.lock()) {
        asio::post(session->executor(), [session, gathered] { session->grant(gathered); });
    }
}

void inbound_channel::acknowledge(sequence_number committed) {
    if (auto session = _session.lock()) {
        asio::post(session->executor(), [session, committed] { session->acknowledge(committed); });
    }
}

void inbound_channel::close() {
    if (auto session = _session.lock()) {
        asio::post(session->executor(), [session] { session->close(); });
    }
}

}  // namespace eddy::transport
