#include "api/ingest_routes.h"

#include <unordered_map>

#include "cdp/json_writer.h"
#include "ingest/gzip.h"

namespace cdp::api {
namespace {

constexpr std::string_view kRejectReasons[] = {"malformed_json",    "invalid_utf8",
                                               "too_deep",          "invalid_message",
                                               "request_too_large", "too_many_messages",
                                               "bad_gzip",          "unsupported_encoding",
                                               "unauthenticated",   "forbidden",
                                               "overloaded",        "shutting_down",
                                               "commit_failed",     "other"};

std::string InvalidItemsBody(const std::vector<ingest::ItemError>& errors, std::size_t total) {
  JsonWriter w;
  w.BeginObject().Key("error").BeginObject();
  w.Key("code").String(StatusCodeName(StatusCode::kInvalidArgument));
  w.Key("message").String(std::to_string(errors.size()) + " of " + std::to_string(total) +
                          " messages are invalid; nothing was stored");
  w.Key("invalid").BeginArray();
  for (const auto& e : errors) {
    w.BeginObject().Key("index").Uint(e.index).Key("message").String(e.message).EndObject();
  }
  w.EndArray().EndObject().EndObject();
  return w.Release();
}

HttpResponse WithChallenge(HttpResponse response) {
  if (response.status == 401) {
    response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"cdp\"");
  }
  return response;
}

std::string_view AuthReason(const Status& s) {
  return s.code() == StatusCode::kPermissionDenied ? "forbidden" : "unauthenticated";
}

std::string_view SubmitReason(const Status& s) {
  if (s.code() == StatusCode::kResourceExhausted) return "overloaded";
  if (s.code() == StatusCode::kUnavailable) return "shutting_down";
  return "commit_failed";
}

std::string NackBody(std::int64_t seq, const Status& status,
                     const std::vector<ingest::ItemError>* errors, std::size_t total) {
  JsonWriter w;
  w.BeginObject().Key("nack").Int(seq).Key("error").BeginObject();
  w.Key("code").String(StatusCodeName(status.code()));
  const int http = HttpStatusFor(status.code());
  w.Key("message").String(http >= 500 && http != 503 ? "internal error" : status.message());
  if (errors != nullptr) {
    w.Key("invalid").BeginArray();
    for (const auto& e : *errors) {
      w.BeginObject().Key("index").Uint(e.index).Key("message").String(e.message).EndObject();
    }
    w.EndArray();
  }
  (void)total;
  w.EndObject().EndObject();
  return w.Release();
}

}  // namespace

struct IngestService::Metrics {
  std::unordered_map<std::string_view, Counter*> rejected;
  Counter* requests = nullptr;
  Counter* events_accepted = nullptr;
};

IngestService::IngestService(ingest::IngestWriter* writer, std::shared_ptr<const KeySet> keys,
                             ingest::SegmentParserOptions parser_options, MetricsRegistry* metrics,
                             const Clock* clock, const std::atomic<bool>* accepting)
    : writer_(writer),
      keys_(std::move(keys)),
      parser_options_(std::move(parser_options)),
      limits_(parser_options_.limits),
      clock_(clock),
      accepting_(accepting),
      metrics_(std::make_unique<Metrics>()) {
  for (std::string_view reason : kRejectReasons) {
    metrics_->rejected[reason] = &metrics->AddCounter(
        "cdp_ingest_rejected_total", "Ingest requests and frames refused, by reason",
        {{"reason", std::string(reason)}});
  }
  metrics_->requests =
      &metrics->AddCounter("cdp_ingest_requests_total", "Ingest requests and frames acknowledged");
  metrics_->events_accepted =
      &metrics->AddCounter("cdp_ingest_events_accepted_total",
                           "Events acknowledged as durable (newly stored or already stored)");
}

IngestService::~IngestService() = default;

void IngestService::CountRejected(std::string_view reason) {
  auto it = metrics_->rejected.find(reason);
  if (it == metrics_->rejected.end()) it = metrics_->rejected.find("other");
  it->second->Increment();
}

