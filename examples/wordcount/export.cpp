// What libwordcount.so exports: a manifest names these with
// `library: libwordcount.so` and `class: sentence_source` (or splitter,
// word_counter).

#include "wordcount.hpp"
#include <eddy/export.hpp>

EDDY_EXPORT_COMPUTATION(sentence_source)
EDDY_EXPORT_COMPUTATION(splitter)
EDDY_EXPORT_COMPUTATION(word_counter)
