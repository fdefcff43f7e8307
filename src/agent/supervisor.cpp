#include "agent/supervisor.hpp"

#include "agent/detail/posix_process.hpp"
#include "agent/detail/supervisor_impl.hpp"
#include "base/assert.hpp"
#include "base/log.hpp"

#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

// The callers' side of the supervisor: the public calls and the helpers both
// sides share. The internal thread's side is in supervisor_loop.cpp.

namespace eddy::agent {

namespace {

void validate(const process_spec& spec) {
    if (spec.id.empty()) {
        throw std::invalid_argument("supervisor: a process needs an id");
    }
    if (spec.args.empty() || spec.args[0].empty()) {
        throw std::invalid_argument(fmt::format("supervisor: {}: no program to run", spec.id));
    }
}

}  // namespace

supervisor::impl::impl(supervisor_options options, change_callback on_change)
    : _options(options), _on_change(std::move(on_change)) {
    _wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (_wake_fd < 0) {
        throw std::runtime_error(fmt::format("supervisor: eventfd: {}", std::strerror(errno)));
    }
    _thread = std::thread([this] { run(); });
}

supervisor::impl::~impl() {
    {
        std::lock_guard guard(_mu);
        _quitting = true;
    }
    wake();
    _thread.join();
    for (auto& [id, e] : _entries) {
        if (e.pidfd >= 0) {
            ::close(e.pidfd);  // the process runs on; a later supervisor adopts it
        }
    }
    ::close(_wake_fd);
}

void supervisor::impl::start(process_spec spec) {
    validate(spec);
    lock_type lock(_mu);
    if (_entries.contains(spec.id)) {
        throw std::invalid_argument(fmt::format("supervisor: duplicate id {}", spec.id));
    }
    // Spawning under the lock keeps the id reserved; posix_spawn returns
    // as soon as the exec is done.
    const auto spawned = detail::spawn_process(spec);
    auto& e = insert(lock, std::move(spec));
    run_process(lock, e, spawned.pid, spawned.pidfd, detail::process_group::own);
    wake();
}

bool supervisor::impl::adopt(process_spec spec, pid_t pid) {
    validate(spec);
    lock_type lock(_mu);
    if (_entries.contains(spec.id)) {
        throw std::invalid_argument(fmt::format("supervisor: duplicate id {}", spec.id));
    }
    const int pidfd = pid > 0 ? detail::open_pidfd(pid) : -1;
    if (pidfd < 0) {
        return false;
    }
    if (detail::has_ended(pidfd)) {
        (void)detail::reap(pidfd);  // a zombie child of ours: leave nothing behind
        ::close(pidfd);
        return false;
    }
    const auto group =
        ::getpgid(pid) == pid ? detail::process_group::own : detail::process_group::shared;
    auto& e = insert(lock, std::move(spec));
    run_process(lock, e, pid, pidfd, group);
    eddy::log().info("agent: adopted {} (pid {})", e.spec.id, pid);
    wake();
    return true;
}

void supervisor::impl::stop(const std::string& id, std::chrono::milliseconds grace) {
    EDDY_ASSERT(std::this_thread::get_id() != _thread.get_id(),
                "supervisor::stop called from on_change");
    lock_type lock(_mu);
    auto it = _entries.find(id);
    if (it == _entries.end()) {
        return;
    }
    entry& e = it->second;
    if (e.status.state == process_state::backing_off) {
        e.restart_at.reset();
        transition(lock, e, process_state::stopped);
        wake();
        return;
    }
    if (e.pidfd < 0) {
        return;  // already finished, failed or stopped
    }
    const auto deadline = steady::now() + grace;
    if (!e.stop_requested) {
        e.stop_requested = true;
        e.kill_at = deadline;
        // SIGTERM to the leader only: an executor drains and then ends
        // the processes it started itself.
        detail::signal_process(e.pidfd, SIGTERM);
    } else {
        e.kill_at = std::min(*e.kill_at, deadline);
    }
    wake();
    _ended.wait(lock, [&] {
        auto found = _entries.find(id);
        return found == _entries.end() || found->second.pidfd < 0;
    });
}

void supervisor::impl::replace(process_spec spec, std::chrono::milliseconds grace) {
    EDDY_ASSERT(std::this_thread::get_id() != _thread.get_id(),
                "supervisor::replace called from on_change");
    validate(spec);
    lock_type lock(_mu);
    while (true) {
        auto it = _entries.find(spec.id);
        if (it == _entries.end()) {
            lock.unlock();
            start(std::move(spec));
            return;
        }
        if (it->second.pidfd < 0 && it->second.status.state != process_state::backing_off) {
            break;
        }
        // Another caller may start it again between our stop and our
        // lock; stop until it stays down.
        lock.unlock();
        stop(spec.id, grace);
        lock.lock();
    }
    entry& e = _entries.find(spec.id)->second;
    const auto spawned = detail::spawn_process(spec);
    e.spec = std::move(spec);
    e.policy.reset();
    e.status.restarts = 0;
    e.status.last_error.clear();
    run_process(lock, e, spawned.pid, spawned.pidfd, detail::process_group::own);
    wake();
}

void supervisor::impl::forget(const std::string& id) {
    std::lock_guard guard(_mu);
    auto it = _entries.find(id);
    if (it != _entries.end() && it->second.pidfd < 0 &&
        it->second.status.state != process_state::backing_off) {
        _entries.erase(it);
    }
}

std::vector<process_status> supervisor::impl::list() const {
    std::lock_guard guard(_mu);
    std::vector<process_status> out;
    out.reserve(_entries.size());
    const auto now = steady::now();
    for (const auto& [id, e] : _entries) {
        out.push_back(reported(e, now));
    }
    return out;
}

std::optional<process_status> supervisor::impl::status(const std::string& id) const {
    std::lock_guard guard(_mu);
    const auto it = _entries.find(id);
    if (it == _entries.end()) {
        return std::nullopt;
    }
    return reported(it->second, steady::now());
}

process_status supervisor::impl::reported(const entry& e, steady::time_point now) {
    process_status out = e.status;
    if (e.status.state == process_state::running && !e.spec.log_path.empty()) {
        e.errors.scan(e.spec.log_path, now);
        if (auto logged = e.errors.current(now); !logged.empty()) {
            out.last_error = "running, logging errors: " + logged;
        }
    }
    return out;
}

detail::entry& supervisor::impl::insert(const lock_type& lock, process_spec spec) {
    check_held(lock);
    const std::string id = spec.id;
    auto [it, inserted] = _entries.emplace(
        id,
        entry{.spec = std::move(spec), .status = {}, .policy = detail::restart_policy(_options)});
    EDDY_ASSERT(inserted);
    it->second.status.id = id;
    return it->second;
}

void supervisor::impl::run_process(const lock_type& lock, entry& e, pid_t pid, int pidfd,
                                   detail::process_group group) {
    check_held(lock);
    e.pidfd = pidfd;
    e.group = group;
    e.status.pid = pid;
    e.started_at = steady::now();
    e.errors.restart(e.spec.log_path);
    if (!e.spec.pid_path.empty()) {
        (void)detail::write_pid_file(e.spec.pid_path, pid);
    }
    eddy::log().info("agent: {} running (pid {})", e.spec.id, pid);
    transition(lock, e, process_state::running);
}

void supervisor::impl::transition(const lock_type& lock, entry& e, process_state state) {
    check_held(lock);
    e.status.state = state;
    _changes.push_back(e.status);
}

void supervisor::impl::check_held(const lock_type& lock) const {
    EDDY_ASSERT(lock.owns_lock() && lock.mutex() == &_mu, "REQUIRES: _mu held");
}

void supervisor::impl::wake() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(_wake_fd, &one, sizeof one);
}

