// A rescale, as one executor takes part in it (docs/operations.md):
//
//   drain   an upstream waits until every instance named has acknowledged
//           what it sent before its routing changed (admin thread);
//   export  the old owner writes the state and timers of the key groups it
//           gives up to one handoff file per new owner, drops them and
//           records what it owns now, in one commit (instance thread);
//   import  the new owner reads those files and records what it owns now,
//           in one commit (instance thread);
//   sizes   before the move, the old owner says how many bytes of state
//           each key group it is asked about holds, so that the coordinator
//           can split the move into rounds (instance thread; changes nothing).
//
// Each step carries the move's assignment version and is idempotent: an
// instance whose store already holds that version answers as done, so a
// coordinator that restarts in the middle of a move can run it again.

#include "base/log.hpp"
#include "executor.hpp"
#include "state/handoff_file.hpp"
#include "state/rocksdb_store.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <thread>

namespace eddy::executor {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// A request the job turns down without having changed anything.
struct handoff_refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr const char* ownership_position = "key-groups";
constexpr auto job_timeout = 60s;

std::vector<key_group_range> ranges_from(const json& list, std::uint32_t max_key_groups) {
    std::vector<key_group_range> ranges;
    if (!list.is_array()) {
        throw handoff_refused("key group ranges must be a list of [first, last]");
    }
    for (const auto& r : list) {
        if (!r.is_array() || r.size() != 2 || !r[0].is_number_unsigned() ||
            !r[1].is_number_unsigned() || r[0].get<std::uint64_t>() >= r[1].get<std::uint64_t>() ||
            r[1].get<std::uint64_t>() > max_key_groups) {
            throw handoff_refused(
                fmt::format("'{}' is not a key group range [first, last] within {} groups",
                            r.dump(), max_key_groups));
        }
        ranges.push_back(
            {key_group(r[0].get<std::uint32_t>()), key_group(r[1].get<std::uint32_t>())});
    }
    return ranges;
}

json ranges_to_json(const std::vector<bool>& owned) {
    json out = json::array();
    for (std::uint32_t g = 0; g < owned.size();) {
        if (!owned[g]) {
            ++g;
            continue;
        }
        std::uint32_t end = g;
        while (end < owned.size() && owned[end]) {
            ++end;
        }
        out.push_back({g, end});
        g = end;
    }
    return out;
}

std::vector<bool> bitmap_of(const std::vector<key_group_range>& ranges, std::uint32_t groups) {
    std::vector<bool> owned(groups, false);
    for (const auto& r : ranges) {
        for (auto g = r.first.value(); g < r.last.value(); ++g) {
            owned[g] = true;
        }
    }
    return owned;
}

// The answer to handoff/sizes: the bytes of state of every key group of the
// request's `ranges` that holds any, as [group, bytes] pairs. The RocksDB
// store estimates what its files hold (rocksdb_store::approximate_sizes); the
// in-memory one is counted exactly (keys, names and values).
json group_sizes(const json& request, state::state_store& store, state::rocksdb_store* durable,
                 std::uint32_t max_key_groups) {
    const auto ranges = ranges_from(request.value("ranges", json::array()), max_key_groups);
    std::map<std::uint32_t, std::uint64_t> bytes;
    for (const auto& range : ranges) {
        if (durable != nullptr) {
            auto sizes = durable->approximate_sizes(range);
            if (!sizes) {
                throw handoff_refused(sizes.error().message);
            }
            for (std::uint32_t i = 0; i < sizes->size(); ++i) {
                if ((*sizes)[i] > 0) {
                    bytes[range.first.value() + i] += (*sizes)[i];
                }
            }
            continue;
        }
        const auto scanned = store.scan(range, [&](const state::state_entry& e) {
            bytes[e.group.value()] += e.key.size() + e.name.size() + e.value.size();
        });
        if (!scanned) {
            throw handoff_refused(scanned.error().message);
        }
    }
    json groups = json::array();
    std::uint64_t total = 0;
    for (const auto& [group, size] : bytes) {
        groups.push_back({group, size});
        total += size;
    }
    return json{{"groups", groups},
                {"bytes", total},
                {"estimate", durable != nullptr ? "files estimated, memtables counted" : "exact"}};
}

std::uint64_t version_of(const json& body) {
    const auto version = body.value("version", json(0u));
    if (!version.is_number_unsigned() || version.get<std::uint64_t>() == 0) {
        throw handoff_refused("'version' must be a positive integer");
    }
    return version.get<std::uint64_t>();
}

}  // namespace

