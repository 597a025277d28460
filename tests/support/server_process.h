// Starts the real `cdp serve` binary as a child process for end-to-end tests, on a free
// loopback port, and stops it with a signal.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/status.h"

namespace cdp::testing {

// Owns one child process. Not thread-safe.
class ServerProcess {
 public:
  // Runs `cdp serve --data DATA_DIR --listen 127.0.0.1:0 EXTRA...` and waits (up to
  // `timeout`) for its "listening on" line. kUnavailable when it exits or never listens.
  static Result<std::unique_ptr<ServerProcess>> Start(
      const std::string& data_dir, const std::vector<std::string>& extra_args = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // Kills the child with SIGKILL if it is still running.
  ~ServerProcess();

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // What the child printed on stdout before it listened.
  const std::string& startup_output() const { return output_; }

  void Signal(int signal_number);
  // Waits for the child to exit. Returns its exit code, or 128 + signal if killed by one;
  // kUnavailable after `timeout`.
  Result<int> Wait(std::chrono::milliseconds timeout);

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string output_;
  bool exited_ = false;
};

// Runs the `cdp` binary with `args` to completion (up to `timeout`); returns the exit code
// and fills `output` with its stdout and stderr.
Result<int> RunCdp(const std::vector<std::string>& args, std::string* output,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The path of the `cdp` binary under test.
std::string CdpBinaryPath();

// A fresh, empty temporary directory for the running test ("cdp_PREFIX_PID_TESTNAME"): any
// leftover of an earlier run is removed first. The caller removes it when done.
std::string FreshTestDirectory(std::string_view prefix);

}  // namespace cdp::testing
