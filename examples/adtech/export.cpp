// What libadtech.so exports, for manifests (adtech.yaml, high_ctr.yaml):
// `library: libadtech.so` with `class: ad_event_source` (or event_parser,
// ctr_counter, fraud_detector, high_ctr). Each reads its options from its
// configuration in `init`; the defaults are adtech_demo's.

#include "ad_events.hpp"
#include "computations.hpp"
#include <eddy/export.hpp>

using adtech::ad_event_source;
using adtech::ctr_counter;
using adtech::event_parser;
using adtech::fraud_detector;
using adtech::high_ctr;

EDDY_EXPORT_COMPUTATION(ad_event_source)
EDDY_EXPORT_COMPUTATION(event_parser)
EDDY_EXPORT_COMPUTATION(ctr_counter)
EDDY_EXPORT_COMPUTATION(fraud_detector)
EDDY_EXPORT_COMPUTATION(high_ctr)
