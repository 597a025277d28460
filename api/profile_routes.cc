#include "api/profile_routes.h"

#include <algorithm>
#include <charconv>
#include <future>
#include <limits>
#include <memory>
#include <utility>

#include "cdp/json_writer.h"
#include "cdp/time_format.h"
#include "ingest/profile_requests.h"

namespace cdp::api {
namespace {

constexpr std::string_view kProfilePrefix = "p_";
constexpr std::string_view kReviewPrefix = "r_";
// Review queue pages (docs/openapi.json, Limit).
constexpr std::size_t kDefaultReviewPage = 100;
constexpr std::size_t kMaxReviewPage = 1000;
// Timeline pages (docs/openapi.json, EventLimit).
constexpr std::size_t kDefaultEventPage = 100;
constexpr std::size_t kMaxEventPage = 1000;

std::string FormatSeconds(std::uint32_t seconds) {
  return FormatIso8601(Timestamp(std::chrono::seconds(seconds)));
}

std::string_view TypeName(const IdentityConfig& config, IdentifierType type) {
  return type < config.types.size() ? std::string_view(config.types[type].name)
                                    : std::string_view("unknown");
}

std::optional<std::uint64_t> ParseDecimal(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits || text.front() == '0') return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The `limit` query parameter of a paged route: `fallback` when absent; kInvalidArgument
// unless 1 to `max` (at most four digits, no leading zero).
Result<std::size_t> PageLimit(const HttpRequest& request, std::size_t fallback, std::size_t max) {
  const auto text = request.QueryParam("limit");
  if (!text) return fallback;
  const auto value = ParseDecimal(*text, 4);
  if (!value || *value > max) {
    return InvalidArgumentError("limit: expected 1 to " + std::to_string(max));
  }
  return static_cast<std::size_t>(*value);
}

// The waterfall of a probabilistic link or review item: "weight" and "contributions" (each
// field's weight) as API.md names them, and "explanation" with the prior, each field's
// comparison level and weight, the total and the record-to-cluster score.
void WriteMatchEvidence(JsonWriter& w, const MatchEvidence& m, double weight) {
  w.Key("weight").Double(weight);
  w.Key("contributions").BeginObject();
  for (const FieldContribution& f : m.fields) {
    w.Key(MatchFieldName(f.field)).Double(f.weight);
  }
  w.EndObject();
  w.Key("explanation").BeginObject();
  w.Key("model_version").Uint(m.model_version);
  w.Key("prior").Double(m.prior);
  w.Key("fields").BeginArray();
  for (const FieldContribution& f : m.fields) {
    w.BeginObject();
    w.Key("field").String(MatchFieldName(f.field));
    w.Key("level").String(MatchLevelName(f.field, f.level));
    w.Key("weight").Double(f.weight);
    w.EndObject();
  }
  w.EndArray();
  w.Key("total").Double(m.weight);
  w.Key("best_pair_weight").Double(m.best_pair_weight);
  w.EndObject();
}

// The computed traits: "computed" with first and last seen, event counts by channel and by
// type, the preferred channel and the services interacted with.
void WriteComputed(JsonWriter& w, const ProfileTraits& traits) {
  const ComputedTraits& c = traits.computed();
  w.Key("computed").BeginObject();
  w.Key("event_count").Uint(c.event_count);
  if (c.event_count > 0) {
    w.Key("first_seen").String(FormatIso8601(c.first_seen));
    w.Key("last_seen").String(FormatIso8601(c.last_seen));
  }
  w.Key("events_by_channel").BeginObject();
  for (const auto& [channel, count] : c.channel_counts) w.Key(channel).Uint(count);
  if (c.other_channel_events > 0) w.Key("(other)").Uint(c.other_channel_events);
  w.EndObject();
  w.Key("events_by_type").BeginObject();
  for (std::size_t t = 0; t < c.type_counts.size(); ++t) {
    if (c.type_counts[t] > 0) {
      w.Key(EventTypeName(static_cast<EventType>(t))).Uint(c.type_counts[t]);
    }
  }
  w.EndObject();
  if (const auto preferred = traits.PreferredChannel()) {
    w.Key("preferred_channel").String(*preferred);
  } else {
    w.Key("preferred_channel").Null();
  }
  w.Key("services").BeginArray();
  for (const std::string& s : c.services) w.String(s);
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string FormatReviewId(std::uint32_t id) {
  return std::string(kReviewPrefix) + std::to_string(id);
}

std::optional<std::uint32_t> ParseReviewId(std::string_view text) {
  if (!text.starts_with(kReviewPrefix)) return std::nullopt;
  const auto value = ParseDecimal(text.substr(kReviewPrefix.size()), 10);
  if (!value || *value > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  return static_cast<std::uint32_t>(*value);
}

std::string FormatProfileId(std::uint64_t id) {
  return std::string(kProfilePrefix) + std::to_string(id);
}

std::optional<std::uint64_t> ParseProfileId(std::string_view text) {
  if (!text.starts_with(kProfilePrefix)) return std::nullopt;
  return ParseDecimal(text.substr(kProfilePrefix.size()), 19);
}

ProfileService::ProfileService(IdentityConfig config, IdentityService* identity,
                               storage::Store* store, ingest::IngestWriter* writer,
                               const PhoneNormalizer* phones, bool sync)
    : config_(std::move(config)),
      identity_(identity),
      store_(store),
      writer_(writer),
      phones_(phones),
      sync_(sync) {}

void ProfileService::AddRoutes(Router& router) {
  router.Add("GET", "/v1/profiles/{ref}", Scope::kRead,
             [this](HttpRequest&& request, Responder respond) {
               HandleGet(std::move(request), std::move(respond));
             });
  router.Add("GET", "/v1/profiles/{ref}/links", Scope::kRead,
             [this](HttpRequest&& request, Responder respond) {
               HandleLinks(std::move(request), std::move(respond));
             });
  router.Add("GET", "/v1/profiles/{ref}/events", Scope::kRead,
             [this](HttpRequest&& request, Responder respond) {
               HandleEvents(std::move(request), std::move(respond));
             });
  router.Add("POST", "/v1/profiles/{ref}/split", Scope::kAdmin,
             [this](HttpRequest&& request, Responder respond) {
               HandleSplit(std::move(request), std::move(respond));
             });
  router.Add("GET", "/v1/review", Scope::kAdmin, [this](HttpRequest&& request, Responder respond) {
    HandleReviewList(std::move(request), std::move(respond));
  });
  router.Add("POST", "/v1/review/{id}", Scope::kAdmin,
             [this](HttpRequest&& request, Responder respond) {
               HandleReviewDecide(std::move(request), std::move(respond));
             });
}

Result<std::uint64_t> ProfileService::Resolve(std::string_view ref) const {
  if (ref.find(':') == std::string_view::npos) {
    const std::optional<std::uint64_t> id = ParseProfileId(ref);
    if (!id) {
      return InvalidArgumentError("profile reference: expected a profile id (p_N) or type:value");
    }
    auto active = identity_->Read([&](const IdentityGraph& g) { return g.ResolveProfileId(*id); });
    if (!active) return NotFoundError("no such profile");
    return *active;
  }
  CDP_ASSIGN_OR_RETURN(Identifier id, ParseIdentifierRef(config_, ref, phones_));
  auto profile =
      identity_->Read([&](const IdentityGraph& g) { return g.FindProfile(id.type, id.value); });
  if (!profile) return NotFoundError("no profile has this identifier");
  return *profile;
}

std::optional<ProfileView> ProfileService::ViewOf(std::uint64_t id) const {
  // Resolved under the same lock as the read: the writer may merge the profile away between
  // two locks.
  return identity_->Read([&](const IdentityGraph& g) -> std::optional<ProfileView> {
    const std::optional<std::uint64_t> active = g.ResolveProfileId(id);
    if (!active) return std::nullopt;
    return g.View(*active);
  });
}

void ProfileService::WriteProfile(JsonWriter& w, const ProfileView& view,
                                  const std::optional<ProfileRecord>& record,
                                  const std::optional<ProfileTraits>& traits) const {
  const IdentityConfig& config = config_;
  std::uint32_t updated = 0;
  w.BeginObject();
  w.Key("id").String(FormatProfileId(view.id));
  w.Key("identifiers").BeginArray();
  for (const ProfileIdentifier& id : view.identifiers) {
    updated = std::max(updated, id.last_seen);
    w.BeginObject();
    w.Key("type").String(TypeName(config, id.type));
    w.Key("value").String(id.value);
    w.Key("first_seen").String(FormatSeconds(id.first_seen));
    w.Key("last_seen").String(FormatSeconds(id.last_seen));
    w.EndObject();
  }
  w.EndArray();
  w.Key("traits").BeginObject();
  if (traits) {
    for (const auto& [name, entry] : traits->traits()) w.Key(name).Raw(entry.value_json);
  }
  w.EndObject();
  w.Key("trait_sources").BeginObject();
  if (traits) {
    for (const auto& [name, entry] : traits->traits()) {
      w.Key(name).BeginObject();
      w.Key("source").String(entry.source);
      w.Key("message_id").String(entry.message_id);
      w.Key("timestamp").String(FormatIso8601(entry.timestamp));
      w.EndObject();
    }
  }
  w.EndObject();
  WriteComputed(w, traits ? *traits : ProfileTraits());
  if (record) w.Key("created_at").String(FormatIso8601(record->created_at));
  w.Key("updated_at").String(FormatSeconds(updated));
  w.Key("merged_ids").BeginArray();
  for (std::uint64_t m : view.merged_ids) w.String(FormatProfileId(m));
  w.EndArray();
  w.EndObject();
}

Result<std::string> ProfileService::RenderProfile(std::uint64_t id) const {
  const std::optional<ProfileView> view = ViewOf(id);
  if (!view) return NotFoundError("no such profile");
  std::optional<ProfileRecord> record;
  std::optional<ProfileTraits> traits;
  CDP_RETURN_IF_ERROR(store_->GetProfileWithTraits(view->id, &record, &traits));
  JsonWriter w;
  WriteProfile(w, *view, record, traits);
  return w.Release();
}

void ProfileService::HandleGet(HttpRequest&& request, Responder respond) const {
  auto id = Resolve(*request.PathParam("ref"));
  if (!id.ok()) return respond(ErrorResponse(id.status()));
  auto rendered = RenderProfile(*id);
  if (!rendered.ok()) return respond(ErrorResponse(rendered.status()));
  respond(JsonResponse(std::move(rendered).value()));
}

void ProfileService::HandleEvents(HttpRequest&& request, Responder respond) const {
  const Result<std::size_t> limit = PageLimit(request, kDefaultEventPage, kMaxEventPage);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  // The cursor is the log sequence of the last event of the previous page.
  std::uint64_t before = 0;
  if (const auto text = request.QueryParam("cursor")) {
    const auto value = ParseDecimal(*text, 19);
    if (!value) {
      return respond(ErrorResponse(InvalidArgumentError("cursor: expected the `next` of a page")));
    }
    before = *value;
    if (before <= 1) return respond(JsonResponse(R"({"events":[]})"));
  }
  auto id = Resolve(*request.PathParam("ref"));
  if (!id.ok()) return respond(ErrorResponse(id.status()));
  const std::optional<std::vector<std::uint32_t>> nodes =
      identity_->Read([&](const IdentityGraph& g) -> std::optional<std::vector<std::uint32_t>> {
        const std::optional<std::uint64_t> active = g.ResolveProfileId(*id);
        if (!active) return std::nullopt;
        return g.View(*active).nodes;
      });
  if (!nodes) return respond(ErrorResponse(NotFoundError("no such profile")));
  // One more than asked for, to know whether a next page exists.
  std::vector<std::uint64_t> sequences;
  if (Status s = store_->ReadTimeline(*nodes, before, *limit + 1, &sequences); !s.ok()) {
    return respond(ErrorResponse(s));
  }
  const bool more = sequences.size() > *limit;
  if (more) sequences.resize(*limit);
  std::vector<std::optional<std::string>> events;
  if (Status s = store_->GetEvents(sequences, &events); !s.ok()) return respond(ErrorResponse(s));
  JsonWriter w;
  w.BeginObject();
  w.Key("profile_id").String(FormatProfileId(*id));
  w.Key("events").BeginArray();
  for (const auto& event : events) {
    if (event) w.Raw(*event);
  }
  w.EndArray();
  if (more) w.Key("next").String(std::to_string(sequences.back()));
  w.EndObject();
  respond(JsonResponse(w.Release()));
}

void ProfileService::HandleLinks(HttpRequest&& request, Responder respond) const {
  auto id = Resolve(*request.PathParam("ref"));
  if (!id.ok()) return respond(ErrorResponse(id.status()));
  struct Snapshot {
    ProfileView view;
    std::vector<ProfileIdentifier> ends;  // per edge: a then b
  };
  const std::optional<Snapshot> found =
      identity_->Read([&](const IdentityGraph& g) -> std::optional<Snapshot> {
        const std::optional<std::uint64_t> active = g.ResolveProfileId(*id);
        if (!active) return std::nullopt;
        Snapshot s{g.View(*active), {}};
        for (const ProfileEdge& e : s.view.edges) {
          s.ends.push_back(g.NodeIdentifier(e.a));
          s.ends.push_back(g.NodeIdentifier(e.b));
        }
        return s;
      });
  if (!found) return respond(ErrorResponse(NotFoundError("no such profile")));
  const Snapshot& snap = *found;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  pairs.reserve(snap.view.edges.size());
  for (const ProfileEdge& e : snap.view.edges) pairs.emplace_back(e.a, e.b);
  std::vector<std::optional<EdgeRecord>> records;
  if (Status s = store_->GetEdges(pairs, &records); !s.ok()) return respond(ErrorResponse(s));
  JsonWriter w;
  w.BeginObject();
  w.Key("profile_id").String(FormatProfileId(snap.view.id));
  w.Key("links").BeginArray();
  for (std::size_t i = 0; i < snap.view.edges.size(); ++i) {
    w.BeginObject();
    for (int end = 0; end < 2; ++end) {
      const ProfileIdentifier& node = snap.ends[2 * i + static_cast<std::size_t>(end)];
      std::string ref(TypeName(config_, node.type));
      ref += ':';
      ref += node.value;
      w.Key(end == 0 ? "from" : "to").String(ref);
    }
    const EdgeState state = records[i] ? records[i]->state : snap.view.edges[i].state;
    w.Key("state").String(EdgeStateName(state));
    if (records[i]) {
      w.Key("rule").String(LinkRuleName(records[i]->rule));
      w.Key("message_id").String(records[i]->evidence_message);
      w.Key("at").String(FormatIso8601(records[i]->evidence_time));
      w.Key("sequence").Uint(records[i]->evidence_sequence);
      if (records[i]->match) WriteMatchEvidence(w, *records[i]->match, records[i]->match->weight);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  respond(JsonResponse(w.Release()));
}

void ProfileService::HandleSplit(HttpRequest&& request, Responder respond) {
  auto id = Resolve(*request.PathParam("ref"));
  if (!id.ok()) return respond(ErrorResponse(id.status()));
  auto refs = ingest::ParseSplitRequest(request.body);
  if (!refs.ok()) return respond(ErrorResponse(refs.status()));
  std::vector<Identifier> identifiers;
  for (const std::string& ref : *refs) {
    auto identifier = ParseIdentifierRef(config_, ref, phones_);
    if (!identifier.ok())
      return respond(ErrorResponse(identifier.status().WithContext("identifiers")));
    identifiers.push_back(std::move(identifier).value());
  }

  // The split runs on the writer thread so that it is ordered with event writes and its graph
  // changes are written before the answer.
  auto shared_respond = std::make_shared<Responder>(std::move(respond));
  const std::uint64_t profile = *id;
  RunGraphChange<SplitOutcome>(
      [profile, identifiers = std::move(identifiers)](IdentityGraph& g, Matcher*,
                                                      std::uint64_t after_sequence) {
        return g.Split(profile, identifiers, SystemClock::Default().Now(), after_sequence);
      },
      [this, shared_respond](const Result<SplitOutcome>& outcome) {
        if (!outcome.ok()) return (*shared_respond)(ErrorResponse(outcome.status()));
        // {"original": kept, "created": the new profile}; when the moved identifiers share no
        // link among themselves they form several new profiles: the others in "also_created".
        JsonWriter w;
        w.BeginObject();
        auto kept = RenderProfile(outcome->kept);
        if (!kept.ok()) return (*shared_respond)(ErrorResponse(kept.status()));
        w.Key("original").Raw(*kept);
        const std::vector<std::uint64_t>& created = outcome->split_off;
        for (std::size_t i = 0; i < created.size(); ++i) {
          auto rendered = RenderProfile(created[i]);
          if (!rendered.ok()) return (*shared_respond)(ErrorResponse(rendered.status()));
          if (i == 0) {
            w.Key("created").Raw(*rendered);
            if (created.size() > 1) w.Key("also_created").BeginArray();
          } else {
            w.Raw(*rendered);
          }
        }
        if (created.size() > 1) w.EndArray();
        w.EndObject();
        (*shared_respond)(JsonResponse(w.Release()));
      });
}

template <typename Outcome>
void ProfileService::RunGraphChange(
    std::function<Result<Outcome>(IdentityGraph&, Matcher*, std::uint64_t)> change,
    std::function<void(const Result<Outcome>&)> done) {
  struct Job {
    std::function<Result<Outcome>(IdentityGraph&, Matcher*, std::uint64_t)> change;
    std::function<void(const Result<Outcome>&)> done;
    Result<Outcome> outcome = InternalError("not run");
  };
  auto job = std::make_shared<Job>(Job{std::move(change), std::move(done)});
  const bool sync = sync_;
  Status queued = writer_->SubmitTask(
      [this, job, sync](EventStore& store) -> Status {
        GraphDelta delta;
        // Read before the graph lock: commits take the store's lock, then the graph's.
        const std::uint64_t after_sequence = store.LastSequence();
        job->outcome = identity_->WriteMatch(
            [&](IdentityGraph& g, Matcher* m) { return job->change(g, m, after_sequence); },
            &delta);
        if (!job->outcome.ok() || delta.empty()) return Status::Ok();
        Status written = store.CommitGraph(delta, CommitOptions{sync, nullptr});
        if (!written.ok()) {
          identity_->Abandon();
          job->outcome = written;
        }
        return written;
      },
      [job](const Status&) { job->done(job->outcome); });
  if (!queued.ok()) job->done(queued);
}

void ProfileService::HandleReviewList(HttpRequest&& request, Responder respond) const {
  const Result<std::size_t> limit = PageLimit(request, kDefaultReviewPage, kMaxReviewPage);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  std::uint32_t after = 0;
  if (const auto text = request.QueryParam("cursor")) {
    const auto value = ParseReviewId(*text);
    if (!value) {
      return respond(ErrorResponse(InvalidArgumentError("cursor: expected the `next` of a page")));
    }
    after = *value;
  }
  // One more than asked for, to know whether a next page exists.
  const std::vector<ReviewItem> items = identity_->ReadMatch(
      [&](const IdentityGraph& g, const Matcher* m) -> std::vector<ReviewItem> {
        if (m == nullptr) return {};
        return m->PendingReviews(g, after, *limit + 1);
      });
  JsonWriter w;
  w.BeginObject();
  w.Key("items").BeginArray();
  for (std::size_t i = 0; i < items.size() && i < *limit; ++i) {
    const ReviewItem& item = items[i];
    w.BeginObject();
    w.Key("id").String(FormatReviewId(item.record.id));
    w.Key("left").String(FormatProfileId(item.left_profile));
    w.Key("right").String(FormatProfileId(item.right_profile));
    WriteMatchEvidence(w, item.record.evidence, item.record.evidence.weight);
    w.Key("created_at").String(FormatIso8601(item.record.created_at));
    w.Key("message_id").String(item.record.message_id);
    w.EndObject();
  }
  w.EndArray();
  if (items.size() > *limit) w.Key("next").String(FormatReviewId(items[*limit - 1].record.id));
  w.EndObject();
  respond(JsonResponse(w.Release()));
}

void ProfileService::HandleReviewDecide(HttpRequest&& request, Responder respond) {
  const std::optional<std::uint32_t> id = ParseReviewId(*request.PathParam("id"));
  if (!id) return respond(ErrorResponse(NotFoundError("no such review item")));
  auto decision = ingest::ParseReviewDecision(request.body);
  if (!decision.ok()) return respond(ErrorResponse(decision.status()));

  // Decided on the writer thread, like a split: ordered with event writes, written before the
  // answer.
  const std::uint32_t review = *id;
  const ReviewDecision choice = *decision ? ReviewDecision::kMatch : ReviewDecision::kNoMatch;
  auto shared_respond = std::make_shared<Responder>(std::move(respond));
  RunGraphChange<ReviewOutcome>(
      [review, choice](IdentityGraph& g, Matcher* m,
                       std::uint64_t after_sequence) -> Result<ReviewOutcome> {
        if (m == nullptr) return NotFoundError("no such review item");
        return m->Decide(g, review, choice, SystemClock::Default().Now(), after_sequence);
      },
      [review, choice, shared_respond](const Result<ReviewOutcome>& outcome) {
        if (!outcome.ok()) return (*shared_respond)(ErrorResponse(outcome.status()));
        JsonWriter w;
        w.BeginObject();
        w.Key("id").String(FormatReviewId(review));
        w.Key("decision").String(choice == ReviewDecision::kMatch ? "match" : "no_match");
        if (choice == ReviewDecision::kMatch) {
          w.Key("profile_id").String(FormatProfileId(outcome->profile));
        }
        w.EndObject();
        (*shared_respond)(JsonResponse(w.Release()));
      });
}

}  // namespace cdp::api
