#include "producer.hpp"

namespace eddy::runtime {

producer::producer(const routing_table_holder& routes, std::vector<std::string> outputs,
                   output_channels channels, watermark_source source, time_micros watermark_delay,
                   instance_counters& counters)
    : _routes(routes),
      _outputs(std::move(outputs)),
      _channels(std::move(channels)),
      _watermark_source(source),
      _watermark_delay(watermark_delay),
      _counters(counters) {
    refresh();
}

void producer::refresh() {
    auto table = _routes.current();
    if (table != _table) {
        _table = std::move(table);
        resolve_outputs();
    }
}

void producer::resolve_outputs() {
    _output_index.clear();
    for (const auto& name : _outputs) {
        _output_index.push_back(_table->find(name));
    }
}

void producer::produce_traced(std::size_t output, std::string_view key, std::string_view value,
                              time_micros time, const trace_context* parent) {
    const std::int64_t start = system_micros();
    span produced;
    if (parent != nullptr) {
        produced.trace = parent->trace_id;
        produced.parent = parent->span_id;
    } else {
        produced.trace = _tracer.ids().next_trace();
    }
    produced.id = _tracer.ids().next_span();
    const std::uint8_t flags = parent != nullptr ? parent->flags : std::uint8_t{1};
    if (const auto index = _output_index[output]) {
        const std::string_view name = _outputs[output];
        _table->route(*index, key, _cursor, [&](instance_id destination, std::uint32_t hint) {
            _channels.append(destination, static_cast<std::uint32_t>(output), name, key, value,
                             time, hint);
            // Each destination's copy is sent on its own: its own sent span.
            const trace_context sent{produced.trace, _tracer.ids().next_span(), flags};
            _channels.trace_last(destination, sent, produced.id, start);
        });
    }
    produced.kind = span_kind::produced;
    produced.start_micros = start;
    produced.end_micros = system_micros();
    produced.stream = _outputs[output];
    produced.key = key;
    _tracer.record(std::move(produced));
}

result<void, runtime_errc> producer::unknown_output(std::string_view stream) {
    instance_counters::add(_counters.produce_errors, 1);
    return fail(runtime_errc::unknown_stream,
                "produce to stream '{}', which is not one of the computation's outputs", stream);
}

}  // namespace eddy::runtime
