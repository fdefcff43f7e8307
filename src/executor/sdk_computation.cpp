#include "sdk_computation.hpp"

#include "base/log.hpp"
#include "runtime/dead_letters.hpp"
#include "runtime/topology_plan.hpp"

#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unordered_set>

namespace eddy::executor {
namespace {

using namespace std::chrono_literals;

std::optional<runtime::failed_input> no_input(std::uint32_t) {
    return std::nullopt;
}

// Records go out in requests of about this many bytes at most, leaving room
// under max_sdk_request_bytes for the state entries looked up on the way.
constexpr std::size_t request_budget_bytes = 12u << 20;

// Bytes a record takes in a request without its state: fields and (at most
// 10-byte) lengths, and its entry in the trace section when it is traced.
std::size_t record_bytes(const record& r, const trace_context* trace) {
    return r.stream.size() + r.key.size() + r.value.size() + 3 * 10 + 8 + 1 +
           (trace != nullptr ? 10 + wire::sdk_trace_context_bytes : 0);
}

std::string describe_metadata(const std::vector<subscription>& inputs,
                              const std::vector<std::string>& outputs) {
    std::string text = "inputs [";
    for (const auto& input : inputs) {
        text += fmt::format("{}{}:{}", &input == inputs.data() ? "" : ", ", input.stream,
                            to_string(input.by));
    }
    text += "], outputs [";
    for (const auto& output : outputs) {
        text += fmt::format("{}{}", &output == outputs.data() ? "" : ", ", output);
    }
    return text + "]";
}

}  // namespace

sdk_computation::sdk_computation(sdk_computation_options options)
    : _options(std::move(options)), _dead_letters(runtime::dead_letter_stream(_options.name)) {
    nlohmann::json config = nlohmann::json::object();
    for (const auto& [name, value] : _options.config) {
        config[name] = value;
    }
    _config_json = config.dump();
    _process = std::make_unique<user_process>(_options.process);
    if (_options.process.attach) {
        eddy::log().info("{}: attach mode: start the program by hand with EDDY_SOCKET={}",
                         _options.name, _process->socket_path().string());
    }
}

sdk_computation::~sdk_computation() {
    if (_connection) {
        _request.clear();
        wire::encode_sdk_shutdown(_request);
        if (send(_request)) {
            // Its goodbye, or its exit closing the socket, ends the wait.
            (void)receive(_options.shutdown_grace);
        }
        _connection.reset();
    }
    _process->stop(_options.shutdown_grace);
}

eddy::metadata sdk_computation::metadata() const {
    return {.name = _options.name, .inputs = _options.inputs, .outputs = _options.outputs};
}

void sdk_computation::fail(const error<user_process_errc>& failure) const {
    std::string message = fmt::format("computation '{}' ({}): {}", _options.name,
                                      _sdk.empty() ? "user process" : _sdk, failure.message);
    if (const auto tail = _process->stderr_tail(); !tail.empty()) {
        message += "; last lines of its standard error:\n" + tail;
    }
    throw std::runtime_error(message);
}

user_process_result<void> sdk_computation::send(const wire::byte_buffer& frame) {
    const auto* at = reinterpret_cast<const char*>(frame.data());
    std::size_t left = frame.size();
    while (left > 0) {
        const ssize_t sent = ::send(_connection->fd(), at, left, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            return eddy::fail(user_process_errc::exited, "its connection broke while sending: {}",
                              std::strerror(errno));
        }
        at += sent;
        left -= static_cast<std::size_t>(sent);
    }
    return {};
}

user_process_result<void> sdk_computation::receive(std::chrono::milliseconds deadline) {
    // Drop the frame handed out last time.
    if (_frame.frame_bytes != 0) {
        std::memmove(_received.data(), _received.data() + _frame.frame_bytes,
                     _received_bytes - _frame.frame_bytes);
        _received_bytes -= _frame.frame_bytes;
        _frame = {};
    }
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        auto split = wire::split_frame({_received.data(), _received_bytes},
                                       wire::max_sdk_transaction_bytes, wire::frame_family::sdk);
        if (!split) {
            return eddy::fail(user_process_errc::protocol, "it broke the protocol: {}",
                              split.error().message);
        }
        if (const auto* frame = std::get_if<wire::frame_view>(&*split)) {
            _frame = *frame;
            return {};
        }
        const std::size_t needed =
            std::max(std::get<wire::need_more_bytes>(*split).frame_bytes, _received_bytes + 1);
        if (_received.size() < needed) {
            _received.resize(std::max({needed, _received.size() * 2, std::size_t{64} << 10}));
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        pollfd readable{_connection->fd(), POLLIN, 0};
        const int polled = ::poll(&readable, 1, static_cast<int>(std::max<long>(0, left.count())));
        if (polled == 0) {
            return eddy::fail(user_process_errc::timed_out, "no answer within {} ms",
                              deadline.count());
        }
        const ssize_t got = ::recv(_connection->fd(), _received.data() + _received_bytes,
                                   _received.size() - _received_bytes, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            std::string why = got == 0 ? "closed its connection" : std::strerror(errno);
            if (auto status = _process->exit_status()) {
                why += " and " + *status;
            }
            return eddy::fail(user_process_errc::exited, "{}", why);
        }
        _received_bytes += static_cast<std::size_t>(got);
    }
}

void sdk_computation::check_metadata(std::string_view json) const {
    const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_object()) {
        eddy::log().warn("{}: the program's metadata is not a JSON object: {}", _options.name,
                         json);
        return;
    }
    std::vector<subscription> inputs;
    std::vector<std::string> outputs;
    for (const auto& input : parsed.value("inputs", nlohmann::json::array())) {
        if (input.is_object()) {
            const auto by = parse_grouping(input.value("grouping", "shuffle"));
            inputs.push_back({input.value("stream", ""), by.value_or(grouping::shuffle)});
        }
    }
    for (const auto& output : parsed.value("outputs", nlohmann::json::array())) {
        if (output.is_string()) {
            outputs.push_back(output.get<std::string>());
        }
    }
    const auto theirs = describe_metadata(inputs, outputs);
    const auto ours = describe_metadata(_options.inputs, _options.outputs);
    if (theirs != ours) {
        eddy::log().warn(
            "{}: the program declares {}, the manifest {}; routing follows the "
            "manifest",
            _options.name, theirs, ours);
    }
}

