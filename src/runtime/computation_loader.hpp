#pragma once

// Loads C++ computations from shared libraries: dlopen the library, look up
// `eddy_v1_create_<class>` (see include/eddy/export.hpp) and hand back a
// factory that creates one computation object per call. A library is opened
// once per loader however many factories come from it, and stays open while
// any factory made from it lives: computations it created must be destroyed
// before their factory (their code lives in the library).
//
// Lifecycle: used at start-up. Threading: one thread at a time.

#include "base/error.hpp"
#include "errors.hpp"
#include <eddy/embedded.hpp>

#include <map>
#include <memory>
#include <string>

namespace eddy::runtime {

class computation_loader {
public:
    // A factory for `class_name` from the library at `path`. Errors:
    // library_missing (with dlerror's reason), symbol_missing (the library
    // does not export it: wrong name or another eddy ABI version).
    [[nodiscard]] result<computation_factory, runtime_errc> factory(const std::string& path,
                                                                    const std::string& class_name);

private:
    class library;
    std::map<std::string, std::shared_ptr<library>> _open;  // by path
};

}  // namespace eddy::runtime
