#include "tools/loadgen_cli.h"

#include <CLI/CLI.hpp>

namespace cdp::loadgen {

std::unique_ptr<LoadgenCommand> LoadgenCommand::Add(CLI::App& app) {
  std::unique_ptr<LoadgenCommand> cmd(new LoadgenCommand());
  LoadgenOptions& o = cmd->options_;
  CLI::App* c = app.add_subcommand(
      "loadgen", "Measure ingest throughput and ack latency against a running server");
  cmd->command_ = c;
  c->add_option("--target", o.target, "Server address HOST:PORT (the only address contacted)")
      ->capture_default_str();
  c->add_option("--key", o.key, "Write key (sent as the HTTP Basic user name)");
  c->add_option("--mode", cmd->mode_, "http (POST /v1/batch) or ws (GET /v1/stream)")
      ->check(CLI::IsMember({"http", "ws"}))
      ->capture_default_str();
  c->add_option("--connections", o.connections, "Concurrent connections")->capture_default_str();
  c->add_option("--batch-size", o.batch_size, "Events per request or frame (1..2500)")
      ->capture_default_str();
  cmd->duration_ = c->add_option("--duration", o.duration_s, "Seconds measured after the warm-up")
                       ->capture_default_str();
  c->add_option("--count", o.count, "Instead of --duration: events to send after the warm-up")
      ->excludes(cmd->duration_);
  c->add_option("--warmup", o.warmup_s, "Seconds of unmeasured traffic first")
      ->capture_default_str();
  c->add_option("--rate", o.rate,
                "Offered events/s over all connections, open loop (0: closed loop)")
      ->capture_default_str();
  c->add_flag("--gzip", o.gzip, "gzip request bodies (http mode)");
  c->add_option("--gzip-level", o.gzip_level, "zlib level 1..9")->capture_default_str();
  c->add_option("--window", o.window, "WebSocket frames in flight per connection")
      ->capture_default_str();
  c->add_option("--seed", o.seed, "Seed of the event content")->capture_default_str();
  c->add_option("--population", o.population, "Distinct users")->capture_default_str();
  c->add_option("--threads", o.threads, "Load generator network threads")->capture_default_str();
  c->add_option("--timeout", o.timeout_s, "Seconds to wait for a reply")->capture_default_str();
  c->add_option("--run-id", o.run_id,
                "messageId component (default: random; reuse one to replay duplicates)");
  c->add_flag("--dry-run", o.dry_run,
              "Only generate events (for --duration, default 5 s) and report the rate");
  c->add_option("--dump", o.dump, "Print this many events, one per line, and exit");
  return cmd;
}

bool LoadgenCommand::parsed() const { return command_->parsed(); }

int LoadgenCommand::Run() {
  options_.mode = mode_ == "ws" ? Mode::kWebSocket : Mode::kHttp;
  if (options_.dry_run && duration_->count() == 0) options_.duration_s = 5;
  return RunLoadgen(options_);
}

}  // namespace cdp::loadgen
