// The `cdp loadgen` subcommand: its flags (CLI11) and how it runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tools/loadgen.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace cdp::loadgen {

// Registers `loadgen` and its flags on `app`. Thread-compatible; keep the object alive until
// Run() returns.
class LoadgenCommand {
 public:
  static std::unique_ptr<LoadgenCommand> Add(CLI::App& app);

  // True when the command line named `loadgen` (after parsing).
  bool parsed() const;
  // Runs the load generator with the parsed flags; returns the process exit code.
  int Run();

 private:
  // A flag that only `modes` take.
  struct ModeFlag {
    CLI::Option* option;
    std::vector<Mode> modes;
  };

  LoadgenCommand() = default;
  LoadgenOptions options_;
  std::string mode_ = "http";
  CLI::App* command_ = nullptr;
  CLI::Option* duration_ = nullptr;
  CLI::Option* connections_ = nullptr;
  CLI::Option* warmup_ = nullptr;
  std::vector<ModeFlag> mode_flags_;
};

}  // namespace cdp::loadgen
