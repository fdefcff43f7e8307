#pragma once

// A computation written in another language, hosted by its executor: the
// batched computation (runtime/batched_computation.hpp) that speaks the
// executor <-> SDK protocol (docs/protocol.md, section 11) to the user
// process and applies what it answers through the task's context, so that
// state, timers, routing and delivery are the executor's exactly as for a C++
// computation.
//
// Per request: every record of a batch (or every due timer of a run) goes
// out in one `process` (`fire_timers`) frame, each key's stored state with
// its first record; one `transaction` comes back and is applied as a unit:
// state writes, then timers, then the produced records, then logs and
// failures. Strictly one request outstanding. Traced input records go out
// with their trace contexts; a produced record that comes back with one is
// produced under it as its trace parent (docs/protocol.md 11.3).
//
// The state a key has is looked up under every state name this computation
// has written (learned from its transactions): the in-memory store cannot
// list a key's names, and a computation uses a small fixed set of them.
//
// Failures of the process (it exits, hangs past the timeout, or breaks the
// protocol) throw std::runtime_error with the reason and the last lines of
// its standard error: the executor exits and its agent restarts it. In attach
// mode the executor instead waits for the program to be started again and
// resends the request.
//
// Lifecycle: constructed at executor start; `init` starts the process (or
// waits for it), handshakes and runs the computation's init; destruction
// asks the process to shut down (shutdown -> goodbye) and kills it if it
// does not within a grace period. Threading: the instance thread only.

#include "runtime/batched_computation.hpp"
#include "runtime/dead_letters.hpp"
#include "user_process.hpp"
#include "wire/byte_buffer.hpp"
#include "wire/sdk_messages.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace eddy::executor {

struct sdk_computation_options {
    std::string name;  // the computation's name in the topology
    std::vector<subscription> inputs;
    std::vector<std::string> outputs;
    std::map<std::string, std::string, std::less<>> config;  // sent to the program's init
    user_process_spec process;
    // How long a transaction may take. Default 30 s.
    std::chrono::milliseconds timeout{30'000};
    // How long the program has to connect and say hello. Default 10 s.
    std::chrono::milliseconds hello_timeout{10'000};
    // How long it has to exit after shutdown. Default 5 s.
    std::chrono::milliseconds shutdown_grace{5'000};
    std::uint32_t max_retries = 2;
};

class sdk_computation final : public runtime::batched_computation {
public:
    explicit sdk_computation(sdk_computation_options options);
    ~sdk_computation() override;

    [[nodiscard]] eddy::metadata metadata() const override;
    void init(context& ctx) override;
    [[nodiscard]] runtime::batch_outcome process_batch(runtime::task_context& ctx,
                                                       const runtime::record_batch& batch) override;
    [[nodiscard]] runtime::batch_outcome process_timers(
        runtime::task_context& ctx, std::span<const runtime::due_timer> due) override;

private:
    // Connects (or reconnects, in attach mode) and runs hello and init.
    void handshake(runtime::task_context& ctx);
    // Sends the request in _request and waits for its transaction in
    // _transaction; in attach mode, survives the program's restart.
    void exchange(runtime::task_context& ctx);
    [[nodiscard]] user_process_result<void> try_exchange();
    [[nodiscard]] user_process_result<void> send(const wire::byte_buffer& frame);
    // Reads one frame into _received; its type and payload are in _frame.
    [[nodiscard]] user_process_result<void> receive(std::chrono::milliseconds deadline);
    // The request's input at an index (for its dead letter), or nullopt.
    using input_at = std::function<std::optional<runtime::failed_input>(std::uint32_t)>;
    [[nodiscard]] runtime::batch_outcome apply(runtime::task_context& ctx, const input_at& inputs);
    void check_metadata(std::string_view json) const;
    // The stored state of the bound key under every known name.
    void lookup_state(runtime::task_context& ctx);
    [[noreturn]] void fail(const error<user_process_errc>& failure) const;

    sdk_computation_options _options;
    std::unique_ptr<user_process> _process;
    std::unique_ptr<user_connection> _connection;
    std::string _config_json;
    std::string _sdk;  // the SDK's name and version, from its hello
    // The protocol version its hello said: version 1 carries no trace contexts.
    std::uint16_t _version = wire::sdk_protocol_version;
    std::uint64_t _next_batch = 1;
    std::uint64_t _current_batch = 0;
    std::string _dead_letters;  // this computation's dead-letter stream
    std::set<std::string, std::less<>> _state_names;
    std::vector<std::string> _state_values;  // scratch for lookup_state
    std::vector<wire::sdk_state_entry> _state;
    wire::byte_buffer _request;
    std::vector<std::byte> _received;
    std::size_t _received_bytes = 0;
    wire::frame_view _frame;
    wire::sdk_transaction _transaction;
};

}  // namespace eddy::executor
