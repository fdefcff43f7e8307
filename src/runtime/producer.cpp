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

result<void, runtime_errc> producer::produce(std::string_view stream, std::string_view key,
                                             std::string_view value, time_micros time) {
    std::size_t output = 0;
    while (output < _outputs.size() && _outputs[output] != stream) {
        ++output;
    }
    if (output == _outputs.size()) {
        instance_counters::add(_counters.produce_errors, 1);
        return fail(runtime_errc::unknown_stream,
                    "produce to stream '{}', which is not one of the computation's outputs",
                    stream);
    }
    instance_counters::add(_counters.records_out, 1);
    if (_watermark_source == watermark_source::produced_times && time > _max_produced) {
        _max_produced = time;
        const time_micros delayed =
            time < min_time + _watermark_delay ? min_time : time - _watermark_delay;
        _channels.advance_watermark(delayed);
    }
    if (const auto index = _output_index[output]) {
        const std::string_view name = _outputs[output];
        _table->route(*index, key, _cursor, [&](instance_id destination, std::uint32_t hint) {
            _channels.append(destination, name, key, value, time, hint);
        });
    }
    return {};
}

}  // namespace eddy::runtime
