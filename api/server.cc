#include "api/server.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/ingest_routes.h"
#include "api/openapi.h"
#include "api/profile_routes.h"
#include "api/profile_traits_writer.h"
#include "api/router.h"
#include "cdp/identity_service.h"
#include "cdp/json_writer.h"
#include "cdp/log.h"
#include "cdp/metrics.h"
#include "ingest/config_parser.h"
#include "ingest/phone_normalizer.h"
#include "storage/identity_load.h"
#include "storage/store.h"

namespace cdp::api {
namespace {

constexpr std::string_view kVersion = "0.1.0";

Result<std::string> ReadSmallFile(const std::string& path, std::size_t limit) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return NotFoundError("cannot read " + path + ": " + ec.message());
  if (size > limit) return InvalidArgumentError(path + ": file too large");
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (!in && !in.eof()) return IoError("cannot read " + path);
  return buffer.str();
}

// Writes `content` to `path` atomically (temporary file, fsync, rename) with mode 0600.
Status WritePrivateFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create " + tmp);
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0) {
      ::close(fd);
      return IoError("cannot write " + tmp);
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return IoError("cannot sync " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return IoError("cannot rename " + tmp);
  return Status::Ok();
}

// The keys from the config file, or else from DIR/keys.json, or else a new demo set written
// there and printed once.
Result<std::vector<ApiKey>> LoadKeys(const ServeOptions& options, const Config& config) {
  if (!config.keys.empty()) return config.keys;
  const std::string path = (std::filesystem::path(options.data_dir) / "keys.json").string();
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    CDP_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, ingest::kMaxConfigBytes));
    auto parsed = ingest::ParseConfig(text);
    if (!parsed.ok()) return parsed.status().WithContext(path);
    if (parsed->keys.empty()) return InvalidArgumentError(path + ": holds no keys");
    LogInfo("loaded " + std::to_string(parsed->keys.size()) + " API keys from the data directory");
    return parsed->keys;
  }
  std::vector<ApiKey> keys = {
      {GenerateKey("wk"), ScopeSet{Scope::kWrite}},
      {GenerateKey("rk"), ScopeSet{Scope::kRead}},
      {GenerateKey("ak"), ScopeSet{Scope::kRead, Scope::kWrite, Scope::kAdmin}},
  };
  CDP_RETURN_IF_ERROR(WritePrivateFile(path, RenderKeysJson(keys)));
  std::printf(
      "cdp: created demo API keys (stored in %s, shown only now)\n"
      "  write key: %s\n  read key:  %s\n  admin key: %s\n",
      path.c_str(), keys[0].key.c_str(), keys[1].key.c_str(), keys[2].key.c_str());
  std::fflush(stdout);
  return keys;
}

// Everything the ops and admin routes read. Outlives the HTTP server.
struct ServerState {
  std::atomic<bool> ready{false};
  storage::Store* store = nullptr;
  MetricsRegistry metrics;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  std::atomic<int> threads{0};
};

void AddRoutes(Router& router, ServerState& state, const std::shared_ptr<const KeySet>& keys) {
  router.Add("GET", "/healthz", std::nullopt,
             [](HttpRequest&&, Responder respond) { respond(JsonResponse(R"({"status":"ok"})")); });
  router.Add("GET", "/readyz", std::nullopt, [&state](HttpRequest&&, Responder respond) {
    if (!state.ready.load()) {
      respond(ErrorResponse(UnavailableError("not ready: starting or shutting down")));
      return;
    }
    respond(JsonResponse(R"({"status":"ready"})"));
  });
  router.Add("GET", "/metrics", std::nullopt, [&state](HttpRequest&&, Responder respond) {
    HttpResponse response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = state.metrics.RenderPrometheus();
    respond(std::move(response));
  });
  router.Add("GET", "/openapi.json", std::nullopt, [](HttpRequest&&, Responder respond) {
    respond(JsonResponse(std::string(OpenApiDocument())));
  });
  router.AddWithAnyKey("GET", "/v1/whoami", [keys](HttpRequest&& request, Responder respond) {
    auto key = Router::RequestKey(request);
    const auto scopes = key.ok() && key->has_value() ? keys->Lookup(**key) : std::nullopt;
    JsonWriter w;
    w.BeginObject().Key("scopes").BeginArray();
    for (Scope s : {Scope::kRead, Scope::kWrite, Scope::kAdmin}) {
      if (scopes && scopes->Has(s)) w.String(ScopeName(s));
    }
    w.EndArray().EndObject();
    respond(JsonResponse(w.Release()));
  });
  router.Add("GET", "/v1/admin/info", Scope::kAdmin, [&state](HttpRequest&&, Responder respond) {
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now() - state.started);
    JsonWriter w;
    w.BeginObject();
    w.Key("version").String(kVersion);
    w.Key("format_version").Uint(state.store->format_version());
    w.Key("uptime_seconds").Int(uptime.count());
    w.Key("threads").Int(state.threads.load());
    w.Key("ready").Bool(state.ready.load());
    w.EndObject();
    respond(JsonResponse(w.Release()));
  });
}

