#pragma once

// One executor process hosts one instance of one computation: it finds
// itself in the topology document, makes the computation (a built-in by name
// or a class from a shared library), listens for its upstream instances,
// connects to its downstream instances, and runs the instance on its own
// thread (the caller of run()) until its input ends or it is told to stop.
//
//     executor ex(options);
//     ex.start();              // throws std::runtime_error with a clear message
//     int code = ex.run();     // blocks; another thread may call ex.stop()
//
// Threads: the instance thread (run), one io thread (every socket), the
// admin server's threads, and whoever calls stop() (the signal thread).
// docs/architecture.md draws them.

#include "admin_server.hpp"
#include "inbound_router.hpp"
#include "metrics.hpp"
#include "network_transport.hpp"
#include "runtime/batch_pool.hpp"
#include "runtime/computation_loader.hpp"
#include "runtime/inbound_queue.hpp"
#include "runtime/instance_counters.hpp"
#include "runtime/instance_runner.hpp"
#include "runtime/instance_task.hpp"
#include "runtime/routing_table.hpp"
#include "runtime/topology_plan.hpp"
#include "runtime/tracing.hpp"
#include "topology_file.hpp"
#include "transport/io_loop.hpp"
#include "transport/server.hpp"
#include <eddy/clock.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace eddy::executor {

struct executor_options {
    std::string topology_path;  // the topology document (JSON)
    std::string computation;    // which computation this executor runs
    std::uint32_t index = 0;    // which of its instances
    std::string admin_host = "127.0.0.1";
    int admin_port = 0;           // 0: any free port
    std::string admin_port_file;  // written with the admin port once it listens; may be empty
    std::string admin_token;      // required by every admin request; must not be empty
    // Where the instance keeps its durable state (at_least_once and
    // exactly_once; RocksDB). Required in those modes; unused in at_most_once.
    std::string state_dir;
    // Cluster mode: this instance's changelog root on shared storage (e.g.
    // <shared>/state/<instance id>), to which every commit is also appended
    // and from which a host without the local state restores it
    // (state::rocksdb_options::changelog_dir). Empty: none.
    std::string changelog_dir;
    // Records per outgoing batch. Default 512.
    std::size_t batch_records = 512;
    // Credit granted to each upstream channel, in bytes. Default 4 MiB.
    std::uint64_t credit_window_bytes = 4u << 20;
    // How long a stop may take to drain and say goodbye. Default 10 s.
    std::chrono::milliseconds drain_timeout{10'000};
    // Where a rescale's handoff files go (<dir>/<computation>/<version>/
    // <from id>-<to id>.handoff); the requests name only numbers. Required
    // for handoffs; may be empty otherwise.
    std::string handoff_dir;
    // After a bounded input ended: how long the executor keeps serving its
    // admin interface for a metrics scrape of its final counters (it exits
    // as soon as one is served). Default 0: exits at once.
    std::chrono::milliseconds final_scrape_wait{0};
    // After a bounded input ended and the instance finished: a file written
    // just before the executor exits 0. A supervisor that adopted this
    // process (and so cannot see its exit status) tells a finish from a
    // crash by it. Empty: none.
    std::filesystem::path finished_file;
};

class executor {
public:
    explicit executor(executor_options options);
    ~executor();
    executor(const executor&) = delete;
    executor& operator=(const executor&) = delete;

    void start();
    // Runs the instance; returns the process exit code (0: finished or
    // stopped, 3: the computation's user process failed).
    int run();
    // Asks run() to drain and return. Any thread, async-signal-unsafe.
    void stop();

private:
    void build_task();
    [[nodiscard]] std::unique_ptr<state::state_store> open_store(const computation_entry& me);
    // Whether to process an input batch (false for one whose sequence this
    // instance has already processed: a resend), noting its sequence for the
    // next commit and acknowledgement.
    [[nodiscard]] bool admit(const runtime::record_batch& batch);
    void before_commit();
    void after_commit();
    // Acknowledges upstream what was processed (the durable modes: and
    // committed). An at_most_once instance acknowledges too, after
    // processing, so that a durable sender can forget what it sent.
    void acknowledge_upstream();
    // The durable modes: sends the outputs and acknowledgements of every
    // commit that is on disk (all of them when `wait`, after waiting).
    void release_synced(bool wait = false);
    // Processes `batch` and, in the durable modes, up to a group's worth of
    // batches already queued behind it, then commits them as one (or leaves
    // them for the next commit: should_defer_commit).
    void process_group(std::unique_ptr<runtime::record_batch> batch);
    // Group sync: whether processed work may wait for the next commit
    // because the store is still syncing an earlier one (what it produced
    // could not leave before that sync ends anyway). Bounded in age and size.
    // Whatever commits next (any commit) takes the deferred work with it.
    [[nodiscard]] bool should_defer_commit(std::size_t records) const;
    int run_instance();
    [[nodiscard]] std::unique_ptr<computation> make_sdk_computation(
        const computation_entry& me) const;
    // The instance thread's loops, one per shape; each returns when the input
    // ended (true) or a stop was requested (false).
    [[nodiscard]] bool drive_consumer();
    [[nodiscard]] bool drive_source();
    [[nodiscard]] bool drive_timer_source();
    // Stops accepting input and processes what already arrived.
    void drain_input();
    [[nodiscard]] runtime::inbound_queue::deadline wait_deadline(
        std::chrono::microseconds cap) const;
    // Applies a topology document accepted by the admin server (instance thread).
    void apply_pending_topology();
    // This computation's plan in `topology` (throws std::invalid_argument).
    [[nodiscard]] runtime::topology_plan plan_for(const topology_document& topology,
                                                  std::size_t& position) const {
        return plan_topology_for(topology, _settings->computation,
                                 _shape == runtime::instance_shape::polled_source, position);
    }
    [[nodiscard]] static runtime::topology_plan plan_topology_for(const topology_document& topology,
                                                                  std::string_view computation,
                                                                  bool polled,
                                                                  std::size_t& position);
    [[nodiscard]] std::string render_metrics() const;
    void render_timing(metrics_page& page) const;  // busy/idle, latencies, watermark
    [[nodiscard]] std::string render_health() const;
    // GET /spans: drains the trace spans recorded so far (executor_spans.cpp).
    [[nodiscard]] std::string render_spans();
    [[nodiscard]] executor_result<void> replace_topology(std::string_view body);

