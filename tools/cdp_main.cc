// The `cdp` command line: `cdp serve` runs the server, `cdp loadgen` measures it, `cdp gen` and
// `cdp eval` measure its identity resolution; the offline data commands (import, rebuild,
// events) work on a stopped data directory.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include "api/server.h"
#include "cdp/log.h"
#include "tools/data_commands.h"
#include "tools/eval.h"
#include "tools/gen.h"
#include "tools/loadgen_cli.h"
#include "tools/train.h"

namespace {

int RunServe(const cdp::api::ServeOptions& base, const std::string& listen, int read_timeout_ms,
             int drain_timeout_ms) {
  cdp::api::ServeOptions options = base;
  auto address = cdp::api::ParseListenAddress(listen);
  if (!address.ok()) {
    std::fprintf(stderr, "cdp serve: %s\n", address.status().ToString().c_str());
    return 2;
  }
  options.http.address = address->host;
  options.http.port = address->port;
  options.http.read_timeout = std::chrono::milliseconds(read_timeout_ms);
  options.http.drain_timeout = std::chrono::milliseconds(drain_timeout_ms);
  cdp::Status status = cdp::api::Serve(options);
  if (!status.ok()) {
    std::fprintf(stderr, "cdp serve: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"cdp: customer data platform for proactive public services"};
    app.require_subcommand(1);
    app.fallthrough();  // global options such as --log-level may follow the subcommand
    app.set_version_flag("--version", "cdp 0.1.0");

    cdp::api::ServeOptions serve;
    std::string listen = "127.0.0.1:8080";
    std::string log_level = "info";
    int read_timeout_ms = 30'000;
    int drain_timeout_ms = 10'000;
    int subscriber_stall_ms = 10'000;
    CLI::App* serve_cmd = app.add_subcommand("serve", "Run the HTTP and WebSocket server");
    serve_cmd->add_option("--data", serve.data_dir, "RocksDB data directory (created if missing)")
        ->capture_default_str();
    serve_cmd->add_option("--listen", listen, "Listen address ADDR:PORT (port 0: any free)")
        ->capture_default_str();
    serve_cmd->add_option("--config", serve.config_path, "JSON config file (keys, limits)");
    serve_cmd->add_option("--threads", serve.http.threads, "Network threads (0: one per core)")
        ->check(CLI::Range(0, 1024))
        ->capture_default_str();
    serve_cmd->add_option("--max-body-bytes", serve.http.body_limit, "Largest request body")
        ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30))
        ->capture_default_str();
    serve_cmd->add_option("--max-header-bytes", serve.http.header_limit, "Largest header block")
        ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 20))
        ->capture_default_str();
    serve_cmd
        ->add_option("--read-timeout-ms", read_timeout_ms,
                     "Time to receive a request's header block, then its body")
        ->check(CLI::Range(1, 3'600'000))
        ->capture_default_str();
    serve_cmd
        ->add_option("--drain-timeout-ms", drain_timeout_ms,
                     "On SIGINT/SIGTERM, how long in-flight requests may take to finish")
        ->check(CLI::Range(0, 3'600'000))
        ->capture_default_str();
    std::string durability = "sync";
    serve_cmd
        ->add_option("--durability", durability,
                     "sync: fsync the WAL per group commit before acknowledging; nosync: "
                     "acknowledge once written to the OS (survives a process crash only)")
        ->check(CLI::IsMember({"sync", "nosync"}))
        ->capture_default_str();
    serve_cmd
        ->add_option("--max-queued-events", serve.writer.max_queued_events,
                     "Ingest queue bound in events; beyond it: 429")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
        ->capture_default_str();
    int dedup_retention_hours = 24 * 7;
    serve_cmd
        ->add_option("--dedup-retention-hours", dedup_retention_hours,
                     "How long a messageId is remembered for deduplication")
        ->check(CLI::Range(1, 24 * 3650))
        ->capture_default_str();
    serve_cmd->add_option("--max-connections", serve.http.max_connections, "Open connections cap")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    serve_cmd
        ->add_option("--subscriber-stall-ms", subscriber_stall_ms,
                     "How long a change-feed subscriber may leave its buffer full before it is "
                     "cut off")
        ->check(CLI::Range(1, 3'600'000))
        ->capture_default_str();
    int profile_cache_mb = 512;
    serve_cmd
        ->add_option("--profile-cache-mb", profile_cache_mb,
                     "RocksDB block cache of profile records, traits and timelines, in MiB")
        ->check(CLI::Range(1, 1 << 20))
        ->each([&serve](const std::string& v) {
          serve.store.profile_cache_bytes = static_cast<std::size_t>(std::stoul(v)) << 20;
        })
        ->capture_default_str();
    serve_cmd
        ->add_option("--subscriber-buffer-bytes", serve.change_feed.subscriber_buffer_bytes,
                     "Unsent bytes a change-feed subscriber may have queued")
        ->check(CLI::Range(std::size_t{64} << 10, std::size_t{1} << 30))
        ->capture_default_str();
    auto loadgen_cmd = cdp::loadgen::LoadgenCommand::Add(app);

    cdp::tools::ImportOptions import;
    CLI::App* import_cmd = app.add_subcommand(
        "import", "Bulk-load an NDJSON file of Segment messages into a stopped data directory");
    import_cmd->add_option("file", import.file, "NDJSON file, one message (with \"type\") a line")
        ->required();
    import_cmd->add_option("--data", import.data_dir, "RocksDB data directory")
        ->default_val("./data")
        ->capture_default_str();
    import_cmd->add_option("--batch-size", import.batch_size, "Messages per write")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    import_cmd->add_flag("--strict", import.strict, "Stop at the first invalid line");
    bool no_progress = false;
    import_cmd->add_flag("--no-progress", no_progress, "Do not show progress on stderr");
    std::string import_config;
    import_cmd->add_option("--config", import_config,
                           "The server's config file (its identity rules build the graph)");

    cdp::tools::RebuildOptions rebuild;
    std::string rebuild_config;
    bool rebuild_no_progress = false;
    CLI::App* rebuild_cmd = app.add_subcommand(
        "rebuild",
        "Recompute the identity graph from the event log of a stopped data directory, compare "
        "it with the stored one and replace it when they differ");
    rebuild_cmd->add_option("--data", rebuild.data_dir, "RocksDB data directory")
        ->default_val("./data")
        ->capture_default_str();
    rebuild_cmd->add_option("--config", rebuild_config,
                            "The server's config file (its identity rules build the graph)");
    rebuild_cmd->add_flag("--check", rebuild.check,
                          "Only compare; exit 1 when the stored graph differs");
    rebuild_cmd->add_flag("--no-progress", rebuild_no_progress, "Do not show progress on stderr");

    std::string events_data = "./data";
    std::size_t events_limit = 10;
    CLI::App* events_cmd = app.add_subcommand(
        "events", "Print the newest stored events as NDJSON (stopped data directory)");
    events_cmd->add_option("--data", events_data, "RocksDB data directory")->capture_default_str();
    events_cmd->add_option("--limit", events_limit, "How many events")->capture_default_str();

    cdp::tools::GenRunOptions gen;
    bool gen_no_progress = false;
    CLI::App* gen_cmd = app.add_subcommand(
        "gen", "Generate synthetic Spanish citizens' identify events with their ground truth");
    gen_cmd->add_option("--people", gen.gen.people, "People to generate")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}))
        ->capture_default_str();
    gen_cmd->add_option("--seed", gen.gen.seed, "Seed (same seed and options: same output)")
        ->capture_default_str();
    gen_cmd->add_option("--out", gen.events_path, "Events file (NDJSON)")->required();
    gen_cmd->add_option("--truth", gen.truth_path, "Ground truth file (CSV anonymous_id,person_id)")
        ->required();
    gen_cmd
        ->add_option("--events-per-person-mean", gen.gen.events_per_person_mean,
                     "Mean events per person (at least one each)")
        ->check(CLI::Range(1.0, 50.0))
        ->capture_default_str();
    gen_cmd->add_option("--start-date", gen.gen.start_date, "First day of the events (YYYY-MM-DD)")
        ->capture_default_str();
    gen_cmd->add_option("--days", gen.gen.days, "Days the events are spread over")
        ->check(CLI::Range(1, 36500))
        ->capture_default_str();
    gen_cmd->add_option("--id-prefix", gen.gen.id_prefix,
                        "Start of messageIds and anonymousIds (default g<seed>n<people>)");
    gen_cmd->add_option("--typo-rate", gen.gen.typo_rate, "Chance of a typo per name value")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    gen_cmd
        ->add_option("--nickname-rate", gen.gen.nickname_rate,
                     "Chance that a web, app or phone event uses a nickname")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    gen_cmd
        ->add_option("--namesake-rate", gen.gen.namesake_rate,
                     "Share of adults given an earlier person's full name")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    gen_cmd->add_flag("--no-progress", gen_no_progress, "Do not show progress on stderr");

    cdp::tools::EvalOptions eval;
    bool eval_no_send = false;
    bool eval_no_progress = false;
    CLI::App* eval_cmd = app.add_subcommand(
        "eval",
        "Send labelled records through a running server and score its profiles (pairwise "
        "precision, recall, F1)");
    eval_cmd->add_option("--url", eval.url, "The server, http://HOST:PORT")->capture_default_str();
    eval_cmd->add_option("--key", eval.key, "Key with the write and read scopes (e.g. admin)")
        ->required();
    eval_cmd->add_option("--read-key", eval.read_key, "Another key for the look-ups");
    CLI::Option* events_opt =
        eval_cmd->add_option("--events", eval.events_path, "Events from `cdp gen` (NDJSON)");
    CLI::Option* truth_opt =
        eval_cmd->add_option("--truth", eval.truth_path, "Their truth from `cdp gen` (CSV)");
    CLI::Option* csv_opt = eval_cmd->add_option(
        "--csv", eval.csv_paths,
        "A labelled data set (FEBRL, fake_1000, RLdata); twice for FEBRL4's two files");
    events_opt->needs(truth_opt)->excludes(csv_opt);
    truth_opt->needs(events_opt);
    eval_cmd->add_flag("--no-send", eval_no_send, "The records were sent before: only look up");
    eval_cmd->add_option("--batch", eval.batch, "Messages per POST /v1/batch")
        ->check(CLI::Range(1, 2500))
        ->capture_default_str();
    eval_cmd->add_option("--connections", eval.connections, "Connections for the look-ups")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    eval_cmd
        ->add_option("--send-connections", eval.send_connections,
                     "Connections that send (1 keeps the file order)")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    eval_cmd
        ->add_option("--pair-sample", eval.pair_sample,
                     "Wrong pairs examined per kind for the field report")
        ->capture_default_str();
    eval_cmd->add_option("--examples", eval.examples, "Example pairs shown per kind")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    eval_cmd->add_option("--timeout", eval.timeout_s, "Seconds to wait for a reply")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
    eval_cmd->add_flag("--no-progress", eval_no_progress, "Do not show progress on stderr");

    cdp::tools::TrainOptions train;
    std::string train_config;
    bool train_no_progress = false;
    CLI::App* train_cmd = app.add_subcommand(
        "train",
        "Fit the match model (u from random pairs, m and the prior by EM on blocked pairs) on the "
        "person records of a stopped data directory, or of labelled files, print it and store it");
    train_cmd->add_option("--data", train.data_dir,
                          "RocksDB data directory: the records to train on (unless --csv or "
                          "--events), and where the model is stored");
    train_cmd->add_option("--csv", train.csv,
                          "Train on a labelled data set instead (FEBRL, fake_1000, RLdata; labels "
                          "unused); may be repeated");
    train_cmd->add_option("--events", train.events, "Train on `cdp gen` events instead");
    train_cmd->add_option("--truth", train.truth, "The truth file of --events (format check only)");
    train_cmd->add_option("--config", train_config, "The server's config file");
    train_cmd->add_option("--max-pairs", train.max_pairs, "Most blocked candidate pairs compared")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
        ->capture_default_str();
    train_cmd->add_option("--random-pairs", train.random_pairs, "Random pairs compared (for u)")
        ->check(CLI::Range(std::size_t{1000}, std::size_t{100'000'000}))
        ->capture_default_str();
    train_cmd->add_option("--seed", train.seed, "Seed of the random pairs")->capture_default_str();
    train_cmd->add_flag("--dry-run", train.dry_run, "Print the model without storing it");
    train_cmd->add_flag("--no-progress", train_no_progress, "Do not show progress on stderr");

    app.add_option("--log-level", log_level, "debug, info, warn or error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
        ->capture_default_str();

    CLI11_PARSE(app, argc, argv);

    if (log_level == "debug") cdp::SetLogLevel(cdp::LogLevel::kDebug);
    if (log_level == "warn") cdp::SetLogLevel(cdp::LogLevel::kWarning);
    if (log_level == "error") cdp::SetLogLevel(cdp::LogLevel::kError);

    if (serve_cmd->parsed()) {
      serve.writer.sync = durability == "sync";
      serve.store.dedup_retention = std::chrono::hours(dedup_retention_hours);
      serve.change_feed.stall_timeout = std::chrono::milliseconds(subscriber_stall_ms);
      return RunServe(serve, listen, read_timeout_ms, drain_timeout_ms);
    }
    if (import_cmd->parsed()) {
      import.progress = !no_progress;
      auto config = cdp::tools::LoadConfigFile(import_config);
      if (!config.ok()) {
        std::fprintf(stderr, "cdp import: %s\n", config.status().ToString().c_str());
        return 2;
      }
      import.config = std::move(config).value();
      return cdp::tools::RunImport(import);
    }
    if (rebuild_cmd->parsed()) {
      rebuild.progress = !rebuild_no_progress;
      auto config = cdp::tools::LoadConfigFile(rebuild_config);
      if (!config.ok()) {
        std::fprintf(stderr, "cdp rebuild: %s\n", config.status().ToString().c_str());
        return 2;
      }
      rebuild.config = std::move(config).value();
      return cdp::tools::RunRebuild(rebuild);
    }
    if (events_cmd->parsed()) return cdp::tools::RunEvents(events_data, events_limit);
    if (loadgen_cmd->parsed()) return loadgen_cmd->Run();
    if (gen_cmd->parsed()) {
      gen.progress = !gen_no_progress;
      return cdp::tools::RunGen(gen);
    }
    if (train_cmd->parsed()) {
      train.progress = !train_no_progress;
      auto config = cdp::tools::LoadConfigFile(train_config);
      if (!config.ok()) {
        std::fprintf(stderr, "cdp train: %s\n", config.status().ToString().c_str());
        return 2;
      }
      train.config = std::move(config).value();
      return cdp::tools::RunTrain(train);
    }
    if (eval_cmd->parsed()) {
      eval.send = !eval_no_send;
      eval.progress = !eval_no_progress;
      return cdp::tools::RunEval(eval);
    }
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cdp: fatal: %s\n", e.what());
    return 1;
  }
}
