// The profile endpoints of API.md backed by the identity graph: GET /v1/profiles/{ref},
// GET /v1/profiles/{ref}/events (the timeline), GET /v1/profiles/{ref}/links, POST
// /v1/profiles/{ref}/split, and the matcher's review queue: GET /v1/review and POST
// /v1/review/{id}.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/router.h"
#include "cdp/identifier.h"
#include "cdp/identity_service.h"
#include "cdp/json_writer.h"
#include "ingest/writer.h"
#include "storage/store.h"

namespace cdp::api {

// Profile ids on the wire: "p_" followed by the decimal id.
std::string FormatProfileId(std::uint64_t id);
std::optional<std::uint64_t> ParseProfileId(std::string_view text);
// Review item ids on the wire: "r_" followed by the decimal id.
std::string FormatReviewId(std::uint32_t id);
std::optional<std::uint32_t> ParseReviewId(std::string_view text);

// Thread-safe; reads run on the network threads, splits on the writer thread. Everything
// passed in must outlive it.
class ProfileService {
 public:
  ProfileService(IdentityConfig config, IdentityService* identity, storage::Store* store,
                 ingest::IngestWriter* writer, const PhoneNormalizer* phones, bool sync);

  void AddRoutes(Router& router);

 private:
  // The active profile a reference names: a profile id (merged ids follow their redirect) or
  // "type:value". kNotFound when unknown, kInvalidArgument when malformed.
  Result<std::uint64_t> Resolve(std::string_view ref) const;
  // The view of the active profile `id` leads to (following redirects), read under one lock.
  std::optional<ProfileView> ViewOf(std::uint64_t id) const;
  // The profile body: id, identifiers, merged_ids, created_at, updated_at.
  Result<std::string> RenderProfile(std::uint64_t id) const;
  void WriteProfile(JsonWriter& w, const ProfileView& view,
                    const std::optional<ProfileRecord>& record,
                    const std::optional<ProfileTraits>& traits) const;

  void HandleGet(HttpRequest&& request, Responder respond) const;
  void HandleLinks(HttpRequest&& request, Responder respond) const;
  void HandleEvents(HttpRequest&& request, Responder respond) const;
  void HandleSplit(HttpRequest&& request, Responder respond);
  void HandleReviewList(HttpRequest&& request, Responder respond) const;
  void HandleReviewDecide(HttpRequest&& request, Responder respond);

  // Runs `change` on the writer thread, so that it is ordered with event writes, and writes the
  // graph changes it made before calling `done` with its outcome there (an error when the
  // write failed; the graph is then reloaded). `done` is called once, also when the task
  // cannot be queued. Defined in the .cc (its only user).
  template <typename Outcome>
  void RunGraphChange(
      std::function<Result<Outcome>(IdentityGraph&, Matcher*, std::uint64_t)> change,
      std::function<void(const Result<Outcome>&)> done);

  const IdentityConfig config_;
  IdentityService* identity_;
  storage::Store* store_;
  ingest::IngestWriter* writer_;
  const PhoneNormalizer* phones_;
  bool sync_;
};

}  // namespace cdp::api
