// The `cdp` command line: `cdp serve` runs the server, `cdp loadgen` measures it; later
// subcommands (import, gen, eval, ...) join here.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "api/server.h"
#include "cdp/log.h"
#include "tools/data_commands.h"
#include "tools/loadgen_cli.h"

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
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cdp: fatal: %s\n", e.what());
    return 1;
  }
}