    // Rescales (executor_handoff.cpp).
    [[nodiscard]] executor_result<std::string> handoff(std::string_view action,
                                                       std::string_view body);
    // Runs `job` on the instance thread between two units of work and waits
    // for it (at most `timeout`). What the job throws as handoff_refused comes
    // back as the error; anything else it throws ends the instance (the
    // store may hold half of a change: the restart reopens the last commit).
    [[nodiscard]] executor_result<void> run_on_instance(std::function<void()> job,
                                                        std::chrono::milliseconds timeout);
    void run_jobs();  // instance thread
    // Reads the key groups this instance owns from its store (or takes every
    // group), checks the document is not older, and fences the inbound side.
    void load_ownership(const computation_entry& me);
    // An update that raised the manifest's state_version: every stored value
    // goes through the computation's migrate_state once, in one commit.
    void migrate_state(const computation_entry& me);
    void publish_ownership(std::vector<bool> owned, std::uint64_t version);
    // Saves what this instance owns into the pending commit (durable modes).
    void persist_ownership(const std::vector<bool>& owned, std::uint64_t version);
    [[nodiscard]] std::filesystem::path handoff_path(std::uint64_t version, instance_id from,
                                                     instance_id to) const;
    [[nodiscard]] std::string export_groups(std::string_view body);
    [[nodiscard]] std::string import_groups(std::string_view body);
    // The instances whose channels a document holds (a rescale moves state to them).
    [[nodiscard]] static std::set<instance_id> held_instances(const topology_document& topology);

    executor_options _options;
    topology_document _topology;
    runtime::topology_plan _plan;
    std::size_t _position = 0;  // of this computation in the document
    instance_id _self;
    runtime::instance_shape _shape = runtime::instance_shape::consumer;
    eddy::system_clock _clock;
    std::unique_ptr<runtime::routing_table_holder> _routes;
    runtime::computation_loader _loader;
    computation_factory _factory;
    std::unique_ptr<computation> _user;

    transport::io_loop _loop;
    runtime::inbound_queue _queue{1024};
    runtime::batch_pool _pool{1024};  // inbound and outbound batches, recycled
    runtime::instance_counters _counters;
    runtime::span_buffer _spans;  // tracing: every traced hop of this instance
    std::unique_ptr<inbound_router> _router;
    std::unique_ptr<transport::server> _server;
    std::unique_ptr<network_transport> _transport;
    std::map<std::string, std::string, std::less<>> _config;  // this computation's
    std::unique_ptr<runtime::instance_settings> _settings;
    std::unique_ptr<runtime::instance_task> _task;
    // The durable modes: the task's store (owned by the task once built).
    // Every mode: the highest sequence processed per upstream instance, and
    // which of them moved since the last acknowledgement.
    std::unique_ptr<state::state_store> _store;
    state::rocksdb_store* _durable = nullptr;
    std::map<instance_id, std::uint64_t> _processed;
    std::set<instance_id> _marks_moved;
    std::size_t _unacknowledged_batches = 0;  // at_most_once: since the last ack
    // durable: (commit, sender, sequence) acknowledgements waiting for their commit's sync
    struct pending_ack {
        std::uint64_t commit;
        instance_id sender;
        sequence_number sequence;
    };
    std::deque<pending_ack> _unsynced_acks;
    // Group sync: processed work not committed yet (should_defer_commit),
    // since when (monotonic ns; 0: none) and how many input records it holds.
    std::int64_t _deferred_since = 0;
    std::size_t _deferred_records = 0;
    std::unique_ptr<admin_server> _admin;
    mutable wall_time_split _time_split;  // metrics: busy / idle / backpressured
    mutable final_scrape _final_scrape;
    // What this instance owns (instance thread; the router holds a copy).
    std::shared_ptr<const key_group_ownership> _ownership;
    std::atomic<std::uint64_t> _owned_version{0};  // _ownership->version, for the admin thread

    std::atomic<bool> _stop{false};
    std::atomic<bool> _draining{false};
    std::atomic<bool> _finished{false};
    std::mutex _pending_mu;
    std::condition_variable _applied_changed;
    std::optional<topology_document> _pending;  // GUARDED_BY(_pending_mu)
    std::uint64_t _requested = 0;               // GUARDED_BY(_pending_mu): documents accepted
    std::uint64_t _applied = 0;                 // GUARDED_BY(_pending_mu): documents applied
    std::atomic<bool> _has_pending{false};
    struct job {
        std::function<void()> run;
        bool done = false;
        std::string refused;  // why, when the job refused
    };
    std::deque<std::shared_ptr<job>> _jobs;  // GUARDED_BY(_pending_mu)
    // The key assignment version of every computation in the routing in
    // force (a drain answers only once the routing it waits behind applies).
    std::map<std::string, std::uint64_t, std::less<>> _routing_versions;  // GUARDED_BY(_pending_mu)
    void note_routing_versions(const topology_document& topology);        // REQUIRES: _pending_mu
};

}  // namespace eddy::executor
