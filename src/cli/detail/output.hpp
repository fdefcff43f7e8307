#pragma once

// How the subcommands print a successful answer: the API's JSON as is with
// --json (for scripts), else a human rendering of it.

#include "cli/api_client.hpp"
#include "cli/commands.hpp"

#include <iostream>

namespace eddy::cli::detail {

inline void print_body(const api_answer& answer) {
    std::cout << answer.body;
    if (!answer.body.ends_with('\n')) {
        std::cout << '\n';
    }
}

// `human(document)` returns the text without its final newline.
template <class Human>
int print_answer(const global_options& global, const api_answer& answer, Human&& human) {
    if (global.format == output_format::json) {
        print_body(answer);
    } else {
        std::cout << human(answer.document) << '\n';
    }
    return exit_ok;
}

}  // namespace eddy::cli::detail