supervisor::supervisor(supervisor_options options, change_callback on_change) {
    if (options.backoff_min.count() < 0 || options.backoff_max < options.backoff_min ||
        options.crash_window.count() <= 0) {
        throw std::invalid_argument(
            "supervisor: need 0 <= backoff_min <= backoff_max and a positive crash_window");
    }
    _impl = std::make_unique<impl>(options, std::move(on_change));
}

supervisor::~supervisor() = default;

void supervisor::start(process_spec spec) {
    _impl->start(std::move(spec));
}

bool supervisor::adopt(process_spec spec, pid_t pid) {
    return _impl->adopt(std::move(spec), pid);
}

void supervisor::stop(const std::string& id, std::chrono::milliseconds grace) {
    _impl->stop(id, grace);
}

void supervisor::replace(process_spec spec, std::chrono::milliseconds grace) {
    _impl->replace(std::move(spec), grace);
}

void supervisor::forget(const std::string& id) {
    _impl->forget(id);
}

std::vector<process_status> supervisor::list() const {
    return _impl->list();
}

std::optional<process_status> supervisor::status(const std::string& id) const {
    return _impl->status(id);
}

std::string_view to_string(process_state state) {
    switch (state) {
        case process_state::running:
            return "running";
        case process_state::backing_off:
            return "backing_off";
        case process_state::failed:
            return "failed";
        case process_state::finished:
            return "finished";
        case process_state::stopped:
            return "stopped";
    }
    return "unknown";
}

}  // namespace eddy::agent
