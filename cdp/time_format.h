// ISO 8601 timestamps as Segment messages carry them, parsed to and formatted from Timestamp.
#pragma once

#include <string>
#include <string_view>

#include "cdp/clock.h"
#include "cdp/status.h"

namespace cdp {

// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fraction]]" with "Z", "+HH:MM", "+HHMM" or no zone
// (taken as UTC). Fractions beyond milliseconds are truncated. Years 1000..9999.
// kInvalidArgument on anything else, including out-of-range fields ("2026-02-30").
Result<Timestamp> ParseIso8601(std::string_view s);

// "2026-11-28T10:00:00.123Z".
std::string FormatIso8601(Timestamp t);

}  // namespace cdp
