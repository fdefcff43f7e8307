// The MODULE the SDK benchmark's executors load `passthrough` (the C++
// baseline run in an executor, like the SDKs' user processes) and
// `counting_sink` from, by class name.

#include "passthrough.hpp"
#include <eddy/export.hpp>

using eddy::bench::counting_sink;
using eddy::bench::passthrough;

EDDY_EXPORT_COMPUTATION(passthrough)
EDDY_EXPORT_COMPUTATION(counting_sink)
