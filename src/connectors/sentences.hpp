#pragma once

// The `sentences` kind of the generator: lines of words from a fixed built-in
// vocabulary, drawn with a skewed (Zipf-like) distribution so that a word
// count has a few frequent words and a long tail. The vocabulary and the
// draws are fixed: a seed always gives the same lines.

#include "prng.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace eddy::connectors {

// The vocabulary, most frequent word first. Every word is lowercase ASCII
// letters, so a line splits on single spaces.
[[nodiscard]] std::span<const std::string_view> sentence_vocabulary();

// A line of between `min_words` and `max_words` words (inclusive) separated
// by single spaces. Requires 1 <= min_words <= max_words.
[[nodiscard]] std::string make_sentence(xoshiro256& rng, std::uint64_t min_words,
                                        std::uint64_t max_words);

}  // namespace eddy::connectors
