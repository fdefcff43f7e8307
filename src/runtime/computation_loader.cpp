#include "computation_loader.hpp"

#include <eddy/computation.hpp>

#include <dlfcn.h>

namespace eddy::runtime {

// An open dlopen handle; closed when the last factory using it goes.
class computation_loader::library {
public:
    explicit library(void* handle) : _handle(handle) {}
    ~library() { dlclose(_handle); }
    library(const library&) = delete;
    library& operator=(const library&) = delete;
    [[nodiscard]] void* symbol(const std::string& name) const {
        return dlsym(_handle, name.c_str());
    }

private:
    void* _handle;
};

result<computation_factory, runtime_errc> computation_loader::factory(
    const std::string& path, const std::string& class_name) {
    std::shared_ptr<library> lib;
    if (const auto found = _open.find(path); found != _open.end()) {
        lib = found->second;
    } else {
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            const char* why = dlerror();
            return fail(runtime_errc::library_missing, "cannot load computation library {}: {}",
                        path, why != nullptr ? why : "unknown reason");
        }
        lib = std::make_shared<library>(handle);
        _open.emplace(path, lib);
    }
    using create_function = computation* (*)();
    void* symbol =
        lib->symbol("eddy_v" + std::to_string(EDDY_ABI_VERSION) + "_create_" + class_name);
    if (symbol == nullptr) {
        return fail(runtime_errc::symbol_missing,
                    "library {} does not export computation {} (built against another eddy ABI "
                    "version?)",
                    path, class_name);
    }
    const auto create = reinterpret_cast<create_function>(symbol);
    return computation_factory([lib, create] { return std::unique_ptr<computation>(create()); });
}

}  // namespace eddy::runtime
