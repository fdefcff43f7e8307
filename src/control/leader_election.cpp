#include "control/leader_election.hpp"

#include "base/log.hpp"

#include <algorithm>

namespace eddy::control {

leader_election::leader_election(metadata_store& store, leader_election_options options)
    : _store(store), _options(std::move(options)) {
    // Registered before the first attempt, so no change goes unseen.
    _leader_watch =
        _store.watch(_options.leader_path, [this](std::string_view, watch_event) { kick(); });
    _epoch_watch =
        _store.watch(_options.epoch_path, [this](std::string_view, watch_event) { kick(); });
    _session_watch = _store.watch_session([this](session_event event) {
        if (event == session_event::expired) {
            std::lock_guard lock(_mu);
            _expired = true;
        }
        if (event != session_event::disconnected) {
            kick();
        }
    });
    _thread = std::thread([this] { run(); });
}

leader_election::leader_election(metadata_store& store, std::string identity,
                                 std::function<void(std::int64_t epoch)> on_elected,
                                 std::function<void()> on_lost)
    : leader_election(store, leader_election_options{.identity = std::move(identity),
                                                     .on_elected = std::move(on_elected),
                                                     .on_lost = std::move(on_lost)}) {}

leader_election::~leader_election() {
    {
        std::lock_guard lock(_mu);
        _stopping = true;
    }
    _wake.notify_all();
    _thread.join();
    _leader_watch = watch_handle{};
    _epoch_watch = watch_handle{};
    _session_watch = watch_handle{};
    if (!is_leader()) {
        return;
    }
    // Resign, so a standby need not wait for our session to end.
    const auto current = _store.get(_options.leader_path);
    if (current && current->data == _options.identity) {
        if (auto removed = _store.remove_unfenced(_options.leader_path, current->version);
            !removed) {
            eddy::log().warn("leader {} could not resign: {}", _options.identity,
                             removed.error().message);
        }
    }
}

metadata_result<std::string> leader_election::leader() {
    auto current = _store.get(_options.leader_path);
    if (!current) {
        return tl::unexpected(std::move(current.error()));
    }
    return std::move(current->data);
}

bool leader_election::is_leader() const {
    std::lock_guard lock(_mu);
    return _epoch.has_value();
}

std::optional<std::int64_t> leader_election::epoch() const {
    std::lock_guard lock(_mu);
    return _epoch;
}

void leader_election::kick() {
    {
        std::lock_guard lock(_mu);
        _kicked = true;
    }
    _wake.notify_all();
}

void leader_election::run() {
    auto backoff = _options.retry_min;
    std::unique_lock lock(_mu);
    while (!_stopping) {
        const bool expired = _expired;
        _kicked = false;
        _expired = false;
        lock.unlock();
        const auto result = step(expired);
        lock.lock();
        if (result == outcome::retry) {
            _wake.wait_for(lock, backoff, [&] { return _stopping || _kicked; });
            backoff = std::min(backoff * 2, _options.retry_max);
        } else {
            backoff = _options.retry_min;
            _wake.wait(lock, [&] { return _stopping || _kicked; });
        }
    }
}

leader_election::outcome leader_election::step(bool session_expired) {
    if (is_leader()) {
        const auto checked = check_leadership(session_expired);
        if (is_leader() || checked == outcome::retry) {
            return checked;
        }
    }
    return campaign();
}

leader_election::outcome leader_election::check_leadership(bool session_expired) {
    if (session_expired) {
        lose("the store's session expired");
        return outcome::settled;
    }
    const auto current = _store.get(_options.leader_path);
    if (!current) {
        if (current.error().kind != metadata_errc::no_node) {
            return outcome::retry;
        }
        lose(_options.leader_path + " was removed");
        return outcome::settled;
    }
    if (current->data != _options.identity) {
        lose(_options.leader_path + " names " + current->data);
        return outcome::settled;
    }
    const auto epoch_node = _store.get(_options.epoch_path);
    if (!epoch_node && epoch_node.error().kind != metadata_errc::no_node) {
        return outcome::retry;
    }
    if (!epoch_node || epoch_node->version != epoch().value_or(-1)) {
        lose(_options.epoch_path + " moved past our epoch");
    }
    return outcome::settled;
}

leader_election::outcome leader_election::campaign() {
    const auto made =
        _store.create_unfenced(_options.leader_path, _options.identity, node_kind::ephemeral);
    if (!made) {
        if (made.error().kind != metadata_errc::node_exists) {
            eddy::log().debug("candidate {}: {}", _options.identity, made.error().message);
            return outcome::retry;
        }
        const auto current = _store.get(_options.leader_path);
        if (!current) {
            // Removed in between (try again now) or unreachable (later).
            if (current.error().kind == metadata_errc::no_node) {
                kick();
                return outcome::settled;
            }
            return outcome::retry;
        }
        if (current->data != _options.identity) {
            return outcome::settled;  // someone else leads: the watch tells when that ends
        }
        // Ours: a create whose answer was lost.
    }
    const auto epoch = bump_epoch();
    if (!epoch) {
        eddy::log().warn("candidate {} won {} but could not bump {}: {}; giving it up",
                         _options.identity, _options.leader_path, _options.epoch_path,
                         epoch.error().message);
        if (const auto current = _store.get(_options.leader_path);
            current && current->data == _options.identity) {
            (void)_store.remove_unfenced(_options.leader_path, current->version);
        }
        return outcome::retry;
    }
    _store.set_fence(_options.epoch_path, *epoch);
    {
        std::lock_guard lock(_mu);
        _epoch = *epoch;
    }
    eddy::log().info("{} is the leader, epoch {}", _options.identity, *epoch);
    if (_options.on_elected) {
        _options.on_elected(*epoch);
    }
    return outcome::settled;
}

metadata_result<std::int64_t> leader_election::bump_epoch() {
    while (true) {
        const auto current = _store.get(_options.epoch_path);
        if (!current) {
            if (current.error().kind != metadata_errc::no_node) {
                return tl::unexpected(current.error());
            }
            const auto made = _store.create_unfenced(_options.epoch_path, _options.identity,
                                                     node_kind::persistent);
            if (made || made.error().kind != metadata_errc::node_exists) {
                return made;
            }
            continue;  // another candidate created it first
        }
        const auto bumped =
            _store.set_unfenced(_options.epoch_path, _options.identity, current->version);
        if (bumped || bumped.error().kind != metadata_errc::bad_version) {
            return bumped;
        }
    }
}

void leader_election::lose(std::string_view why) {
    {
        std::lock_guard lock(_mu);
        if (!_epoch) {
            return;
        }
        _epoch.reset();
    }
    eddy::log().warn("{} is no longer the leader: {}", _options.identity, why);
    if (_options.on_lost) {
        _options.on_lost();
    }
}

}  // namespace eddy::control
