// A synchronous WebSocket client for end-to-end tests (Boost.Beast), kept behind a pimpl so
// that test files need not include Beast.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp/status.h"

namespace cdp::testing {

// One WebSocket connection to 127.0.0.1:port. Not thread-safe.
class WsClient {
 public:
  // Connects and upgrades `target` with `headers`. On a refused upgrade returns an error whose
  // message holds the HTTP status ("upgrade refused: 401").
  static Result<std::unique_ptr<WsClient>> Connect(
      std::uint16_t port, std::string_view target,
      const std::vector<std::pair<std::string, std::string>>& headers = {});
  ~WsClient();

  Status Send(std::string_view text);
  // Reads the next message; kUnavailable when the connection closes or after a read error.
  Result<std::string> Read();
  // The close code the server sent, after Read() failed on a close (0 if none).
  int close_code() const;

 private:
  struct Rep;
  explicit WsClient(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace cdp::testing
