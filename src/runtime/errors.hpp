#pragma once

// The error kinds of the runtime, for eddy::result<T, runtime_errc>.

namespace eddy::runtime {

enum class runtime_errc {
    unknown_stream,   // produce to a stream that is not one of the computation's outputs
    library_missing,  // a computation library could not be opened
    symbol_missing,   // the library does not export the computation asked for
    create_failed,    // the library's create function returned null or threw
};

}  // namespace eddy::runtime