void RegisterProcessMetrics(ServerState& state) {
  state.metrics.AddCallbackGauge("cdp_build_info", "Build information; the value is 1",
                                 [] { return 1.0; }, {{"version", std::string(kVersion)}});
  const double start_seconds =
      std::chrono::duration<double>(state.started.time_since_epoch()).count();
  state.metrics.AddCallbackGauge("cdp_process_start_time_seconds",
                                 "Start time of the process since the Unix epoch",
                                 [start_seconds] { return start_seconds; });
  state.metrics.AddCallbackGauge("cdp_ready", "1 when the server accepts traffic",
                                 [&state] { return state.ready.load() ? 1.0 : 0.0; });
}

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts later, so that
// WaitForStopSignal() receives them synchronously.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForStopSignal(const sigset_t& set) {
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgumentError("listen address: expected [IPV6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return InvalidArgumentError("listen address: expected ADDR:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return InvalidArgumentError("listen address: empty host");
  if (port.empty() || port.size() > 5) return InvalidArgumentError("listen address: bad port");
  std::uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return InvalidArgumentError("listen address: bad port");
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > 65535) return InvalidArgumentError("listen address: port above 65535");
  if (host == "localhost") host = "127.0.0.1";
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

Status Serve(const ServeOptions& options) {
  const sigset_t stop_signals = BlockStopSignals();
  CDP_RETURN_IF_ERROR(options.http.Validate());

  Config config;
  if (!options.config_path.empty()) {
    CDP_ASSIGN_OR_RETURN(std::string text,
                         ReadSmallFile(options.config_path, ingest::kMaxConfigBytes));
    auto parsed = ingest::ParseConfig(text);
    if (!parsed.ok()) return parsed.status().WithContext(options.config_path);
    config = std::move(parsed).value();
  }

  CDP_RETURN_IF_ERROR(options.ingest_limits.Validate());
  CDP_RETURN_IF_ERROR(options.writer.Validate());
  CDP_RETURN_IF_ERROR(options.change_feed.Validate());
  auto store_or = storage::Store::Open(options.data_dir, options.store);
  if (!store_or.ok()) return store_or.status().WithContext("data directory " + options.data_dir);
  std::unique_ptr<storage::Store> store = std::move(store_or).value();
  LogInfo("store open, format version " + std::to_string(store->format_version()) + ", " +
          std::to_string(store->EventCount()) + " events");

  CDP_ASSIGN_OR_RETURN(std::vector<ApiKey> key_list, LoadKeys(options, config));
  CDP_ASSIGN_OR_RETURN(KeySet key_set, KeySet::Create(std::move(key_list)));
  auto keys = std::make_shared<const KeySet>(std::move(key_set));

  ServerState state;
  state.store = store.get();
  RegisterProcessMetrics(state);
  storage::Store* store_ptr = store.get();
  state.metrics.AddCallbackGauge(
      "cdp_events_stored", "Distinct events in the durable log",
      [store_ptr] { return static_cast<double>(store_ptr->EventCount()); });

  // The identity graph, loaded from the store; the writer applies each commit to it.
  const auto load_start = std::chrono::steady_clock::now();
  auto graph_or = storage::LoadIdentity(*store, config.identity, config.matching);
  if (!graph_or.ok()) {
    Status close_status = store->Close();
    if (!close_status.ok()) LogError("closing the store: " + close_status.ToString());
    return graph_or.status().WithContext("data directory " + options.data_dir);
  }
  {
    const IdentityGraphStats stats = graph_or->graph->Stats();
    const MatcherStats match_stats = graph_or->matcher->Stats();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.2f", seconds);
    LogInfo("identity graph loaded: " + std::to_string(stats.nodes) + " identifiers, " +
            std::to_string(stats.profiles) + " profiles, " + std::to_string(stats.edges) +
            " edges, " + std::to_string(match_stats.records) + " person records (match model " +
            std::to_string(graph_or->matcher->model().version) + ") in " + took + " s");
  }
  const IdentityConfig identity_config = config.identity;
  const MatcherOptions matching = config.matching;
  IdentityService identity(
      std::move(graph_or).value(),
      [store_ptr, identity_config, matching] {
        return storage::LoadIdentity(*store_ptr, identity_config, matching);
      },
      &state.metrics);
  const PhoneNormalizer& phones = ingest::DefaultPhoneNormalizer();
  // Each profile's traits, written with the graph's changes.
  ingest::SegmentParserOptions replay_options;
  replay_options.limits = options.ingest_limits;
  replay_options.identity = config.identity;
  replay_options.phones = &phones;
  ProfileTraitsWriter traits_writer(
      store.get(), config.profiles, std::move(replay_options),
      identity.Read([](const IdentityGraph& g) { return g.ProfileIdEnd(); }), &state.metrics);
  identity.SetDerivedStateWriter(&traits_writer);

  // The change feed: subscribers are woken by each commit that adds changes.
  auto changes =
      std::make_unique<ChangeFeed>(store.get(), keys, options.change_feed, &state.metrics);
  store->SetChangeListener([feed = changes.get()](std::uint64_t last) { feed->Notify(last); });

  ingest::WriterOptions writer_options = options.writer;
  writer_options.applier = &identity;
  auto writer_or = ingest::IngestWriter::Start(store.get(), writer_options, &state.metrics);
  if (!writer_or.ok()) {
    store->SetChangeListener(nullptr);
    return writer_or.status();
  }
  std::unique_ptr<ingest::IngestWriter> writer = std::move(writer_or).value();
  ingest::SegmentParserOptions parser_options;
  parser_options.limits = options.ingest_limits;
  parser_options.identity = config.identity;
  parser_options.phones = &phones;
  IngestService ingest(writer.get(), keys, std::move(parser_options), &state.metrics,
                       &SystemClock::Default(), &state.ready);
  ProfileService profiles(config.identity, &identity, store.get(), writer.get(), &phones,
                          options.writer.sync);

  Router router(keys);
  AddRoutes(router, state, keys);
  ingest.AddRoutes(router);
  profiles.AddRoutes(router);
  changes->AddRoutes(router);

  auto server_or =
      HttpServer::Start(options.http,
                        [&router](HttpRequest&& request, Responder respond) {
                          router.Dispatch(std::move(request), std::move(respond));
                        },
                        &state.metrics, {ingest.StreamRoute(), changes->SubscribeRoute()});
  if (!server_or.ok()) {
    writer->Stop();
    store->SetChangeListener(nullptr);
    Status close_status = store->Close();
    if (!close_status.ok()) LogError("closing the store: " + close_status.ToString());
    return server_or.status();
  }
  std::unique_ptr<HttpServer> server = std::move(server_or).value();
  state.threads = server->threads();
  state.ready.store(true);
  const std::string host = options.http.address.find(':') != std::string::npos
                               ? "[" + options.http.address + "]"
                               : options.http.address;
  std::printf("cdp: listening on http://%s:%u\n", host.c_str(),
              static_cast<unsigned>(server->port()));
  std::fflush(stdout);
  LogInfo("serving on port " + std::to_string(server->port()));

  const int signal_number = WaitForStopSignal(stop_signals);
  LogInfo(std::string("received ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
          ", draining connections");
  state.ready.store(false);
  server->Shutdown();  // in-flight requests finish: their events are committed and answered
  server.reset();
  writer->Stop();
  store->SetChangeListener(nullptr);
  changes.reset();
  LogInfo(std::to_string(store->EventCount()) + " events in the store");
  Status closed = store->Close();
  if (!closed.ok()) return closed;
  LogInfo("store closed cleanly; bye");
  return Status::Ok();
}

}  // namespace cdp::api
