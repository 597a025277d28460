// Reads one series' value from the server's /metrics text, for end-to-end tests.
#pragma once

#include <cstdint>
#include <string_view>

#include "cdp/status.h"

namespace cdp::testing {

// The value of the series named exactly `series` (with its labels, e.g.
// `cdp_ingest_rejected_total{reason="bad_gzip"}`) from GET /metrics on 127.0.0.1:port.
Result<double> ScrapeMetric(std::uint16_t port, std::string_view series);

}  // namespace cdp::testing
