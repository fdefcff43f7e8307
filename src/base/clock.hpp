#pragma once

// The clock interface is public (embedding code injects a manual_clock);
// subsystems include it through here.
#include <eddy/clock.hpp>