void sdk_computation::handshake(runtime::task_context& ctx) {
    _connection.reset();
    _received_bytes = 0;
    _frame = {};
    auto connected = _process->accept(
        _options.process.attach ? std::nullopt : std::optional(_options.hello_timeout));
    if (!connected) {
        fail(connected.error());
    }
    _connection = std::move(*connected);
    if (auto got = receive(_options.hello_timeout); !got) {
        fail(got.error());
    }
    if (_frame.type != wire::frame_type::sdk_hello) {
        fail({user_process_errc::protocol,
              fmt::format("its first frame is {}, not sdk_hello", to_string(_frame.type))});
    }
    auto hello = wire::decode_sdk_hello(_frame.payload);
    if (!hello) {
        _request.clear();
        wire::encode(wire::sdk_error{static_cast<std::uint16_t>(
                                         hello.error().kind == wire::wire_errc::version_mismatch
                                             ? wire::sdk_error_code::unsupported_version
                                             : wire::sdk_error_code::protocol_error),
                                     hello.error().message},
                     _request);
        (void)send(_request);
        fail({user_process_errc::protocol, hello.error().message});
    }
    _sdk = std::string(hello->sdk);
    _version = hello->version;
    check_metadata(hello->metadata_json);
    eddy::log().info("{}[{}]: {} connected", _options.name, ctx.instance_index(), _sdk);

    _request.clear();
    wire::encode(wire::sdk_init{ctx.instance_index(), ctx.instance_count(), _options.max_retries,
                                _config_json},
                 _request);
    _current_batch = 0;
    if (auto exchanged = try_exchange(); !exchanged) {
        fail(exchanged.error());
    }
}

void sdk_computation::init(context& ctx) {
    auto& task = static_cast<runtime::task_context&>(ctx);
    handshake(task);
    const auto outcome = apply(task, no_input);
    if (outcome.dead_letters != 0) {
        throw runtime::init_failure(_transaction.failures.empty()
                                        ? std::string("init failed")
                                        : std::string(_transaction.failures.back().message));
    }
}

user_process_result<void> sdk_computation::try_exchange() {
    if (auto sent = send(_request); !sent) {
        return sent;
    }
    for (;;) {
        if (auto got = receive(_options.timeout); !got) {
            return got;
        }
        if (_frame.type == wire::frame_type::sdk_error) {
            const auto reported = wire::decode_sdk_error(_frame.payload);
            return eddy::fail(user_process_errc::protocol, "it reported an error: {}",
                              reported ? std::string(reported->message)
                                       : std::string("(undecodable error frame)"));
        }
        if (_frame.type != wire::frame_type::sdk_transaction) {
            return eddy::fail(user_process_errc::protocol, "it sent {} where a transaction was due",
                              to_string(_frame.type));
        }
        if (auto decoded = wire::decode_sdk_transaction(_frame.payload, _transaction, _version);
            !decoded) {
            return eddy::fail(user_process_errc::protocol, "bad transaction: {}",
                              decoded.error().message);
        }
        if (_transaction.batch != _current_batch) {
            return eddy::fail(user_process_errc::protocol,
                              "it answered batch {} while batch {} was due", _transaction.batch,
                              _current_batch);
        }
        return {};
    }
}

void sdk_computation::exchange(runtime::task_context& ctx) {
    for (;;) {
        auto exchanged = try_exchange();
        if (exchanged) {
            return;
        }
        if (!_options.process.attach || exchanged.error().kind == user_process_errc::protocol) {
            fail(exchanged.error());
        }
        // Attached by hand: the program went away. Wait for it to come back,
        // run its init, then ask again.
        eddy::log().warn("{}: the attached program went away ({}); waiting for it again",
                         _options.name, exchanged.error().message);
        wire::byte_buffer pending = std::move(_request);
        const std::uint64_t batch = _current_batch;
        handshake(ctx);
        (void)apply(ctx, no_input);
        _request = std::move(pending);
        _current_batch = batch;
    }
}