void executor::note_routing_versions(const topology_document& topology) {
    for (const auto& entry : topology.computations) {
        _routing_versions[entry.name] = entry.assignment_version;
    }
}

std::set<instance_id> executor::held_instances(const topology_document& topology) {
    std::set<instance_id> held;
    for (const auto& entry : topology.computations) {
        held.insert(entry.hold.begin(), entry.hold.end());
    }
    return held;
}

std::filesystem::path executor::handoff_path(std::uint64_t version, instance_id from,
                                             instance_id to) const {
    return std::filesystem::path(_options.handoff_dir) / _settings->computation /
           std::to_string(version) / fmt::format("{}-{}.handoff", from, to);
}

void executor::load_ownership(const computation_entry& me) {
    const auto groups = _topology.max_key_groups;
    std::vector<bool> owned(groups, true);
    std::uint64_t version = 0;
    if (_durable != nullptr) {
        auto saved = _durable->position(ownership_position);
        if (!saved) {
            throw std::runtime_error("key group ownership could not be read: " +
                                     saved.error().message);
        }
        if (*saved) {
            const auto doc = json::parse(**saved, nullptr, false);
            if (doc.is_discarded() || !doc.contains("version") || !doc.contains("ranges")) {
                throw std::runtime_error("key group ownership in the store is malformed: " +
                                         **saved);
            }
            version = doc["version"].get<std::uint64_t>();
            owned = bitmap_of(ranges_from(doc["ranges"], groups), groups);
        }
    }
    if (me.assignment_version < version) {
        throw std::runtime_error(fmt::format(
            "the topology's key assignment of '{}' (version {}) is older than the one this "
            "instance's state holds (version {}): refusing to run on a stale topology",
            me.name, me.assignment_version, version));
    }
    publish_ownership(std::move(owned), version);
}

void executor::migrate_state(const computation_entry& me) {
    if (_durable == nullptr) {
        return;  // at_most_once state does not outlive the process
    }
    constexpr const char* version_position = "state-version";
    auto saved = _durable->position(version_position);
    if (!saved) {
        throw std::runtime_error("the state version could not be read: " + saved.error().message);
    }
    const std::uint32_t stored = *saved ? static_cast<std::uint32_t>(std::stoul(**saved)) : 1;
    if (stored > me.state_version) {
        throw std::runtime_error(fmt::format(
            "'{}': the state was written under state_version {}, newer than this build's {}: "
            "refusing to read it (deploy a build with state_version {} or more)",
            me.name, stored, me.state_version, stored));
    }
    if (stored == me.state_version) {
        if (!*saved) {
            (void)_durable->put_position(version_position, std::to_string(stored));
        }
        return;
    }
    struct change {
        key_group group;
        std::string key;
        std::string name;
        std::optional<std::string> value;
    };
    std::vector<change> changes;
    const auto scanned = _durable->scan(
        {key_group(0), key_group(_topology.max_key_groups)}, [&](const state::state_entry& e) {
            auto migrated = _user->migrate_state(stored, e.key, e.name, e.value);
            if (!migrated || *migrated != e.value) {
                changes.push_back(
                    {e.group, std::string(e.key), std::string(e.name), std::move(migrated)});
            }
        });
    if (!scanned) {
        throw std::runtime_error("state could not be read for migration: " +
                                 scanned.error().message);
    }
    for (const auto& c : changes) {
        const auto written = c.value ? _durable->put(c.group, c.key, c.name, *c.value)
                                     : _durable->erase(c.group, c.key, c.name);
        if (!written) {
            throw std::runtime_error("migrated state could not be written: " +
                                     written.error().message);
        }
    }
    if (auto put = _durable->put_position(version_position, std::to_string(me.state_version));
        !put) {
        throw std::runtime_error("the state version could not be written: " + put.error().message);
    }
    if (auto committed = _durable->commit(); !committed) {
        throw std::runtime_error("migrated state could not be committed: " +
                                 committed.error().message);
    }
    eddy::log().info("{}[{}]: state migrated from state_version {} to {} ({} values changed)",
                     me.name, _options.index, stored, me.state_version, changes.size());
}

