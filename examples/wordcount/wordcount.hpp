#pragma once

// The word-count example: sentences → splitter → counter → a sink.
//
//   sentences  (source)  a seeded, bounded generator of lines     → "lines"
//   splitter   (shuffle) splits a line into words, one record each → "words"
//   counter    (key)     counts per word in keyed state            → "counts"
//
// "counts" carries, for every word occurrence, the word's running count; the
// last count of a word is its total. The computations are exported from
// libwordcount.so (export.cpp) for the executor, and linked into the
// `wordcount` runner (main.cpp) that runs them on eddy::embedded_topology.

#include "connectors/generator.hpp"
#include "word_counter.hpp"
#include <eddy/computation.hpp>

// The lines: the built-in generator, kind `sentences`, stream "lines".
// Bounded (1000 lines, seed 1) unless configured otherwise (options `count`,
// `seed`, `rate`, ...: docs/connectors.md).
class sentence_source final : public eddy::connectors::generator {
public:
    sentence_source();
    explicit sentence_source(eddy::connectors::record_maker maker);
};

// Splits each line on spaces and produces every word as a key ("1" as value),
// so the counter can group by word. Stateless; any number of instances.
class splitter final : public eddy::computation {
public:
    eddy::metadata metadata() const override;
    void process_record(eddy::context& ctx, const eddy::record& r) override;
};
