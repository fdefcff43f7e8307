// The internal thread of the supervisor: it sleeps in poll() on the eventfd
// and one pidfd per running process, with a timeout at the next restart or
// SIGKILL due; it reaps, decides (finished, stopped, crash: backing_off or
// failed), restarts, kills after grace, and delivers the changes to
// on_change with the lock released. No busy polling: it wakes only for an
// exit, a due timer or a caller's wake().

#include "agent/detail/posix_process.hpp"
#include "agent/detail/supervisor_impl.hpp"
#include "base/files.hpp"
#include "base/log.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace eddy::agent {
namespace {
// Lines of a crashed process's log kept with its last error.
constexpr std::size_t crash_log_lines = 12;
}  // namespace

void supervisor::impl::run() {
    lock_type lock(_mu);
    std::vector<pollfd> fds;
    std::vector<std::string> ids;  // ids[i] owns fds[i + 1]
    while (true) {
        fire_due_timers(lock, steady::now());
        if (_quitting) {
            deliver_changes(lock);
            return;
        }
        fds.assign(1, pollfd{.fd = _wake_fd, .events = POLLIN, .revents = 0});
        ids.clear();
        for (const auto& [id, e] : _entries) {
            if (e.pidfd >= 0) {
                fds.push_back(pollfd{.fd = e.pidfd, .events = POLLIN, .revents = 0});
                ids.push_back(id);
            }
        }
        const int timeout = poll_timeout(lock);
        deliver_changes(lock);
        // Only this thread closes pidfds, so the ones polled stay valid.
        lock.unlock();
        const int ready = ::poll(fds.data(), fds.size(), timeout);
        lock.lock();
        if (ready < 0 && errno != EINTR) {
            eddy::log().error("agent: poll: {}", std::strerror(errno));
        }
        if (ready <= 0) {
            continue;
        }
        std::uint64_t count = 0;
        while (::read(_wake_fd, &count, sizeof count) > 0) {
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (fds[i + 1].revents == 0) {
                continue;
            }
            auto it = _entries.find(ids[i]);
            // Same fd number: the same process, since only we close them.
            if (it != _entries.end() && it->second.pidfd == fds[i + 1].fd) {
                on_process_end(lock, it->second);
            }
        }
    }
}

void supervisor::impl::deliver_changes(lock_type& lock) {
    check_held(lock);
    while (!_changes.empty()) {
        auto changes = std::move(_changes);
        _changes.clear();
        lock.unlock();
        if (_on_change) {
            for (const auto& status : changes) {
                _on_change(status);
            }
        }
        lock.lock();
    }
}

int supervisor::impl::poll_timeout(const lock_type& lock) const {
    check_held(lock);
    std::optional<steady::time_point> next;
    for (const auto& [id, e] : _entries) {
        for (const auto& due : {e.restart_at, e.kill_at}) {
            if (due && (!next || *due < *next)) {
                next = due;
            }
        }
    }
    if (!next) {
        return -1;
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - steady::now());
    return static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 60'000));
}

void supervisor::impl::fire_due_timers(const lock_type& lock, steady::time_point now) {
    check_held(lock);
    for (auto& [id, e] : _entries) {
        if (e.kill_at && *e.kill_at <= now && e.pidfd >= 0) {
            e.kill_at.reset();  // once; the exit is noticed through the pidfd
            eddy::log().warn("agent: {} did not stop within its grace; SIGKILL", id);
            kill_group(lock, e);
        }
        if (e.restart_at && *e.restart_at <= now) {
            e.restart_at.reset();
            restart(lock, e, now);
        }
    }
}

void supervisor::impl::restart(const lock_type& lock, entry& e, steady::time_point now) {
    check_held(lock);
    try {
        const auto spawned = detail::spawn_process(e.spec);
        ++e.status.restarts;
        run_process(lock, e, spawned.pid, spawned.pidfd, detail::process_group::own);
    } catch (const std::runtime_error& error) {
        // The program vanished or the log cannot be opened: a crash too,
        // so a lasting problem ends in `failed`.
        on_crash(lock, e, error.what(), now, steady::duration::zero());
    }
}

void supervisor::impl::on_process_end(const lock_type& lock, entry& e) {
    check_held(lock);
    const auto now = steady::now();
    const bool child = detail::is_unreaped_child(e.pidfd);
    if (child && e.group == detail::process_group::own) {
        // While the leader is unreaped its pid, and so the group id, is
        // not recycled: this reaches only what it left behind.
        ::kill(-e.status.pid, SIGKILL);
    }
    const auto info = child ? detail::reap(e.pidfd) : std::nullopt;
    ::close(e.pidfd);
    e.pidfd = -1;
    e.kill_at.reset();
    e.status.pid = -1;
    detail::remove_pid_file(e.spec.pid_path);
    const std::string how = info ? detail::describe_exit(*info) : "adopted process exited";
    // An adopted process's status went elsewhere; its own word stands in.
    std::error_code ignored;
    const bool said_finished = !info && !e.spec.finished_path.empty() &&
                               std::filesystem::exists(e.spec.finished_path, ignored);
    if (e.stop_requested) {
        e.stop_requested = false;
        eddy::log().info("agent: {} stopped ({})", e.spec.id, how);
        transition(lock, e, process_state::stopped);
    } else if ((info && detail::exited_cleanly(*info)) || said_finished) {
        eddy::log().info("agent: {} finished", e.spec.id);
        transition(lock, e, process_state::finished);
    } else {
        on_crash(lock, e, how, now, now - e.started_at);
    }
    _ended.notify_all();
}

void supervisor::impl::on_crash(const lock_type& lock, entry& e, const std::string& how,
                                steady::time_point now, steady::duration ran_for) {
    check_held(lock);
    // What the process said last usually says why (an executor names its
    // user process's failure and that program's last lines of stderr).
    const auto said = eddy::tail_lines(e.spec.log_path, crash_log_lines);
    e.status.last_error = said.empty() ? how : how + "; last lines of its log:\n" + said;
    const auto wait = e.policy.on_crash(now, ran_for);
    if (!wait) {
        eddy::log().error("agent: {}: {}; {} crashes within {} ms: failed", e.spec.id, how,
                          e.policy.recent_crashes(), _options.crash_window.count());
        transition(lock, e, process_state::failed);
        return;
    }
    eddy::log().warn("agent: {}: {}; restarting in {} ms", e.spec.id, how, wait->count());
    e.restart_at = now + *wait;
    transition(lock, e, process_state::backing_off);
}

void supervisor::impl::kill_group(const lock_type& lock, const entry& e) {
    check_held(lock);
    // The group id is safe to use while the leader has not ended (or is
    // our unreaped child); otherwise only the pidfd is.
    if (e.group == detail::process_group::own &&
        (!detail::has_ended(e.pidfd) || detail::is_unreaped_child(e.pidfd))) {
        ::kill(-e.status.pid, SIGKILL);
    }
    detail::signal_process(e.pidfd, SIGKILL);
}

}  // namespace eddy::agent
