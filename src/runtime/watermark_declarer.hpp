#pragma once

// A source that knows its own low watermark better than "the largest event
// time produced, minus the delay": kafka-source, whose partitions are read
// interleaved, declares the minimum over its partitions of each one's
// largest event time minus the delay (per-partition watermarks, as Flink's
// Kafka source does), leaving out partitions that have gone idle.
//
// For such a source the runtime does not derive the watermark from the
// times produced; after every poll it reads `declared_watermark` and
// advances the output watermark to it (never back).
//
//     time_micros declared_watermark() const override { return _low; }
//
// Threading: the instance's thread only (called right after poll).

#include "producer.hpp"
#include <eddy/computation.hpp>
#include <eddy/record.hpp>

namespace eddy::runtime {

class watermark_declarer {
public:
    virtual ~watermark_declarer() = default;
    // No record older than this will be produced from now on.
    [[nodiscard]] virtual time_micros declared_watermark() const = 0;
};

// Where an instance's output watermark comes from: its inputs (a consumer),
// what the source declares (input too: the producer leaves it alone), or
// the times a source produces.
[[nodiscard]] inline watermark_source watermarks_of(bool consumer, const computation* user) {
    if (consumer || dynamic_cast<const watermark_declarer*>(user) != nullptr) {
        return watermark_source::input;
    }
    return watermark_source::produced_times;
}

}  // namespace eddy::runtime