std::unique_ptr<ingest::SegmentParser> IngestService::AcquireParser() {
  {
    std::lock_guard lock(parsers_mu_);
    if (!parsers_.empty()) {
      auto parser = std::move(parsers_.back());
      parsers_.pop_back();
      return parser;
    }
  }
  return std::make_unique<ingest::SegmentParser>(parser_options_);
}

void IngestService::ReleaseParser(std::unique_ptr<ingest::SegmentParser> parser) {
  std::lock_guard lock(parsers_mu_);
  parsers_.push_back(std::move(parser));
}

void IngestService::AddRoutes(Router& router) {
  const std::pair<const char*, std::optional<EventType>> routes[] = {
      {"/v1/identify", EventType::kIdentify},
      {"/v1/track", EventType::kTrack},
      {"/v1/page", EventType::kPage},
      {"/v1/screen", EventType::kScreen},
      {"/v1/group", EventType::kGroup},
      {"/v1/alias", EventType::kAlias},
      {"/v1/batch", std::nullopt}};
  for (const auto& [path, type] : routes) {
    // Authentication happens in the handler: the key may also come as "writeKey" in the body.
    router.Add("POST", path, std::nullopt,
               [this, t = type](HttpRequest&& request, Responder respond) {
                 HandlePost(t, std::move(request), std::move(respond));
               });
  }
}

void IngestService::Submit(std::vector<Event>&& events,
                           std::function<void(const Status&, std::size_t)> finish) {
  const std::size_t count = events.size();
  auto done = [this, finish, count](const ingest::WriteOutcome& outcome) {
    if (outcome.status.ok()) {
      metrics_->requests->Increment();
      metrics_->events_accepted->Increment(count);
    } else {
      CountRejected("commit_failed");
    }
    finish(outcome.status, count);
  };
  Status s = writer_->Submit(std::move(events), std::move(done));
  if (!s.ok()) {
    CountRejected(SubmitReason(s));
    finish(s, 0);
  }
}

void IngestService::HandlePost(std::optional<EventType> type, HttpRequest&& request,
                               Responder respond) {
  if (!accepting_->load()) {
    CountRejected("shutting_down");
    respond(ErrorResponse(UnavailableError("the server is shutting down")));
    return;
  }
  auto header_key = Router::RequestKey(request);
  if (!header_key.ok()) {
    CountRejected("unauthenticated");
    respond(WithChallenge(ErrorResponse(header_key.status())));
    return;
  }
  // The name of the key, stamped into each event as its source.
  std::string_view source;
  if (header_key->has_value()) {
    Status auth = keys_->Authorize(**header_key, Scope::kWrite);
    if (!auth.ok()) {
      CountRejected(AuthReason(auth));
      respond(WithChallenge(ErrorResponse(auth)));
      return;
    }
    source = keys_->Find(**header_key)->name;
  }

  std::string inflated;
  std::string_view body = request.body;
  if (auto encoding = request.Header("content-encoding"); encoding.has_value()) {
    if (*encoding == "gzip" || *encoding == "x-gzip") {
      auto out = ingest::Gunzip(request.body, limits_.max_request_bytes);
      if (!out.ok()) {
        const bool too_large = out.status().code() == StatusCode::kPayloadTooLarge;
        CountRejected(too_large ? "request_too_large" : "bad_gzip");
        respond(ErrorResponse(out.status()));
        return;
      }
      inflated = std::move(out).value();
      body = inflated;
    } else if (*encoding != "identity") {
      CountRejected("unsupported_encoding");
      respond(ErrorResponse(InvalidArgumentError("unsupported Content-Encoding (use gzip)")));
      return;
    }
  }

  ingest::ParsedRequest parsed;
  ingest::ParseFailure failure;
  auto parser = AcquireParser();
  const Timestamp now = clock_->Now();
  auto parse = [&] {
    return type.has_value() ? parser->ParseSingle(*type, body, now, &parsed, &failure, source)
                            : parser->ParseBatch(body, now, &parsed, &failure, source);
  };
  bool ok = parse();

  if (!header_key->has_value()) {
    // The key may only come from the body; a body we cannot read names no key.
    std::optional<std::string_view> key;
    if (ok && parsed.write_key.has_value()) key = *parsed.write_key;
    Status auth = keys_->Authorize(key, Scope::kWrite);
    if (!auth.ok()) {
      ReleaseParser(std::move(parser));
      CountRejected(AuthReason(auth));
      respond(WithChallenge(ErrorResponse(auth)));
      return;
    }
    // Only now is the key's name known: parse again to stamp it (legacy clients that send
    // the key in the body, with a named key, pay a second parse).
    source = keys_->Find(*key)->name;
    if (!source.empty()) {
      parsed = ingest::ParsedRequest();
      ok = parse();
    }
  }
  ReleaseParser(std::move(parser));
  if (!ok) {
    CountRejected(failure.reason);
    respond(ErrorResponse(failure.status));
    return;
  }
  if (!parsed.errors.empty()) {
    CountRejected("invalid_message");
    respond(JsonResponse(
        InvalidItemsBody(parsed.errors, parsed.errors.size() + parsed.events.size()), 400));
    return;
  }
  Submit(std::move(parsed.events), [respond](const Status& status, std::size_t) {
    if (status.ok()) {
      respond(JsonResponse(R"({"success":true})"));
    } else {
      respond(ErrorResponse(status));
    }
  });
}

