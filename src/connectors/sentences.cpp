#include "sentences.hpp"

#include <array>

namespace eddy::connectors {

namespace {

// Words about rivers and streams, written for eddy; the order sets the skew.
constexpr std::array<std::string_view, 64> vocabulary = {
    "the",    "water", "river",   "flows",   "and",     "a",      "stone",   "under",
    "bridge", "eddy",  "turns",   "current", "of",      "bank",   "reed",    "slow",
    "fast",   "cold",  "light",   "moves",   "heron",   "waits",  "mill",    "wheel",
    "spring", "rain",  "mist",    "over",    "valley",  "pebble", "ripple",  "delta",
    "source", "mouth", "bend",    "pool",    "shallow", "deep",   "willow",  "otter",
    "trout",  "lock",  "weir",    "ferry",   "harbor",  "tide",   "meadow",  "gravel",
    "sand",   "silt",  "moss",    "fern",    "brook",   "creek",  "rapids",  "falls",
    "canyon", "marsh", "estuary", "channel", "basin",   "lagoon", "torrent", "confluence",
};

const zipf_table& vocabulary_weights() {
    static const zipf_table table(vocabulary.size());
    return table;
}

}  // namespace

std::span<const std::string_view> sentence_vocabulary() {
    return vocabulary;
}

std::string make_sentence(xoshiro256& rng, std::uint64_t min_words, std::uint64_t max_words) {
    const auto words = rng.between(min_words, max_words);
    std::string line;
    line.reserve(words * 8);
    for (std::uint64_t i = 0; i < words; ++i) {
        if (i > 0) {
            line += ' ';
        }
        line += vocabulary[vocabulary_weights().draw(rng)];
    }
    return line;
}

}  // namespace eddy::connectors
