#pragma once

// Reading a built-in computation's options. Options come from two places
// with the same names and meanings: a plain map (what `make_builtin` gets
// from a manifest, before the computation exists) and `context::config`
// (what `init` sees at run time). `option_reader` hides the difference and
// turns a bad value into a std::invalid_argument naming the computation,
// the option and the value: options are start-up configuration, so they
// fail fast with exceptions (see STYLE.md, Errors).

#include <eddy/context.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace eddy::connectors {

using option_map = std::map<std::string, std::string, std::less<>>;

// Parses typed option values. A value object holding a lookup function; the
// lookup (and the context or map behind it) must outlive the reader. Use it
// on the thread that owns the context.
class option_reader {
public:
    using lookup = std::function<std::optional<std::string_view>(std::string_view)>;

    option_reader(std::string owner, lookup find);
    [[nodiscard]] static option_reader of(const context& ctx, std::string owner);
    [[nodiscard]] static option_reader of(const option_map& map, std::string owner);

    // The value as given, if set.
    [[nodiscard]] std::optional<std::string> text(std::string_view name) const;
    // A base-10 integer; throws on anything else (signs, junk, overflow).
    [[nodiscard]] std::optional<std::uint64_t> unsigned_integer(std::string_view name) const;
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view name) const;
    // A finite number >= 0 (e.g. "2.5", "1e5").
    [[nodiscard]] std::optional<double> non_negative(std::string_view name) const;
    // One of `allowed`; throws naming the allowed values otherwise.
    [[nodiscard]] std::optional<std::string> one_of(
        std::string_view name, std::initializer_list<std::string_view> allowed) const;

    // Throws std::invalid_argument when the value of `name` is set and is not
    // `expected`: for options that shape the metadata, which is fixed before
    // `init` runs.
    void require_unchanged(std::string_view name, std::string_view expected) const;

    [[nodiscard]] const std::string& owner() const { return _owner; }

private:
    [[noreturn]] void bad_value(std::string_view name, std::string_view value,
                                std::string_view wanted) const;

    std::string _owner;
    lookup _find;
};

// Throws std::invalid_argument when `map` has an option not in `known`
// (most likely a typo), listing the known ones.
void reject_unknown_options(const option_map& map, std::string_view owner,
                            std::span<const std::string_view> known);

}  // namespace eddy::connectors