// One /v1/stream connection: each frame is parsed and submitted; its ack or nack is the reply.
class IngestService::StreamHandler final : public WebSocketHandler {
 public:
  // `source`: the name of the key the connection was authorised with (empty: none).
  StreamHandler(IngestService* service, std::string source)
      : service_(service), source_(std::move(source)) {}

  void OnFrame(std::string&& frame, std::function<void(std::string)> reply) override {
    const std::int64_t position = ++frames_;
    ingest::ParsedRequest parsed;
    ingest::ParseFailure failure;
    auto parser = service_->AcquireParser();
    const bool ok = parser->ParseFrame(frame, service_->clock_->Now(), &parsed, &failure, source_);
    service_->ReleaseParser(std::move(parser));
    const std::int64_t seq = parsed.seq.value_or(position);
    if (!service_->accepting_->load()) {
      service_->CountRejected("shutting_down");
      reply(NackBody(seq, UnavailableError("the server is shutting down"), nullptr, 0));
      return;
    }
    if (!ok) {
      service_->CountRejected(failure.reason);
      reply(NackBody(seq, failure.status, nullptr, 0));
      return;
    }
    if (!parsed.errors.empty()) {
      service_->CountRejected("invalid_message");
      const std::size_t total = parsed.errors.size() + parsed.events.size();
      reply(NackBody(
          seq,
          InvalidArgumentError(std::to_string(parsed.errors.size()) + " of " +
                               std::to_string(total) + " messages are invalid; nothing was stored"),
          &parsed.errors, total));
      return;
    }
    service_->Submit(std::move(parsed.events),
                     [reply, seq](const Status& status, std::size_t accepted) {
                       if (!status.ok()) {
                         reply(NackBody(seq, status, nullptr, 0));
                         return;
                       }
                       JsonWriter w;
                       w.BeginObject().Key("ack").Int(seq).Key("accepted").Uint(accepted);
                       w.EndObject();
                       reply(w.Release());
                     });
  }

 private:
  IngestService* service_;
  const std::string source_;
  std::int64_t frames_ = 0;
};

WebSocketRoute IngestService::StreamRoute() {
  return WebSocketRoute{
      "/v1/stream",
      [this](const HttpRequest& request) -> Result<std::shared_ptr<WebSocketHandler>> {
        auto key = Router::RequestKey(request);
        Status auth = key.status();
        std::optional<std::string> k;
        if (auth.ok()) {
          k = *key;
          // Browsers cannot set headers on a WebSocket: accept ?writeKey= as well.
          if (!k.has_value()) k = request.QueryParam("writeKey");
          auth = keys_->Authorize(k ? std::optional<std::string_view>(*k) : std::nullopt,
                                  Scope::kWrite);
        }
        if (!auth.ok()) {
          CountRejected(AuthReason(auth));
          return auth;
        }
        return std::shared_ptr<WebSocketHandler>(
            std::make_shared<StreamHandler>(this, keys_->Find(*k)->name));
      }};
}

}  // namespace cdp::api
