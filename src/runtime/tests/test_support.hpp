#pragma once

// Small computations and helpers shared by the runtime's tests.

#include <eddy/computation.hpp>
#include <eddy/embedded.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace eddy::runtime::testing {

// Polls `done` until it holds or `timeout` passes; true if it held.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

// A bounded source: records key "k<i % keys>", value "<i>", time i + 1 for
// i in [0, total); `per_poll` of them per poll. total 0 means unbounded.
class number_source final : public source {
public:
    number_source(std::string name, std::string stream, std::uint64_t total, std::uint64_t keys,
                  std::uint64_t per_poll = 64, std::atomic<std::uint64_t>* produced = nullptr)
        : _name(std::move(name)),
          _stream(std::move(stream)),
          _total(total),
          _keys(keys),
          _per_poll(per_poll),
          _produced(produced) {}
    eddy::metadata metadata() const override { return {.name = _name, .outputs = {_stream}}; }
    poll_status poll(context& ctx) override {
        for (std::uint64_t n = 0; n < _per_poll; ++n) {
            if (_total != 0 && _next == _total) {
                return poll_status::finished;
            }
            ctx.produce(_stream, "k" + std::to_string(_next % _keys), std::to_string(_next),
                        static_cast<time_micros>(_next + 1));
            ++_next;
            if (_produced != nullptr) {
                _produced->fetch_add(1);
            }
        }
        return poll_status::produced;
    }

private:
    std::string _name;
    std::string _stream;
    std::uint64_t _total;
    std::uint64_t _keys;
    std::uint64_t _per_poll;
    std::atomic<std::uint64_t>* _produced;
    std::uint64_t _next = 0;
};

// Forwards every record from `in` to `out` unchanged.
class forward final : public computation {
public:
    forward(std::string name, std::string in, std::string out, grouping by = grouping::shuffle)
        : _name(std::move(name)), _in(std::move(in)), _out(std::move(out)), _by(by) {}
    eddy::metadata metadata() const override {
        return {.name = _name, .inputs = {{_in, _by}}, .outputs = {_out}};
    }
    void process_record(context& ctx, const record& r) override {
        ctx.produce(_out, r.key, r.value);
    }

private:
    std::string _name, _in, _out;
    grouping _by;
};

}  // namespace eddy::runtime::testing
