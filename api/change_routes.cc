#include "api/change_routes.h"

#include <charconv>

#include "api/profile_routes.h"
#include "cdp/json_writer.h"
#include "cdp/log.h"
#include "cdp/time_format.h"

namespace cdp::api {
namespace {

// WebSocket close code for a subscriber that does not keep up (RFC 6455: policy violation).
constexpr std::uint16_t kTooSlowCloseCode = 1008;

void WriteChange(JsonWriter& w, const storage::Store::StoredChange& entry) {
  w.BeginObject();
  w.Key("seq").Uint(entry.sequence);
  w.Key("type").String(ChangeTypeName(entry.change.type));
  w.Key("profile_id").String(FormatProfileId(entry.change.profile));
  if (entry.change.type == ChangeType::kMerge) {
    w.Key("merged_into").String(FormatProfileId(entry.change.merged_into));
  }
  w.Key("at").String(FormatIso8601(entry.change.at));
  w.EndObject();
}

std::string RenderChanges(const std::vector<storage::Store::StoredChange>& changes,
                          std::uint64_t after) {
  JsonWriter w;
  w.BeginObject();
  w.Key("changes").BeginArray();
  for (const auto& entry : changes) WriteChange(w, entry);
  w.EndArray();
  w.Key("next").String(FormatChangeCursor(changes.empty() ? after : changes.back().sequence));
  w.EndObject();
  return w.Release();
}

}  // namespace

Status ChangeFeedOptions::Validate() const {
  if (max_page == 0 || default_page == 0 || default_page > max_page) {
    return InvalidArgumentError("change feed: page sizes must be positive, default <= max");
  }
  if (frame_changes == 0)
    return InvalidArgumentError("change feed: frame_changes must be positive");
  if (subscriber_buffer_bytes < 64 * 1024) {
    return InvalidArgumentError("change feed: subscriber_buffer_bytes at least 64 KiB");
  }
  if (stall_timeout.count() <= 0) {
    return InvalidArgumentError("change feed: stall_timeout must be positive");
  }
  if (max_subscribers == 0) {
    return InvalidArgumentError("change feed: max_subscribers must be positive");
  }
  return Status::Ok();
}

std::string FormatChangeCursor(std::uint64_t sequence) { return std::to_string(sequence); }

Result<std::uint64_t> ParseChangeCursor(std::string_view text) {
  std::uint64_t value = 0;
  const bool leading_zero = text.size() > 1 && text.front() == '0';
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || leading_zero || ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgumentError("cursor: expected the `next` of an earlier page, or 0");
  }
  return value;
}

// One subscriber: its cursor (the last change queued for it) and its connection.
struct ChangeFeed::Subscriber {
  std::shared_ptr<WebSocketPeer> peer;
  std::uint64_t cursor = 0;  // only the push thread touches it after registration
  // When its queue was first seen past half the buffer (zero while it is not).
  std::chrono::steady_clock::time_point blocked_since{};
};

// Subscribers send nothing; a frame they send gets an error reply.
class ChangeFeed::SubscriberHandler final : public WebSocketHandler {
 public:
  SubscriberHandler(ChangeFeed* feed, std::uint64_t after) : feed_(feed), after_(after) {}

  void OnOpen(std::shared_ptr<WebSocketPeer> peer) override {
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->peer = std::move(peer);
    subscriber->cursor = after_;
    {
      std::lock_guard lock(feed_->mu_);
      feed_->subscribers_.push_back(std::move(subscriber));
      feed_->notified_ = true;
    }
    feed_->subscribers_gauge_->Add(1);
    feed_->wake_.notify_one();
  }

  void OnFrame(std::string&& /*frame*/, std::function<void(std::string)> reply) override {
    JsonWriter w;
    w.BeginObject().Key("error").BeginObject();
    w.Key("code").String(StatusCodeName(StatusCode::kInvalidArgument));
    w.Key("message").String("this stream takes no messages");
    w.EndObject().EndObject();
    reply(w.Release());
  }

 private:
  ChangeFeed* feed_;
  std::uint64_t after_;
};

ChangeFeed::ChangeFeed(storage::Store* store, std::shared_ptr<const KeySet> keys,
                       ChangeFeedOptions options, MetricsRegistry* metrics)
    : store_(store), keys_(std::move(keys)), options_(options) {
  subscribers_gauge_ =
      &metrics->AddGauge("cdp_change_subscribers", "Open change-feed subscriptions");
  cut_off_ = &metrics->AddCounter("cdp_change_subscribers_cut_off_total",
                                  "Subscribers disconnected for not keeping up");
  pushed_ = &metrics->AddCounter("cdp_change_pushed_total", "Changes pushed to subscribers");
  thread_ = std::thread([this] { Run(); });
}

ChangeFeed::~ChangeFeed() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void ChangeFeed::Notify(std::uint64_t /*last*/) {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  wake_.notify_one();
}

