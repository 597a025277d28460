// The `cdp` command line: `cdp serve` runs the server; later subcommands (import, gen, eval,
// loadgen, ...) join here.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "api/server.h"
#include "cdp/log.h"

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
    serve_cmd->add_option("--max-connections", serve.http.max_connections, "Open connections cap")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    app.add_option("--log-level", log_level, "debug, info, warn or error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
        ->capture_default_str();

    CLI11_PARSE(app, argc, argv);

    if (log_level == "debug") cdp::SetLogLevel(cdp::LogLevel::kDebug);
    if (log_level == "warn") cdp::SetLogLevel(cdp::LogLevel::kWarning);
    if (log_level == "error") cdp::SetLogLevel(cdp::LogLevel::kError);

    if (serve_cmd->parsed()) return RunServe(serve, listen, read_timeout_ms, drain_timeout_ms);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cdp: fatal: %s\n", e.what());
    return 1;
  }
}
