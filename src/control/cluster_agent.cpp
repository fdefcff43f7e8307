#include "cluster_agent.hpp"

#include "base/files.hpp"
#include "base/lease.hpp"
#include "base/log.hpp"

#include <fmt/format.h>

#include <set>

namespace eddy::control {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// How often the agent looks again without being woken (status changes that
// have no event of their own: an executor that starts serving).
constexpr auto resync_every = 500ms;
constexpr auto drain_grace = std::chrono::seconds(10);
constexpr auto start_wait = std::chrono::seconds(20);

computation_record record_of(const cluster::placed_instance& p) {
    computation_record record;
    record.spec.name = p.computation;
    record.spec.environment = p.environment;
    return record;
}

instance_record instance_of(const cluster::placed_instance& p) {
    return instance_record{p.id, p.index, p.endpoint};
}

}  // namespace

cluster_agent::cluster_agent(metadata_store& store, cluster_agent_options options)
    : _store(store),
      _options(std::move(options)),
      _fleet({.home = _options.home,
              .executor_path = _options.executor_path,
              .admin_host = _options.info.address,
              .token = _options.token,
              .handoff_dir = _options.handoff_dir,
              .changelog_root = _options.changelog_root,
              .lease_file = lease_file(),
              .lease_timeout = lease_timeout(),
              .on_change = [this](const agent::process_status&) { wake(); }}),
      _placements(std::string(cluster::placements_path) + "/" + _options.info.name),
      _statuses(std::string(cluster::status_path) + "/" + _options.info.name) {}

cluster_agent::~cluster_agent() {
    {
        std::lock_guard lock(_mu);
        _stopping = true;
        _heartbeat_stopping = true;
    }
    _changed.notify_all();
    if (_thread.joinable()) {
        _thread.join();
    }
    if (_heartbeat.joinable()) {
        _heartbeat.join();
    }
    if (_watchdog.joinable()) {
        _watchdog.join();
    }
}

void cluster_agent::heartbeat() {
    const auto node = std::string(cluster::agents_path) + "/" + _options.info.name;
    std::unique_lock lock(_mu);
    while (!_heartbeat_stopping) {
        lock.unlock();
        // Timed from before the request: the server heard from us no earlier.
        const auto asked = std::chrono::steady_clock::now();
        const auto answer = _store.get(node);
        const bool answered = answer || answer.error().kind != metadata_errc::unavailable;
        lock.lock();
        if (answered) {
            _last_answer = std::max(_last_answer, asked);
            if (!_fenced) {
                renew();
            }
            if (_fenced && !_renewed) {
                // The same session answers again: what it places here runs.
                _fenced = false;
                _dirty = true;
                _changed.notify_all();
            }
        }
        _changed.wait_for(lock, _options.session_timeout / 8,
                          [this] { return _heartbeat_stopping; });
    }
}

void cluster_agent::renew() {
    try {
        renew_lease(lease_file());
    } catch (const std::exception& e) {
        // Its executors end themselves when the lease lapses: the same as
        // a lost ZooKeeper, which is the safe side.
        eddy::log().error("agent: cannot renew its executors' lease: {}", e.what());
    }
}

void cluster_agent::start() {
    {
        std::lock_guard lock(_mu);
        _last_answer = std::chrono::steady_clock::now();
        std::filesystem::create_directories(lease_file().parent_path());
        renew();
    }
    _heartbeat = std::thread([this] { heartbeat(); });
    _watchdog = std::thread([this] { watchdog(); });
    _placement_watch = _store.watch(_placements, [this](std::string_view, watch_event) { wake(); });
    _thread = std::thread([this] { run(); });
}

void cluster_agent::wake() {
    {
        std::lock_guard lock(_mu);
        _dirty = true;
    }
    _changed.notify_all();
}

void cluster_agent::connection_lost() {
    std::lock_guard lock(_mu);
    if (!_lost_at) {
        _lost_at = std::chrono::steady_clock::now();
    }
    _changed.notify_all();
}

void cluster_agent::connection_restored() {
    {
        std::lock_guard lock(_mu);
        _lost_at.reset();
        _dirty = true;
    }
    _changed.notify_all();
}

void cluster_agent::session_renewed() {
    {
        std::lock_guard lock(_mu);
        _lost_at.reset();
        _registered = false;
        _renewed = true;
        _dirty = true;
    }
    _changed.notify_all();
}