void ChangeFeed::AddRoutes(Router& router) {
  router.Add("GET", "/v1/changes", Scope::kRead, [this](HttpRequest&& request, Responder respond) {
    HandleChanges(std::move(request), std::move(respond));
  });
}

Result<std::string> ChangeFeed::RenderPage(std::uint64_t after, std::size_t limit) const {
  std::vector<storage::Store::StoredChange> changes;
  changes.reserve(std::min(limit, options_.max_page));
  CDP_RETURN_IF_ERROR(store_->ReadChanges(after, limit, &changes));
  return RenderChanges(changes, after);
}

void ChangeFeed::HandleChanges(HttpRequest&& request, Responder respond) const {
  std::uint64_t after = 0;
  if (const auto text = request.QueryParam("after")) {
    auto parsed = ParseChangeCursor(*text);
    if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
    after = *parsed;
  }
  std::size_t limit = options_.default_page;
  if (const auto text = request.QueryParam("limit")) {
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value == 0 ||
        value > options_.max_page) {
      return respond(ErrorResponse(
          InvalidArgumentError("limit: expected 1 to " + std::to_string(options_.max_page))));
    }
    limit = value;
  }
  auto page = RenderPage(after, limit);
  if (!page.ok()) return respond(ErrorResponse(page.status()));
  respond(JsonResponse(std::move(*page)));
}

WebSocketRoute ChangeFeed::SubscribeRoute() {
  return WebSocketRoute{
      "/v1/subscribe",
      [this](const HttpRequest& request) -> Result<std::shared_ptr<WebSocketHandler>> {
        auto key = Router::RequestKey(request);
        CDP_RETURN_IF_ERROR(key.status());
        std::optional<std::string> k = *key;
        // Browsers cannot set headers on a WebSocket: accept ?key= as well.
        if (!k.has_value()) k = request.QueryParam("key");
        CDP_RETURN_IF_ERROR(
            keys_->Authorize(k ? std::optional<std::string_view>(*k) : std::nullopt, Scope::kRead));
        // Without a cursor: from now on.
        std::uint64_t after = store_->LastChangeSequence();
        if (const auto text = request.QueryParam("after")) {
          CDP_ASSIGN_OR_RETURN(after, ParseChangeCursor(*text));
        }
        {
          std::lock_guard lock(mu_);
          if (subscribers_.size() >= options_.max_subscribers) {
            return UnavailableError("too many subscribers");
          }
        }
        return std::shared_ptr<WebSocketHandler>(std::make_shared<SubscriberHandler>(this, after));
      }};
}

void ChangeFeed::Run() {
  // Without a notification the thread still looks every so often: a queue that drained, a
  // stalled subscriber's deadline.
  constexpr auto kTick = std::chrono::milliseconds(50);
  bool more = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (!more) wake_.wait_for(lock, kTick, [this] { return notified_ || stop_; });
      if (stop_) break;
      notified_ = false;
    }
    try {
      more = PushRound();
    } catch (const std::exception& e) {
      LogError(std::string("change feed push failed: ") + e.what());
      more = false;
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& s : subscribers_) s->peer->Close(1001, "server shutting down");
  subscribers_.clear();
}

bool ChangeFeed::PushRound() {
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  {
    std::lock_guard lock(mu_);
    std::erase_if(subscribers_, [this](const std::shared_ptr<Subscriber>& s) {
      if (!s->peer->closed()) return false;
      subscribers_gauge_->Add(-1);
      return true;
    });
    subscribers = subscribers_;
  }
  const std::uint64_t last = store_->LastChangeSequence();
  const auto now = std::chrono::steady_clock::now();
  bool more = false;
  std::vector<storage::Store::StoredChange> changes;
  for (const auto& s : subscribers) {
    if (s->cursor >= last || s->peer->closed()) continue;
    if (s->peer->QueuedBytes() > options_.subscriber_buffer_bytes / 2) {
      if (s->blocked_since == std::chrono::steady_clock::time_point{}) {
        s->blocked_since = now;
      } else if (now - s->blocked_since >= options_.stall_timeout) {
        cut_off_->Increment();
        Log(LogLevel::kWarning, "change feed: cut off a subscriber that stopped reading");
        s->peer->Close(kTooSlowCloseCode,
                       "subscriber too slow; resume with after=<the last seq received>");
      }
      continue;
    }
    s->blocked_since = {};
    changes.clear();
    Status read = store_->ReadChanges(s->cursor, options_.frame_changes, &changes);
    if (!read.ok()) {
      Log(LogLevel::kError, "change feed: " + read.ToString());
      s->peer->Close(1011, "cannot read the change feed");
      continue;
    }
    if (changes.empty()) continue;
    const std::uint64_t after = s->cursor;
    s->cursor = changes.back().sequence;
    pushed_->Increment(changes.size());
    s->peer->Send(RenderChanges(changes, after));
    if (s->cursor < last) more = true;
  }
  return more;
}

}  // namespace cdp::api
