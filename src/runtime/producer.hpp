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

    [[nodiscard]] result<void, runtime_errc> produce(std::string_view stream, std::string_view key,
                                                     std::string_view value, time_micros time);

    // Picks up the current routing table.
    void refresh();

    [[nodiscard]] output_channels& channels() { return _channels; }

private:
    void resolve_outputs();

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
};

}  // namespace eddy::runtime