bool cluster_agent::registered() const {
    std::lock_guard lock(_mu);
    return _registered && !_fenced && !_lost_at;
}

void cluster_agent::stop() {
    {
        std::lock_guard lock(_mu);
        _stopping = true;
    }
    _changed.notify_all();
    if (_thread.joinable()) {
        _thread.join();
    }
    if (_watchdog.joinable()) {
        _watchdog.join();
    }
    // The heartbeat goes on renewing the lease (while ZooKeeper answers)
    // until the executors have drained, so that none is fenced mid-drain.
    for (const auto& [id, p] : _running) {
        _fleet.stop(instance_of(p), drain_grace);
    }
    _running.clear();
    {
        std::lock_guard lock(_mu);
        _heartbeat_stopping = true;
    }
    _changed.notify_all();
    if (_heartbeat.joinable()) {
        _heartbeat.join();
    }
    (void)_store.remove(std::string(cluster::agents_path) + "/" + _options.info.name, any_version);
}

bool cluster_agent::register_agent() {
    for (const auto path : {cluster::agents_path, cluster::placements_path, cluster::status_path}) {
        if (auto ok = cluster::ensure_path(_store, path); !ok) {
            eddy::log().warn("agent: cannot reach the metadata store: {}", ok.error().message);
            return false;
        }
    }
    if (auto ok = cluster::ensure_path(_store, _statuses); !ok) {
        return false;
    }
    const auto node = std::string(cluster::agents_path) + "/" + _options.info.name;
    const auto data = cluster::to_json(_options.info).dump();
    auto made = _store.create(node, data, node_kind::ephemeral);
    if (!made && made.error().kind == metadata_errc::node_exists) {
        // Ours from a session that has not expired yet on the server, or a
        // second agent under the same name: wait for it to go.
        eddy::log().warn("agent: {} is registered already; waiting for that session to end", node);
        return false;
    }
    if (!made) {
        eddy::log().warn("agent: cannot register {}: {}", node, made.error().message);
        return false;
    }
    _published.clear();  // the status nodes went with the old session
    eddy::log().info("agent: registered {} at {} (data ports {}-{})", _options.info.name,
                     _options.info.address, _options.info.first_data_port,
                     _options.info.last_data_port);
    return true;
}

void cluster_agent::fence(std::string_view why) {
    // From the process list, not _running (the reconciling thread's, which
    // may be blocked in a store call right now).
    std::size_t killed = 0;
    for (const auto& s : _fleet.processes()) {
        if (s.state != agent::process_state::running &&
            s.state != agent::process_state::backing_off) {
            continue;
        }
        const auto id = static_cast<std::uint32_t>(std::stoul(s.id.substr(s.id.find('-') + 1)));
        _fleet.stop(instance_record{id, 0, ""}, 0ms);
        ++killed;
    }
    if (killed > 0) {
        eddy::log().warn("agent: {}; its {} executors here are killed", why, killed);
    }
}

void cluster_agent::watchdog() {
    std::unique_lock lock(_mu);
    while (!_stopping) {
        _changed.wait_for(lock, _options.session_timeout / 16);
        // The server expires the session a session timeout after it last
        // heard from us, and the coordinator then starts our instances
        // elsewhere: they must be gone before, so half a timeout without an
        // answer (however the client reports the connection) fences them.
        if (_stopping || _fenced ||
            std::chrono::steady_clock::now() - _last_answer <= _options.session_timeout / 2) {
            continue;
        }
        _fenced = true;
        _forget = true;
        lock.unlock();
        fence(
            "ZooKeeper has not answered for half the session timeout; the instances are about to "
            "be placed elsewhere");
        lock.lock();
    }
}

void cluster_agent::write_local_document() {
    auto document = _store.get(cluster::document_path);
    if (!document) {
        return;  // no topology yet: placements will not name anything either
    }
    auto parsed = json::parse(document->data, nullptr, false);
    if (parsed.is_discarded()) {
        eddy::log().error("agent: the executor document in the metadata store is not JSON");
        return;
    }
    // Libraries uploaded with a manifest: fetched here, run from here.
    for (auto& computation : parsed.at("computations")) {
        auto& run = computation["run"];
        if (!run.contains("library")) {
            continue;
        }
        const auto hash = cluster::artifact_hash(run.at("library").get<std::string>());
        if (!hash) {
            continue;
        }
        auto local = cluster::fetch_artifact(_store, *hash, _options.home / "artifacts");
        if (!local) {
            eddy::log().error("agent: {}", local.error());
            continue;
        }
        run["library"] = local->string();
    }
    _fleet.write_document(parsed.dump());
}