void executor::publish_ownership(std::vector<bool> owned, std::uint64_t version) {
    const computation_entry& me = _topology.computations[_position];
    auto ownership = std::make_shared<key_group_ownership>();
    for (const auto& input : me.inputs) {
        if (input.by == grouping::key) {
            ownership->keyed_streams.insert(input.stream);
        }
    }
    ownership->max_key_groups = _topology.max_key_groups;
    ownership->owned = std::move(owned);
    ownership->version = version;
    _ownership = ownership;
    _owned_version.store(version, std::memory_order_release);
    _router->set_ownership(ownership);
}

void executor::persist_ownership(const std::vector<bool>& owned, std::uint64_t version) {
    if (_durable == nullptr) {
        return;
    }
    const auto text = json{{"version", version}, {"ranges", ranges_to_json(owned)}}.dump();
    if (auto put = _durable->put_position(ownership_position, text); !put) {
        throw std::runtime_error("key group ownership could not be written: " +
                                 put.error().message);
    }
}

executor_result<void> executor::run_on_instance(std::function<void()> run,
                                                std::chrono::milliseconds timeout) {
    auto queued = std::make_shared<job>();
    queued->run = std::move(run);
    std::unique_lock lock(_pending_mu);
    _jobs.push_back(queued);
    _has_pending.store(true, std::memory_order_release);
    _queue.wake();
    if (!_applied_changed.wait_for(lock, timeout, [&] { return queued->done || _finished; })) {
        return fail(executor_errc::bad_topology,
                    "the instance did not get to the request within {} ms (busy or blocked on "
                    "credit); it still runs it when it can",
                    timeout.count());
    }
    if (!queued->done) {
        return fail(executor_errc::not_in_topology, "the instance has finished");
    }
    if (!queued->refused.empty()) {
        return fail(executor_errc::bad_topology, "{}", queued->refused);
    }
    return {};
}

void executor::run_jobs() {
    for (;;) {
        std::shared_ptr<job> next;
        {
            std::lock_guard lock(_pending_mu);
            if (_jobs.empty()) {
                return;
            }
            next = _jobs.front();
            _jobs.pop_front();
        }
        std::exception_ptr fatal;
        std::string refused;
        try {
            next->run();
        } catch (const handoff_refused& e) {
            refused = e.what();
        } catch (const nlohmann::json::exception& e) {
            refused = std::string("malformed request: ") + e.what();  // read before any change
        } catch (...) {
            fatal = std::current_exception();
        }
        {
            std::lock_guard lock(_pending_mu);
            next->done = true;
            next->refused =
                fatal ? "the instance failed during the request; it restarts" : std::move(refused);
            _applied_changed.notify_all();
        }
        if (fatal) {
            std::rethrow_exception(fatal);
        }
    }
}

