#pragma once

// What `context::produce` does: checks the stream is one of the computation's
// outputs, routes the record with the current routing table, appends it to
// the destinations' open batches, and (for a source) advances the output
// watermark with the event times produced: max time produced − delay.
//
// The routing table is loaded from the holder at each refresh() (once per
// input batch or poll), never per record; a swapped-in table applies from the
// next refresh.
//
// Lifecycle: owned by an instance_task. Threading: the instance's thread only.

#include "base/error.hpp"
#include "errors.hpp"
#include "output_channels.hpp"
#include "routing_table.hpp"
#include "tracing.hpp"

#include <memory>
#include <string>
#include <vector>

namespace eddy::runtime {

enum class watermark_source {
    input,           // the output watermark follows the input (and pending timers)
    produced_times,  // a source: max event time produced − delay
};

class producer {
public:
    producer(const routing_table_holder& routes, std::vector<std::string> outputs,
             output_channels channels, watermark_source source, time_micros watermark_delay,
             instance_counters& counters);

    // Always inlined: it runs once per record produced, and as a call its
    // caller (the context) re-passed the value view through the stack with
    // one 16-byte copy of two 8-byte stores, a store-forwarding stall that
    // was a twentieth of each producing stage's time in bench/pipeline.
    // `parent`: the trace context the record descends from (nullptr: none;
    // then the tracer decides whether it starts a trace).
    [[nodiscard]] [[gnu::always_inline]] result<void, runtime_errc> produce(
        std::string_view stream, std::string_view key, std::string_view value, time_micros time,
        const trace_context* parent = nullptr) {
        std::size_t output = 0;
        while (output < _outputs.size() && _outputs[output] != stream) {
            ++output;
        }
        if (output == _outputs.size()) [[unlikely]] {
            return unknown_output(stream);
        }
        instance_counters::add(_counters.records_out, 1);
        if (_watermark_source == watermark_source::produced_times && time > _max_produced) {
            advance_produced_watermark(time);
        }
        if (parent != nullptr || _tracer.sample(key)) [[unlikely]] {
            produce_traced(output, key, value, time, parent);
            return {};
        }
        if (const auto index = _output_index[output]) {
            const std::string_view name = _outputs[output];
            // The value's parts are read one by one: `value` usually arrives on
            // the stack, just written there as two 8-byte words, and copying
            // it whole for the lambda would be one 16-byte load of them.
            const char* const value_data = value.data();
            const std::size_t value_size = value.size();
            _table->route(
                *index, key, _cursor,
                [&](instance_id destination, std::uint32_t hint) __attribute__((always_inline)) {
                    _channels.append(destination, static_cast<std::uint32_t>(output), name, key,
                                     std::string_view(value_data, value_size), time, hint);
                });
        }
        return {};
    }

    // Picks up the current routing table.
    void refresh();

    [[nodiscard]] output_channels& channels() { return _channels; }
    [[nodiscard]] runtime::tracer& tracer() { return _tracer; }

private:
    void resolve_outputs();
    // produce() for a traced record: a produced span, and a sent context per
    // destination. Out of line: one record in many comes here.
    void produce_traced(std::size_t output, std::string_view key, std::string_view value,
                        time_micros time, const trace_context* parent);
    // Counts and describes a produce to a stream that is not an output.
    [[nodiscard]] result<void, runtime_errc> unknown_output(std::string_view stream);
    // A source produced a record later than any before: its watermark follows.
    // Inline: a source's event times usually grow with every record.
    void advance_produced_watermark(time_micros time) {
        _max_produced = time;
        _channels.advance_watermark(time < min_time + _watermark_delay ? min_time
                                                                       : time - _watermark_delay);
    }

    const routing_table_holder& _routes;
    std::shared_ptr<const routing_table> _table;
    std::vector<std::string> _outputs;
    std::vector<std::optional<stream_index>> _output_index;  // per output, in _table
    output_channels _channels;
    shuffle_cursor _cursor;
    const watermark_source _watermark_source;
    const time_micros _watermark_delay;
    time_micros _max_produced = min_time;
    instance_counters& _counters;
    runtime::tracer _tracer;
};

}  // namespace eddy::runtime