bool cluster_agent::fenced() {
    std::lock_guard lock(_mu);
    if (_forget) {
        // The watchdog killed them: they run again only when placed again.
        _forget = false;
        _running.clear();
    }
    return _fenced;
}

void cluster_agent::reconcile() {
    if (fenced()) {
        return;
    }
    auto placed = _store.get(_placements);
    std::vector<cluster::placed_instance> wanted;
    if (placed && !placed->data.empty()) {
        wanted = cluster::placements_from_json(json::parse(placed->data));
    } else if (!placed && placed.error().kind != metadata_errc::no_node) {
        return;  // unreachable: keep what runs
    }
    std::set<std::uint32_t> keep;
    bool document_written = false;
    for (const auto& p : wanted) {
        keep.insert(p.id);
        const auto running = _running.find(p.id);
        if (running != _running.end() && running->second.restart == p.restart) {
            continue;
        }
        if (!document_written) {
            write_local_document();
            document_written = true;
        }
        if (fenced()) {
            return;  // fenced while this pass ran: start nothing
        }
        if (running == _running.end()) {
            eddy::log().info("agent: starting {}[{}] (instance {})", p.computation, p.index, p.id);
            _fleet.ensure_running(record_of(p), instance_of(p), start_wait);
        } else {
            eddy::log().info("agent: restarting {}[{}] (instance {}) on its new spec",
                             p.computation, p.index, p.id);
            _fleet.restart(record_of(p), instance_of(p), start_wait);
        }
        _running[p.id] = p;
    }
    for (auto it = _running.begin(); it != _running.end();) {
        if (keep.contains(it->first)) {
            ++it;
            continue;
        }
        eddy::log().info("agent: stopping instance {} (no longer placed here)", it->first);
        _fleet.stop(instance_of(it->second), drain_grace);
        (void)_store.remove(_statuses + "/" + std::to_string(it->first), any_version);
        _published.erase(it->first);
        it = _running.erase(it);
    }
    // Statuses: one ephemeral node per instance placed here.
    for (const auto& [id, p] : _running) {
        cluster::instance_status status;
        if (auto s = _fleet.status(instance_of(p))) {
            status.process = *s;
        } else {
            status.process = {executor_fleet::process_id(instance_of(p)),
                              agent::process_state::stopped, -1, 0, ""};
        }
        if (status.process.state == agent::process_state::running) {
            status.admin_port = _fleet.admin_port(id).value_or(0);
        }
        status.restart = p.restart;
        const auto text = cluster::to_json(status).dump();
        const auto last = _published.find(id);
        if (last != _published.end() && last->second == text) {
            continue;
        }
        const auto node = _statuses + "/" + std::to_string(id);
        auto written = _store.set(node, text, any_version);
        if (!written && written.error().kind == metadata_errc::no_node) {
            written = _store.create(node, text, node_kind::ephemeral);
        }
        if (written) {
            _published[id] = text;
        }
    }
}

void cluster_agent::run() {
    std::unique_lock lock(_mu);
    while (!_stopping) {
        _changed.wait_for(
            lock, std::min<std::chrono::milliseconds>(resync_every, _options.session_timeout / 8));
        if (_stopping) {
            break;
        }
        if (_lost_at) {
            continue;  // nothing to do until the store answers again
        }
        if (_renewed) {
            // The old session expired, so the coordinator may have placed
            // these instances elsewhere already: none may run on until the
            // new session's placements say so.
            _renewed = false;
            _fenced = true;
            _forget = true;
            lock.unlock();
            fence("the ZooKeeper session expired");
            lock.lock();
        }
        if (!_registered) {
            lock.unlock();
            const bool registered = register_agent();
            lock.lock();
            _registered = registered;
            if (!registered) {
                continue;
            }
            _fenced = false;
        }
        _dirty = false;
        lock.unlock();
        reconcile();
        lock.lock();
    }
}

}  // namespace eddy::control
