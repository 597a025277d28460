#include "tests/support/metrics_scrape.h"

#include <cstdlib>
#include <string>

#include "tests/support/http_client.h"

namespace cdp::testing {

Result<double> ScrapeMetric(std::uint16_t port, std::string_view series) {
  CDP_ASSIGN_OR_RETURN(HttpReply reply, HttpCall(port, "GET", "/metrics"));
  if (reply.status != 200)
    return InternalError("GET /metrics answered " + std::to_string(reply.status));
  const std::string needle = "\n" + std::string(series) + " ";
  const std::string body = "\n" + reply.body;
  const std::size_t at = body.find(needle);
  if (at == std::string::npos) return NotFoundError("no series " + std::string(series));
  const std::size_t start = at + needle.size();
  const std::size_t end = body.find('\n', start);
  return std::strtod(body.substr(start, end - start).c_str(), nullptr);
}

}  // namespace cdp::testing
