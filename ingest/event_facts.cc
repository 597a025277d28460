#include "ingest/event_facts.h"

#include <simdjson.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "cdp/auth.h"

namespace cdp::ingest {
namespace {

namespace dom = simdjson::dom;

// One per thread: simdjson parsers keep their buffers between documents.
struct ThreadState {
  dom::parser parser{kMaxEventFactsJsonBytes};
  simdjson::internal::string_builder<> builder;
  bool allocated = false;
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

Status Malformed(std::string_view what) {
  return InvalidArgumentError("a stored event " + std::string(what));
}

// The member `key` of `object` as an object: false when absent, null or another type.
bool ObjectAt(const dom::object& object, std::string_view key, dom::object* out) {
  return object.at_key(key).get_object().get(*out) == simdjson::SUCCESS;
}

// `key` of `object` must be an object or null when present; sets `found` when an object.
Status StrictObjectAt(const dom::object& object, std::string_view key, dom::object* out,
                      bool* found) {
  *found = false;
  dom::element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return Status::Ok();
  if (value.get_object().get(*out) != simdjson::SUCCESS) {
    return Malformed("has a '" + std::string(key) + "' that is not an object");
  }
  *found = true;
  return Status::Ok();
}

std::string_view StringAt(const dom::object& object, std::string_view key) {
  std::string_view text;
  if (object.at_key(key).get_string().get(text) != simdjson::SUCCESS) return {};
  return text;
}

void ReadTraits(const dom::object& traits, simdjson::internal::string_builder<>& builder,
                std::vector<TraitValue>* out) {
  for (auto [key, value] : traits) {
    if (value.is_null()) continue;
    builder.clear();
    builder.append(value);
    out->push_back({std::string(key), std::string(builder.str())});
  }
  // Each name once, its last value: sort stably by name and keep the last of each run.
  std::stable_sort(out->begin(), out->end(),
                   [](const TraitValue& a, const TraitValue& b) { return a.name < b.name; });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < out->size(); ++i) {
    if (i + 1 < out->size() && (*out)[i + 1].name == (*out)[i].name) continue;
    if (kept != i) (*out)[kept] = std::move((*out)[i]);
    ++kept;
  }
  out->resize(kept);
}

}  // namespace

Result<EventFacts> ExtractEventFacts(const Event& event, std::uint64_t sequence) {
  if (event.json.size() > kMaxEventFactsJsonBytes) return Malformed("is too large");
  ThreadState& state = State();
  if (!state.allocated) {
    // It grows to fit larger documents (up to kMaxEventFactsJsonBytes), keeping the depth.
    if (state.parser.allocate(std::size_t{64} * 1024, kMaxEventFactsDepth) != simdjson::SUCCESS) {
      return InternalError("cannot allocate the JSON parser");
    }
    state.allocated = true;
  }
  dom::element root_element;
  if (auto e = state.parser.parse(event.json).get(root_element); e) {
    return Malformed(std::string("is not valid JSON: ") + simdjson::error_message(e));
  }
  dom::object root;
  if (root_element.get_object().get(root) != simdjson::SUCCESS) {
    return Malformed("is not a JSON object");
  }

  EventFacts facts;
  facts.type = event.type;
  facts.message_id = event.message_id;
  facts.timestamp = event.timestamp;
  facts.sequence = sequence;

  dom::object traits, properties, context, context_traits;
  bool has_traits = false;
  bool has_properties = false;
  CDP_RETURN_IF_ERROR(StrictObjectAt(root, "traits", &traits, &has_traits));
  CDP_RETURN_IF_ERROR(StrictObjectAt(root, "properties", &properties, &has_properties));
  const bool has_context = ObjectAt(root, "context", &context);

  const std::string_view source = StringAt(root, "source");
  if (IsValidKeyName(source)) facts.key_name = std::string(source);
  if (has_context) facts.channel = std::string(StringAt(context, "channel"));
  if (event.type == EventType::kTrack) facts.event_name = std::string(StringAt(root, "event"));

  if (event.type == EventType::kIdentify) {
    if (has_traits) ReadTraits(traits, state.builder, &facts.traits);
  } else if (has_context && ObjectAt(context, "traits", &context_traits)) {
    ReadTraits(context_traits, state.builder, &facts.traits);
  }

  if (has_properties) {
    dom::element service;
    if (properties.at_key("service_id").get(service) == simdjson::SUCCESS) {
      std::string_view text;
      std::int64_t i = 0;
      std::uint64_t u = 0;
      if (service.get_string().get(text) == simdjson::SUCCESS) {
        facts.service_id = std::string(text);
      } else if (service.get_int64().get(i) == simdjson::SUCCESS) {
        facts.service_id = std::to_string(i);
      } else if (service.get_uint64().get(u) == simdjson::SUCCESS) {
        facts.service_id = std::to_string(u);
      }
    }
    bool success = true;
    if (properties.at_key("success").get_bool().get(success) == simdjson::SUCCESS) {
      facts.success = success;
    }
  }
  return facts;
}

}  // namespace cdp::ingest
