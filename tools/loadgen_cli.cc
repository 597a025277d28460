#include "tools/loadgen_cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

namespace cdp::loadgen {

std::unique_ptr<LoadgenCommand> LoadgenCommand::Add(CLI::App& app) {
  std::unique_ptr<LoadgenCommand> cmd(new LoadgenCommand());
  LoadgenOptions& o = cmd->options_;
  CLI::App* c = app.add_subcommand(
      "loadgen",
      "Measure ingest throughput and ack latency, or profile and change-feed reads, against a "
      "running server");
  cmd->command_ = c;
  // Flags that only some modes take: Run() rejects them in the others.
  auto only = [&cmd](CLI::Option* option, std::vector<Mode> modes) {
    cmd->mode_flags_.push_back(ModeFlag{option, std::move(modes)});
    return option;
  };
  constexpr auto kHttp = Mode::kHttp;
  constexpr auto kWs = Mode::kWebSocket;
  constexpr auto kProfiles = Mode::kProfiles;
  c->add_option("--target", o.target, "Server address HOST:PORT (the only address contacted)")
      ->capture_default_str();
  c->add_option("--key", o.key,
                "Write key (ingest modes) or read key (profiles, changes), sent as the HTTP "
                "Basic user name");
  c->add_option("--mode", cmd->mode_,
                "http (POST /v1/batch), ws (GET /v1/stream), profiles (GET "
                "/v1/profiles/user_id:ID) or changes (GET /v1/changes, paged to the end)")
      ->check(CLI::IsMember({"http", "ws", "profiles", "changes"}))
      ->capture_default_str();
  cmd->connections_ =
      c->add_option("--connections", o.connections,
                    "Concurrent connections (changes: each reads the whole feed; default 1)")
          ->capture_default_str();
  only(c->add_option("--batch-size", o.batch_size, "Events per request or frame (1..2500)")
           ->capture_default_str(),
       {kHttp, kWs});
  cmd->duration_ = c->add_option("--duration", o.duration_s, "Seconds measured after the warm-up")
                       ->capture_default_str();
  only(c->add_option("--count", o.count,
                     "Instead of --duration: events (profiles: requests) to send after the warm-up")
           ->excludes(cmd->duration_),
       {kHttp, kWs, kProfiles});
  cmd->warmup_ = c->add_option("--warmup", o.warmup_s,
                               "Seconds of unmeasured traffic first (changes: default 0)")
                     ->capture_default_str();
  only(c->add_option("--rate", o.rate,
                     "Offered events/s (profiles: requests/s) over all connections, open loop "
                     "(0: closed loop)")
           ->capture_default_str(),
       {kHttp, kWs, kProfiles});
  only(c->add_flag("--gzip", o.gzip, "gzip request bodies (http mode)"), {kHttp, kWs});
  only(c->add_option("--gzip-level", o.gzip_level, "zlib level 1..9")->capture_default_str(),
       {kHttp, kWs});
  only(c->add_option("--window", o.window, "WebSocket frames in flight per connection")
           ->capture_default_str(),
       {kHttp, kWs});
  only(c->add_option("--seed", o.seed, "Seed of the event content (profiles: of the ids read)")
           ->capture_default_str(),
       {kHttp, kWs, kProfiles});
  only(c->add_option("--population", o.population,
                     "Distinct users (profiles: ids read are user_id:u0000000 .. of these)")
           ->capture_default_str(),
       {kHttp, kWs, kProfiles});
  c->add_option("--threads", o.threads, "Load generator network threads")->capture_default_str();
  c->add_option("--timeout", o.timeout_s, "Seconds to wait for a reply")->capture_default_str();
  only(c->add_option("--run-id", o.run_id,
                     "messageId component (default: random; reuse one to replay duplicates)"),
       {kHttp, kWs});
  only(c->add_flag("--dry-run", o.dry_run,
                   "Only generate events (for --duration, default 5 s) and report the rate"),
       {kHttp, kWs});
  only(c->add_option("--dump", o.dump, "Print this many events, one per line, and exit"),
       {kHttp, kWs});
  only(c->add_option("--page-size", o.page_size,
                     "changes: changes asked for per page (1..10000, the API's limit)")
           ->capture_default_str(),
       {Mode::kChanges});
  only(c->add_option("--after", o.after,
                     "changes: the cursor to start after (0: the beginning of the feed)")
           ->capture_default_str(),
       {Mode::kChanges});
  return cmd;
}

bool LoadgenCommand::parsed() const { return command_->parsed(); }

int LoadgenCommand::Run() {
  if (mode_ == "ws") {
    options_.mode = Mode::kWebSocket;
  } else if (mode_ == "profiles") {
    options_.mode = Mode::kProfiles;
  } else if (mode_ == "changes") {
    options_.mode = Mode::kChanges;
  } else {
    options_.mode = Mode::kHttp;
  }
  for (const ModeFlag& flag : mode_flags_) {
    if (flag.option->count() > 0 &&
        std::find(flag.modes.begin(), flag.modes.end(), options_.mode) == flag.modes.end()) {
      std::fprintf(stderr, "cdp loadgen: %s does not apply to --mode %s\n",
                   flag.option->get_name().c_str(), mode_.c_str());
      return 2;
    }
  }
  if (options_.dry_run && duration_->count() == 0) options_.duration_s = 5;
  if (options_.mode == Mode::kChanges) {
    // One reader of the whole feed, measured from its first page, unless asked otherwise.
    if (connections_->count() == 0) options_.connections = 1;
    if (warmup_->count() == 0) options_.warmup_s = 0;
  }
  return RunLoadgen(options_);
}

}  // namespace cdp::loadgen
