#pragma once

// Exporting a computation from a shared library so that an executor can load
// it by name:
//
//     class word_counter final : public eddy::computation { ... };
//     EDDY_EXPORT_COMPUTATION(word_counter)
//
// defines `extern "C" eddy::computation* eddy_v1_create_word_counter()`, and a
// manifest names it with `library: libwordcount.so` and `class: word_counter`.
// The `v1` is the ABI version of this header: a library built against another
// version is refused with a clear error rather than loaded. One library may
// export any number of computations. The class must be default-constructible;
// configuration arrives through `context::config` in `init`.

namespace eddy {
class computation;
}  // namespace eddy

#define EDDY_ABI_VERSION 1

#define EDDY_EXPORT_COMPUTATION(class_name)                                          \
    extern "C" __attribute__((                                                       \
        visibility("default"))) ::eddy::computation* eddy_v1_create_##class_name() { \
        return new class_name();                                                     \
    }