executor_result<std::string> executor::handoff(std::string_view action, std::string_view body) {
    const auto request = json::parse(body, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
        return fail(executor_errc::bad_topology, "handoff/{}: the body is not a JSON object",
                    action);
    }
    if (action == "drain") {
        std::set<instance_id> peers;
        for (const auto& id : request.value("instances", json::array())) {
            if (!id.is_number_unsigned()) {
                return fail(executor_errc::bad_topology, "handoff/drain: bad instance id {}",
                            id.dump());
            }
            peers.insert(instance_id(id.get<std::uint32_t>()));
        }
        const auto computation = request.value("computation", std::string());
        const auto version = request.value("version", std::uint64_t{0});
        {
            std::lock_guard lock(_pending_mu);
            const auto found = _routing_versions.find(computation);
            if (found == _routing_versions.end() || found->second < version) {
                // What it sent by the old routing is not all sent yet.
                return json{{"drained", false}, {"routing", "stale"}}.dump() + "\n";
            }
        }
        const auto timeout = std::chrono::milliseconds(request.value("timeout_ms", 10'000));
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        bool drained = _transport->drained(peers);
        while (!drained && std::chrono::steady_clock::now() < deadline && !_finished) {
            std::this_thread::sleep_for(2ms);
            drained = _transport->drained(peers);
        }
        return json{{"drained", drained || _finished.load()}}.dump() + "\n";
    }
    if (_options.handoff_dir.empty()) {
        return fail(executor_errc::bad_topology,
                    "handoff/{}: this executor was started without --handoff-dir", action);
    }
    if (action != "export" && action != "import" && action != "sizes") {
        return fail(executor_errc::bad_topology, "handoff/{}: no such step", action);
    }
    std::string answer;
    auto ran = run_on_instance(
        [&] {
            if (action == "sizes") {
                answer = group_sizes(request, _task->store(), _durable, _topology.max_key_groups)
                             .dump() +
                         "\n";
            } else {
                answer = action == "export" ? export_groups(body) : import_groups(body);
            }
        },
        job_timeout);
    if (!ran) {
        return fail(executor_errc::bad_topology, "handoff/{}: {}", action, ran.error().message);
    }
    return answer;
}

std::string executor::export_groups(std::string_view body) {
    const auto request = json::parse(body);
    const auto version = version_of(request);
    const auto groups = _topology.max_key_groups;
    const auto keep = ranges_from(request.value("keep", json::array()), groups);
    struct outgoing {
        instance_id to;
        std::vector<key_group_range> ranges;
    };
    std::vector<outgoing> moves;
    for (const auto& m : request.value("moves", json::array())) {
        if (!m.contains("to") || !m["to"].is_number_unsigned()) {
            throw handoff_refused("every move needs 'to', an instance id");
        }
        moves.push_back({instance_id(m["to"].get<std::uint32_t>()),
                         ranges_from(m.value("ranges", json::array()), groups)});
    }
    json files = json::array();
    if (_ownership->version >= version) {
        for (const auto& m : moves) {
            files.push_back({{"to", m.to.value()}, {"already", true}});
        }
        return json{{"version", version}, {"files", files}}.dump() + "\n";
    }
    // Everything processed so far is committed before the groups are read.
    if (_durable != nullptr) {
        _task->commit();
        release_synced(true);
    }
    std::vector<key_group_range> leaving;
    for (const auto& m : moves) {
        std::uint64_t entries = 0;
        std::uint64_t bytes = 0;
        try {
            state::handoff_writer out(handoff_path(version, _self, m.to));
            _task->visit_groups(
                m.ranges,
                [&](const state::state_entry& e) { out.state(e.group, e.key, e.name, e.value); },
                [&](const state::stored_timer& t) { out.timer(t); });
            out.finish();
            entries = out.entries();
            bytes = out.bytes();
        } catch (const std::runtime_error& e) {
            throw handoff_refused(e.what());  // nothing was dropped yet
        }
        leaving.insert(leaving.end(), m.ranges.begin(), m.ranges.end());
        files.push_back({{"to", m.to.value()}, {"entries", entries}, {"bytes", bytes}});
    }
    // From here a failure ends the instance: its restart reopens the last
    // commit, which still holds the groups, and the export runs again.
    auto owned = bitmap_of(keep, groups);
    _task->drop_groups(leaving);
    persist_ownership(owned, version);
    if (_durable != nullptr) {
        _task->commit();
        release_synced(true);
    }
    publish_ownership(std::move(owned), version);
    eddy::log().info("{}[{}]: exported {} key group ranges (assignment version {})",
                     _settings->computation, _options.index, leaving.size(), version);
    return json{{"version", version}, {"files", files}}.dump() + "\n";
}

std::string executor::import_groups(std::string_view body) {
    const auto request = json::parse(body);
    const auto version = version_of(request);
    const auto groups = _topology.max_key_groups;
    const auto own = ranges_from(request.value("own", json::array()), groups);
    std::vector<instance_id> senders;
    for (const auto& from : request.value("from", json::array())) {
        if (!from.is_number_unsigned()) {
            throw handoff_refused("'from' must list instance ids");
        }
        senders.push_back(instance_id(from.get<std::uint32_t>()));
    }
    if (_ownership->version >= version) {
        return json{{"version", version}, {"already", true}}.dump() + "\n";
    }
    // Every file is read once and checked whole before any of it is applied
    // (a round of a move carries at most its byte budget: they fit in memory).
    std::vector<state::handoff_contents> files;
    for (const auto from : senders) {
        try {
            files.push_back(state::handoff_contents::load(handoff_path(version, from, _self)));
        } catch (const std::runtime_error& e) {
            throw handoff_refused(e.what());
        }
    }
    std::uint64_t entries = 0;
    for (const auto& file : files) {
        file.visit([&](const state::state_entry& e) { _task->import_state(e); },
                   [&](const state::stored_timer& t) { _task->import_timer(t); });
        entries += file.entries();
    }
    auto owned = bitmap_of(own, groups);
    persist_ownership(owned, version);
    if (_durable != nullptr) {
        _task->commit();
        release_synced(true);
    }
    publish_ownership(std::move(owned), version);
    eddy::log().info("{}[{}]: imported {} entries from {} instances (assignment version {})",
                     _settings->computation, _options.index, entries, senders.size(), version);
    return json{{"version", version}, {"entries", entries}}.dump() + "\n";
}

}  // namespace eddy::executor
