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

result<void, runtime_errc> producer::unknown_output(std::string_view stream) {
    instance_counters::add(_counters.produce_errors, 1);
    return fail(runtime_errc::unknown_stream,
                "produce to stream '{}', which is not one of the computation's outputs", stream);
}

}  // namespace eddy::runtime