void sdk_computation::lookup_state(runtime::task_context& ctx) {
    _state.clear();
    _state_values.clear();
    _state_values.reserve(_state_names.size());
    for (const auto& name : _state_names) {
        if (auto value = ctx.get(name)) {
            _state_values.push_back(std::move(*value));
            _state.push_back({name, _state_values.back()});
        }
    }
}

runtime::batch_outcome sdk_computation::process_batch(runtime::task_context& ctx,
                                                      const runtime::record_batch& batch) {
    runtime::batch_outcome total;
    std::unordered_set<std::string_view> seen;
    std::size_t first = 0;
    while (first < batch.size()) {
        // The records [first, last) that fit one request.
        std::size_t last = first;
        std::size_t bytes = 0;
        while (last < batch.size()) {
            const record r = batch.at(last);
            bytes += record_bytes(r, batch.trace_of(last));
            if (last > first && bytes > request_budget_bytes) {
                break;
            }
            ++last;
        }
        _request.clear();
        _current_batch = _next_batch++;
        wire::sdk_request request(_request, wire::frame_type::sdk_process, _current_batch,
                                  ctx.watermark(), last - first, _version);
        seen.clear();
        for (std::size_t i = first; i < last; ++i) {
            const record r = batch.at(i);
            _state.clear();
            if (!_state_names.empty() && seen.insert(r.key).second) {
                ctx.bind(r.key, r.time, batch.group_hint(i));
                lookup_state(ctx);
            }
            request.record(r.stream, r.key, r.value, r.time, _state, batch.trace_of(i));
        }
        request.finish();
        exchange(ctx);
        const auto outcome = apply(ctx, [&](std::uint32_t index) {
            if (first + index >= batch.size()) {
                return std::optional<runtime::failed_input>();
            }
            const record r = batch.at(first + index);
            return std::optional(runtime::failed_input{
                .stream = r.stream, .key = r.key, .value = r.value, .time = r.time});
        });
        total.failures += outcome.failures;
        total.dead_letters += outcome.dead_letters;
        first = last;
    }
    return total;
}

runtime::batch_outcome sdk_computation::process_timers(runtime::task_context& ctx,
                                                       std::span<const runtime::due_timer> due) {
    _request.clear();
    _current_batch = _next_batch++;
    wire::sdk_request request(_request, wire::frame_type::sdk_fire_timers, _current_batch,
                              ctx.watermark(), due.size(), _version);
    std::unordered_set<std::string_view> seen;
    for (const auto& timer : due) {
        _state.clear();
        if (!_state_names.empty() && seen.insert(timer.key).second) {
            ctx.bind(timer.key, timer.time, runtime::no_key_group);
            lookup_state(ctx);
        }
        request.timer(timer.key, timer.tag, timer.time, timer.domain, _state);
    }
    request.finish();
    exchange(ctx);
    return apply(ctx, [&](std::uint32_t index) {
        if (index >= due.size()) {
            return std::optional<runtime::failed_input>();
        }
        return std::optional(runtime::failed_input{.what = runtime::failed_input::kind::timer,
                                                   .tag = due[index].tag,
                                                   .key = due[index].key,
                                                   .time = due[index].time});
    });
}

runtime::batch_outcome sdk_computation::apply(runtime::task_context& ctx, const input_at& inputs) {
    for (const auto& write : _transaction.writes) {
        ctx.bind(write.key, 0, runtime::no_key_group);
        if (write.op == wire::sdk_write_op::put) {
            if (!_state_names.contains(write.name)) {
                _state_names.emplace(write.name);
            }
            ctx.put(write.name, write.value);
        } else {
            ctx.erase(write.name);
        }
    }
    for (const auto& timer : _transaction.timers) {
        ctx.set_timer(timer.key, timer.time, timer.domain, timer.tag);
    }
    // A record the SDK produced while processing a traced input came back
    // with that input's context: the runtime derives its span from it, as
    // for a C++ computation's produce under a traced record.
    for (const auto& record : _transaction.produced) {
        ctx.set_trace_parent(record.trace ? &*record.trace : nullptr);
        ctx.produce(record.stream, record.key, record.value, record.time);
    }
    ctx.set_trace_parent(nullptr);
    for (const auto& line : _transaction.logs) {
        ctx.log(line.level, line.text);
    }
    runtime::batch_outcome outcome;
    for (const auto& failure : _transaction.failures) {
        outcome.failures += failure.attempts;
        const bool dead = failure.attempts > _options.max_retries;
        outcome.dead_letters += dead ? 1 : 0;
        eddy::log().error("{}: callback for input {} raised {} time(s){}: {}", _options.name,
                          failure.index, failure.attempts, dead ? ", dead-lettered" : "",
                          failure.message);
        if (const auto input = dead ? inputs(failure.index) : std::nullopt) {
            ctx.produce(_dead_letters, input->key,
                        runtime::dead_letter_value(_options.name, *input, failure.message,
                                                   failure.attempts),
                        input->time);
        }
    }
    return outcome;
}

}  // namespace eddy::executor
