#include "ingest/segment_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <random>
#include <span>
#include <utility>

#include "cdp/json_writer.h"
#include "cdp/person.h"
#include "cdp/time_format.h"
#include "ingest/phone_normalizer.h"
#include "ingest/text_fold.h"

namespace cdp::ingest {
namespace {

namespace dom = simdjson::dom;

// Longest trait read for a person record (a name, street, birthday, ...); a longer one is
// ignored. Folding and BuildPersonRecord's caps bound what is kept.
constexpr std::size_t kMaxPersonTraitBytes = 256;

// Fields the server sets or consumes; a client's copy is not stored as given.
// The range ParseIso8601 reads back: years 1000 to 9999.
constexpr Timestamp kEarliestTimestamp{std::chrono::milliseconds(-30'610'224'000'000)};
constexpr Timestamp kLatestTimestamp{std::chrono::milliseconds(253'402'300'799'999)};

bool IsServerField(std::string_view key) {
  return key == "type" || key == "messageId" || key == "receivedAt" || key == "timestamp" ||
         key == "originalTimestamp" || key == "context" || key == "integrations" ||
         key == "sentAt" || key == "writeKey" || key == "source";
}

// Splits "a.b.c" into "a" and "b.c" ("" when there is no dot).
std::pair<std::string_view, std::string_view> FirstSegment(std::string_view path) {
  const std::size_t dot = path.find('.');
  if (dot == std::string_view::npos) return {path, std::string_view()};
  return {path.substr(0, dot), path.substr(dot + 1)};
}

// The message as its Event::json presents it: the item's fields, with its context merged
// over the batch's (key by key, the item's first).
struct MessageView {
  dom::object item;
  const dom::object* context = nullptr;        // the item's own
  const dom::object* batch_context = nullptr;  // the batch's
  std::string_view message_id;                 // tags a record that is not distinctive
};

// Finds the value at a dotted `path` of `message`, through objects only.
bool FindPath(const MessageView& message, std::string_view path, dom::element* out) {
  auto [first, rest] = FirstSegment(path);
  dom::element value;
  if (first == "context") {
    if (rest.empty()) return false;
    auto [key, after] = FirstSegment(rest);
    const bool found = (message.context != nullptr &&
                        message.context->at_key(key).get(value) == simdjson::SUCCESS) ||
                       (message.batch_context != nullptr &&
                        message.batch_context->at_key(key).get(value) == simdjson::SUCCESS);
    if (!found) return false;
    rest = after;
  } else if (IsServerField(first)) {
    return false;
  } else if (message.item.at_key(first).get(value) != simdjson::SUCCESS) {
    return false;
  }
  while (!rest.empty()) {
    auto [key, after] = FirstSegment(rest);
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return false;
    if (object.at_key(key).get(value) != simdjson::SUCCESS) return false;
    rest = after;
  }
  *out = value;
  return true;
}

ParseFailure Failure(Status status, std::string_view reason) { return {std::move(status), reason}; }

ParseFailure JsonFailure(simdjson::error_code e) {
  switch (e) {
    case simdjson::UTF8_ERROR:
      return Failure(InvalidArgumentError("the body is not valid UTF-8"), "invalid_utf8");
    case simdjson::DEPTH_ERROR:
      return Failure(InvalidArgumentError("the JSON is nested too deeply"), "too_deep");
    case simdjson::CAPACITY:
      return Failure(PayloadTooLargeError("the body is too large"), "request_too_large");
    default:
      return Failure(
          InvalidArgumentError(std::string("malformed JSON: ") + simdjson::error_message(e)),
          "malformed_json");
  }
}

}  // namespace

Status CheckIdentifierPath(std::string_view path) {
  const std::string_view first = FirstSegment(path).first;
  if (first != "context" && IsServerField(first)) {
    return InvalidArgumentError("'" + std::string(first) +
                                "' is set by the server; identifiers cannot be read there");
  }
  return Status::Ok();
}

Status IngestLimits::Validate() const {
  if (max_message_bytes < 1024) return InvalidArgumentError("max_message_bytes: at least 1024");
  if (max_request_bytes < max_message_bytes) {
    return InvalidArgumentError("max_request_bytes: at least max_message_bytes");
  }
  if (max_batch_messages == 0) return InvalidArgumentError("max_batch_messages: at least 1");
  if (max_depth < 4 || max_depth > 1024) return InvalidArgumentError("max_depth: 4 to 1024");
  if (max_id_length == 0) return InvalidArgumentError("max_id_length: at least 1");
  return Status::Ok();
}

struct SegmentParser::Rep {
  // A configured path and the type it holds.
  struct TypePath {
    IdentifierType type;
    std::string path;
  };

  IngestLimits limits;
  IdentityConfig identity;
  const PhoneNormalizer* phones = nullptr;
  std::vector<TypePath> type_paths;  // the paths CheckIdentifierPath accepts, by type
  dom::parser parser;
  simdjson::internal::string_builder<> builder;
  std::mt19937_64 rng{std::random_device{}()};
  std::string padded;  // a copy of the body with SIMDJSON_PADDING, reused
  std::vector<std::string_view> seen_keys;
  // receivedAt is the same for every message of a request: formatted once.
  Timestamp received_text_for{};
  std::string received_text;
  // The name of the request's write key, stamped as "source" (empty: none). Set per request.
  std::string_view key_name;
  bool allocated = false;

  // Parses `body` into the DOM. False (with `failure`) when it is not acceptable JSON.
  bool Load(std::string_view body, dom::element* root, ParseFailure* failure) {
    if (body.size() > limits.max_request_bytes) {
      *failure = Failure(PayloadTooLargeError("the body is larger than " +
                                              std::to_string(limits.max_request_bytes) + " bytes"),
                         "request_too_large");
      return false;
    }
    if (!allocated) {
      // simdjson refuses a document whose depth reaches its limit: allow one more.
      if (auto e = parser.allocate(limits.max_request_bytes, limits.max_depth + 1); e) {
        *failure = Failure(InternalError("cannot allocate the JSON parser"), "internal");
        return false;
      }
      allocated = true;
    }
    padded.assign(body);
    padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
    if (auto e = parser.parse(padded.data(), body.size(), false).get(*root); e) {
      *failure = JsonFailure(e);
      return false;
    }
    return true;
  }

  std::string NewMessageId() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::array<std::uint64_t, 2> words = {rng(), rng()};
    std::string id;
    id.reserve(36);
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
      const std::uint64_t w = words[static_cast<std::size_t>(i / 16)];
      id += kHex[(w >> ((i % 16) * 4)) & 0xFu];
    }
    return id;
  }

  void AppendValue(std::string& out, dom::element value) {
    builder.clear();
    builder.append(value);
    out += builder.str();
  }

  // Writes "name":{item fields, then batch fields the item lacks} (item wins). Either may be
  // absent; nothing is written when both are.
  void AppendMerged(std::string& out, std::string_view name, const dom::object* item,
                    const dom::object* batch) {
    if (item == nullptr && batch == nullptr) return;
    out += ',';
    AppendJsonString(out, name);
    out += ":{";
    bool first = true;
    seen_keys.clear();
    if (item != nullptr) {
      for (auto [key, value] : *item) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, key);
        out += ':';
        AppendValue(out, value);
        seen_keys.push_back(key);
      }
    }
    if (batch != nullptr) {
      for (auto [key, value] : *batch) {
        bool shadowed = false;
        for (std::string_view k : seen_keys) shadowed = shadowed || k == key;
        if (shadowed) continue;
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, key);
        out += ':';
        AppendValue(out, value);
      }
    }
    out += '}';
  }

  // Reads an optional string field. Sets `error` when present with another type, empty or
  // longer than `max_length`.
  static std::optional<std::string_view> OptionalString(dom::object& object, std::string_view key,
                                                        std::size_t max_length,
                                                        std::string* error) {
    dom::element value;
    if (object.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
    if (value.is_null()) return std::nullopt;
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      *error = std::string(key) + " must be a string";
      return std::nullopt;
    }
    if (text.empty()) {
      *error = std::string(key) + " must not be empty";
      return std::nullopt;
    }
    if (text.size() > max_length) {
      *error = std::string(key) + " is longer than " + std::to_string(max_length) + " bytes";
      return std::nullopt;
    }
    return text;
  }

  // Reads an optional object field; `error` when present with another type.
  static bool OptionalObject(dom::object& object, std::string_view key, dom::object* out,
                             std::string* error) {
    dom::element value;
    if (object.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return false;
    if (value.get_object().get(*out) != simdjson::SUCCESS) {
      *error = std::string(key) + " must be an object";
      return false;
    }
    return true;
  }

  static std::optional<Timestamp> OptionalTime(dom::object& object, std::string_view key,
                                               std::string* error) {
    auto text = OptionalString(object, key, 64, error);
    if (!text.has_value()) return std::nullopt;
    auto t = ParseIso8601(*text);
    if (!t.ok()) {
      *error = std::string(key) + " is not an ISO 8601 timestamp";
      return std::nullopt;
    }
    return *t;
  }

  // Validates one message and builds its event. Returns false with `error` set when invalid.
  // `type` is the route's type, or nullopt when the message must name its own.
  bool BuildEvent(dom::element element, std::optional<EventType> route_type,
                  const dom::object* batch_context, const dom::object* batch_integrations,
                  std::optional<Timestamp> batch_sent_at, Timestamp received_at, Event* event,
                  std::string* error) {
    dom::object item;
    if (element.get_object().get(item) != simdjson::SUCCESS) {
      *error = "a message must be a JSON object";
      return false;
    }
    std::string type_error;
    auto type_name = OptionalString(item, "type", 32, &type_error);
    if (!type_error.empty()) {
      *error = type_error;
      return false;
    }
    std::optional<EventType> type;
    if (type_name.has_value()) {
      type = ParseEventType(*type_name);
      if (!type.has_value()) {
        *error = "type must be identify, track, page, screen, group or alias";
        return false;
      }
      if (route_type.has_value() && *type != *route_type) {
        *error = "type does not match the endpoint";
        return false;
      }
    } else if (route_type.has_value()) {
      type = route_type;
    } else {
      *error = "type is required";
      return false;
    }

    const std::size_t max_id = limits.max_id_length;
    auto user_id = OptionalString(item, "userId", max_id, error);
    if (!error->empty()) return false;
    auto anonymous_id = OptionalString(item, "anonymousId", max_id, error);
    if (!error->empty()) return false;
    if (!user_id.has_value() && !anonymous_id.has_value()) {
      *error = "userId or anonymousId is required";
      return false;
    }
    auto message_id = OptionalString(item, "messageId", kMaxMessageIdLength, error);
    if (!error->empty()) return false;
    switch (*type) {
      case EventType::kTrack:
        if (!OptionalString(item, "event", max_id, error).has_value()) {
          if (error->empty()) *error = "event is required for track";
          return false;
        }
        break;
      case EventType::kGroup:
        if (!OptionalString(item, "groupId", max_id, error).has_value()) {
          if (error->empty()) *error = "groupId is required for group";
          return false;
        }
        break;
      case EventType::kAlias:
        if (!OptionalString(item, "previousId", max_id, error).has_value()) {
          if (error->empty()) *error = "previousId is required for alias";
          return false;
        }
        if (!user_id.has_value()) {
          *error = "userId is required for alias";
          return false;
        }
        break;
      case EventType::kPage:
      case EventType::kScreen:
        OptionalString(item, "name", 1024, error);
        if (!error->empty()) return false;
        break;
      case EventType::kIdentify: break;
    }
    dom::object context, integrations, traits, properties;
    const bool has_context = OptionalObject(item, "context", &context, error);
    if (!error->empty()) return false;
    const bool has_integrations = OptionalObject(item, "integrations", &integrations, error);
    if (!error->empty()) return false;
    OptionalObject(item, "traits", &traits, error);
    if (!error->empty()) return false;
    OptionalObject(item, "properties", &properties, error);
    if (!error->empty()) return false;

    auto timestamp = OptionalTime(item, "timestamp", error);
    if (!error->empty()) return false;
    auto original = OptionalTime(item, "originalTimestamp", error);
    if (!error->empty()) return false;
    auto sent_at = OptionalTime(item, "sentAt", error);
    if (!error->empty()) return false;
    if (!sent_at.has_value()) sent_at = batch_sent_at;
    const std::optional<Timestamp> client_time = original.has_value() ? original : timestamp;
    Timestamp corrected = received_at;
    if (client_time.has_value()) {
      corrected = *client_time;
      if (sent_at.has_value()) {
        const Timestamp skewed = received_at - (*sent_at - *client_time);
        // A correction that leaves the representable years means the client's clocks are
        // nonsense; keep its timestamp as given rather than store an unreadable one.
        if (skewed >= kEarliestTimestamp && skewed <= kLatestTimestamp) corrected = skewed;
      }
    }

    event->type = *type;
    event->message_id = message_id.has_value() ? std::string(*message_id) : NewMessageId();
    event->received_at = received_at;
    event->timestamp = corrected;
    std::string& out = event->json;
    out.clear();
    out.reserve(512);
    out += "{\"type\":";
    AppendJsonString(out, EventTypeName(*type));
    out += ",\"messageId\":";
    AppendJsonString(out, event->message_id);
    out += ",\"receivedAt\":";
    if (received_at != received_text_for || received_text.empty()) {
      received_text_for = received_at;
      received_text = FormatIso8601(received_at);
    }
    AppendJsonString(out, received_text);
    if (!key_name.empty()) {
      out += ",\"source\":";
      AppendJsonString(out, key_name);
    }
    out += ",\"timestamp\":";
    AppendJsonString(out, FormatIso8601(corrected));
    if (client_time.has_value()) {
      out += ",\"originalTimestamp\":";
      AppendJsonString(out, FormatIso8601(*client_time));
    }
    if (sent_at.has_value()) {
      out += ",\"sentAt\":";
      AppendJsonString(out, FormatIso8601(*sent_at));
    }
    for (auto [key, value] : item) {
      if (IsServerField(key)) continue;
      out += ',';
      AppendJsonString(out, key);
      out += ':';
      AppendValue(out, value);
    }
    AppendMerged(out, "context", has_context ? &context : nullptr, batch_context);
    AppendMerged(out, "integrations", has_integrations ? &integrations : nullptr,
                 batch_integrations);
    out += '}';
    if (out.size() > limits.max_message_bytes) {
      *error = "the message is larger than " + std::to_string(limits.max_message_bytes) + " bytes";
      return false;
    }
    ExtractIdentifiers(
        MessageView{item, has_context ? &context : nullptr, batch_context, event->message_id},
        *type, &event->identifiers, &event->person);
    return true;
  }

  // Normalises `value` as a `type` and adds it to `out` unless it is invalid, blocked or
  // already there. A value is a string or an integer; other JSON types are ignored. Returns
  // the index in `out` of the identifier the value is, nullopt when it was dropped.
  std::optional<std::size_t> AddIdentifier(IdentifierType type, dom::element value,
                                           IdentifierSource source,
                                           std::vector<Identifier>* out) const {
    if (type >= identity.types.size()) return std::nullopt;
    std::string_view text;
    std::string number;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      if (std::int64_t i = 0; value.get_int64().get(i) == simdjson::SUCCESS) {
        number = std::to_string(i);
      } else if (std::uint64_t u = 0; value.get_uint64().get(u) == simdjson::SUCCESS) {
        number = std::to_string(u);
      } else {
        return std::nullopt;
      }
      text = number;
    }
    NormalizedIdentifier normalized = NormalizeIdentifier(identity, type, text, phones);
    if (normalized.quality != IdentifierQuality::kValid &&
        normalized.quality != IdentifierQuality::kWeak) {
      return std::nullopt;
    }
    for (std::size_t i = 0; i < out->size(); ++i) {
      if ((*out)[i].type == type && (*out)[i].value == normalized.value) return i;
    }
    Identifier identifier;
    identifier.type = type;
    identifier.value = std::move(normalized.value);
    identifier.linking =
        identity.types[type].linking && normalized.quality == IdentifierQuality::kValid;
    identifier.source = source;
    out->push_back(std::move(identifier));
    return out->size() - 1;
  }

  // Adds the value of `object`'s `key`, when present; returns as AddIdentifier.
  std::optional<std::size_t> AddField(IdentifierType type, const dom::object& object,
                                      std::string_view key, IdentifierSource source,
                                      std::vector<Identifier>* out) const {
    dom::element value;
    if (object.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
    return AddIdentifier(type, value, source, out);
  }

  // A traits object of a message, and the identifiers (indices into the event's) that its
  // email, phone and nationalId gave.
  struct Traits {
    bool present = false;
    dom::object object;
    std::optional<std::size_t> email, phone, national_id;
  };

  // The text traits of a person record, in the order of kPersonKeys.
  enum PersonTrait : std::size_t {
    kFirstName,
    kLastName,
    kSecondLastName,
    kFullName,
    kBirthday,
    kGender,
    kDocumentId,
    kStreet,
    kCity,
    kPostalCode,
    kPostalCodeSnake,
    kZip,
    kPersonTraitCount,
  };
  using PersonTraits = std::array<std::string_view, kPersonTraitCount>;

  // Reads the person traits of `object` (a traits object, or its address when `address`)
  // into the slots of `out` still empty: strings of 1 to kMaxPersonTraitBytes bytes, in one
  // pass over its keys. Other types and longer strings are ignored.
  static void ReadPersonTraits(const dom::object& object, bool address, PersonTraits* out) {
    static constexpr std::array<std::pair<std::string_view, PersonTrait>, 7> kTraitKeys = {{
        {"firstName", kFirstName},
        {"lastName", kLastName},
        {"secondLastName", kSecondLastName},
        {"name", kFullName},
        {"birthday", kBirthday},
        {"gender", kGender},
        {"documentId", kDocumentId},
    }};
    static constexpr std::array<std::pair<std::string_view, PersonTrait>, 5> kAddressKeys = {{
        {"street", kStreet},
        {"city", kCity},
        {"postalCode", kPostalCode},
        {"postal_code", kPostalCodeSnake},
        {"zip", kZip},
    }};
    for (auto [key, value] : object) {
      if (!address && key == "address") {
        dom::object nested;
        if (value.get_object().get(nested) == simdjson::SUCCESS) {
          ReadPersonTraits(nested, true, out);
        }
        continue;
      }
      using Keys = std::span<const std::pair<std::string_view, PersonTrait>>;
      const Keys keys = address ? Keys(kAddressKeys) : Keys(kTraitKeys);
      const auto it = std::find_if(keys.begin(), keys.end(),
                                   [name = key](const auto& entry) { return entry.first == name; });
      if (it == keys.end() || !(*out)[it->second].empty()) continue;
      std::string_view text;
      if (value.get_string().get(text) == simdjson::SUCCESS &&
          text.size() <= kMaxPersonTraitBytes) {
        (*out)[it->second] = text;
      }
    }
  }

  // Adds the email, phone, national id and CRM id of a traits object, when it is one.
  void AddTraits(const dom::element& element, std::vector<Identifier>* out, Traits* traits) const {
    if (element.get_object().get(traits->object) != simdjson::SUCCESS) return;
    traits->present = true;
    traits->email = AddField(kEmail, traits->object, "email", IdentifierSource::kMessage, out);
    traits->phone = AddField(kPhone, traits->object, "phone", IdentifierSource::kMessage, out);
    traits->national_id =
        AddField(kNationalId, traits->object, "nationalId", IdentifierSource::kMessage, out);
    AddField(kCrmId, traits->object, "crmId", IdentifierSource::kMessage, out);
  }

  // The value of the first identifier `field` of `sources` gave, or empty.
  static std::string_view PersonIdentifier(const std::array<const Traits*, 2>& sources,
                                           std::optional<std::size_t> Traits::*field,
                                           const std::vector<Identifier>& identifiers) {
    for (const Traits* traits : sources) {
      if (traits == nullptr) continue;
      const std::optional<std::size_t>& index = traits->*field;
      if (index.has_value()) return identifiers[*index].value;
    }
    return std::string_view();
  }

  // Builds the person record of `sources` (traits first, then context.traits; each attribute
  // from the first that has it) and adds its `record` identifier to `out`. REQUIRES: the
  // indices in `sources` are into `out`.
  void AddPerson(const std::array<const Traits*, 2>& sources, std::string_view message_id,
                 std::vector<Identifier>* out, std::optional<PersonRecord>* person) const {
    if (kPersonRecord >= identity.types.size()) return;
    PersonTraits traits;
    for (const Traits* source : sources) {
      if (source != nullptr && source->present) ReadPersonTraits(source->object, false, &traits);
    }
    const std::string first = FoldText(traits[kFirstName]);
    const std::string last = FoldText(traits[kLastName]);
    const std::string second = FoldText(traits[kSecondLastName]);
    const std::string full = FoldText(traits[kFullName]);
    PersonFields fields;
    fields.first_name = first;
    fields.last_name = last;
    fields.second_last_name = second;
    fields.full_name = full;
    fields.birthday = traits[kBirthday];
    // Without a name or a birth date there is no record: skip the rest.
    if (first.empty() && last.empty() && second.empty() && full.empty() &&
        fields.birthday.empty()) {
      return;
    }
    const std::string street = FoldText(traits[kStreet]);
    const std::string city = FoldText(traits[kCity]);
    std::string_view postal_code = traits[kPostalCode];
    if (postal_code.empty()) postal_code = traits[kPostalCodeSnake];
    if (postal_code.empty()) postal_code = traits[kZip];
    const std::string postal = FoldText(postal_code);
    const std::string gender = FoldText(traits[kGender]);
    std::string document;
    fields.document = PersonIdentifier(sources, &Traits::national_id, *out);
    if (fields.document.empty()) {
      document = FoldText(traits[kDocumentId]);
      fields.document = document;
    }
    fields.street = street;
    fields.city = city;
    fields.postal_code = postal;
    fields.phone = PersonIdentifier(sources, &Traits::phone, *out);
    fields.email = PersonIdentifier(sources, &Traits::email, *out);
    fields.gender = gender;
    std::optional<PersonRecord> record = BuildPersonRecord(fields);
    if (!record.has_value()) return;
    // `fields` may view identifiers in `out`: it is not used after this.
    Identifier identifier;
    identifier.type = kPersonRecord;
    identifier.value = EventRecordValue(*record, message_id);
    identifier.linking = identity.types[kPersonRecord].linking;
    out->push_back(std::move(identifier));
    if (person != nullptr) *person = std::move(record);
  }

  // Fills `out` with the identifiers of `message` (see the class comment): the built-in
  // sources, then the configured paths, then the person record, then ordered by type, stably.
  // Sets `person` (when not null) to the message's person record, or nullopt.
  void ExtractIdentifiers(const MessageView& message, EventType type, std::vector<Identifier>* out,
                          std::optional<PersonRecord>* person) const {
    out->clear();
    out->reserve(4);
    if (person != nullptr) person->reset();
    AddField(kUserId, message.item, "userId", IdentifierSource::kMessage, out);
    AddField(kAnonymousId, message.item, "anonymousId", IdentifierSource::kMessage, out);
    if (type == EventType::kAlias) {
      AddField(kAnonymousId, message.item, "previousId", IdentifierSource::kPreviousId, out);
    }
    dom::element value;
    Traits traits, context_traits;
    if (message.item.at_key("traits").get(value) == simdjson::SUCCESS) {
      AddTraits(value, out, &traits);
    }
    if (FindPath(message, "context.traits", &value)) AddTraits(value, out, &context_traits);
    if (FindPath(message, "context.device.id", &value)) {
      AddIdentifier(kDeviceId, value, IdentifierSource::kMessage, out);
    }
    for (const TypePath& type_path : type_paths) {
      if (FindPath(message, type_path.path, &value)) {
        AddIdentifier(type_path.type, value, IdentifierSource::kMessage, out);
      }
    }
    if (traits.present || context_traits.present) {
      // A group's traits are the group's, not a person's.
      AddPerson({type == EventType::kGroup ? nullptr : &traits, &context_traits},
                message.message_id, out, person);
    }
    // A stable insertion sort: a handful of elements, and no allocation.
    for (std::size_t i = 1; i < out->size(); ++i) {
      for (std::size_t j = i; j > 0 && (*out)[j - 1].type > (*out)[j].type; --j) {
        std::swap((*out)[j - 1], (*out)[j]);
      }
    }
  }

  // Parses the items of a batch array into `out`.
  bool ParseItems(dom::object& root, dom::array batch, Timestamp received_at, ParsedRequest* out,
                  ParseFailure* failure) {
    if (batch.size() > limits.max_batch_messages) {
      *failure =
          Failure(PayloadTooLargeError("the batch holds more than " +
                                       std::to_string(limits.max_batch_messages) + " messages"),
                  "too_many_messages");
      return false;
    }
    std::string error;
    dom::object context, integrations;
    const bool has_context = OptionalObject(root, "context", &context, &error);
    const bool has_integrations = OptionalObject(root, "integrations", &integrations, &error);
    auto sent_at = OptionalTime(root, "sentAt", &error);
    if (!error.empty()) {
      *failure = Failure(InvalidArgumentError("batch " + error), "invalid_message");
      return false;
    }
    out->events.reserve(batch.size());
    std::size_t index = 0;
    for (dom::element element : batch) {
      Event event;
      error.clear();
      if (BuildEvent(element, std::nullopt, has_context ? &context : nullptr,
                     has_integrations ? &integrations : nullptr, sent_at, received_at, &event,
                     &error)) {
        out->events.push_back(std::move(event));
      } else {
        out->errors.push_back({index, std::move(error)});
      }
      ++index;
    }
    return true;
  }

  // Loads `body` and requires a JSON object at its root (`what` names it in the error).
  bool LoadObject(std::string_view body, std::string_view what, dom::element* element,
                  dom::object* object, ParseFailure* failure) {
    if (!Load(body, element, failure)) return false;
    if (element->get_object().get(*object) != simdjson::SUCCESS) {
      *failure = Failure(InvalidArgumentError(std::string(what) + " must be a JSON object"),
                         "invalid_message");
      return false;
    }
    return true;
  }

  // Adds the one message `element` to `out`: its event, or its error at index 0.
  void AddSingle(dom::element element, std::optional<EventType> route_type, Timestamp received_at,
                 ParsedRequest* out) {
    Event event;
    std::string error;
    if (BuildEvent(element, route_type, nullptr, nullptr, std::nullopt, received_at, &event,
                   &error)) {
      out->events.push_back(std::move(event));
    } else {
      out->errors.push_back({0, std::move(error)});
    }
  }

  // Reads the optional top-level writeKey.
  static bool ReadWriteKey(dom::object& root, ParsedRequest* out, ParseFailure* failure) {
    std::string error;
    auto key = OptionalString(root, "writeKey", 256, &error);
    if (!error.empty()) {
      *failure = Failure(InvalidArgumentError(error), "invalid_message");
      return false;
    }
    if (key.has_value()) out->write_key = std::string(*key);
    return true;
  }
};

SegmentParser::SegmentParser(const IngestLimits& limits)
    : SegmentParser(SegmentParserOptions{limits, IdentityConfig::Defaults(), nullptr}) {}

SegmentParser::SegmentParser(SegmentParserOptions options) : rep_(std::make_unique<Rep>()) {
  rep_->limits = options.limits;
  rep_->identity = std::move(options.identity);
  rep_->phones = options.phones != nullptr ? options.phones : &DefaultPhoneNormalizer();
  const std::size_t types = std::min(rep_->identity.types.size(), kMaxIdentifierTypes);
  for (std::size_t t = 0; t < types; ++t) {
    // Record values are only ever built from the person traits, never read as given.
    if (t == kPersonRecord) continue;
    for (const std::string& path : rep_->identity.types[t].paths) {
      if (CheckIdentifierPath(path).ok()) {
        rep_->type_paths.push_back({static_cast<IdentifierType>(t), path});
      }
    }
  }
}

SegmentParser::~SegmentParser() = default;

bool SegmentParser::ParseBatch(std::string_view body, Timestamp received_at, ParsedRequest* out,
                               ParseFailure* failure, std::string_view source) {
  rep_->key_name = source;
  dom::element root_element;
  dom::object root;
  if (!rep_->LoadObject(body, "the body", &root_element, &root, failure)) return false;
  if (!Rep::ReadWriteKey(root, out, failure)) return false;
  dom::array batch;
  if (root.at_key("batch").get_array().get(batch) != simdjson::SUCCESS) {
    *failure =
        Failure(InvalidArgumentError("batch must be an array of messages"), "invalid_message");
    return false;
  }
  return rep_->ParseItems(root, batch, received_at, out, failure);
}

bool SegmentParser::ParseSingle(EventType type, std::string_view body, Timestamp received_at,
                                ParsedRequest* out, ParseFailure* failure,
                                std::string_view source) {
  rep_->key_name = source;
  dom::element root_element;
  dom::object root;
  if (!rep_->LoadObject(body, "the body", &root_element, &root, failure)) return false;
  if (!Rep::ReadWriteKey(root, out, failure)) return false;
  rep_->AddSingle(root_element, type, received_at, out);
  return true;
}

bool SegmentParser::ParseFrame(std::string_view frame, Timestamp received_at, ParsedRequest* out,
                               ParseFailure* failure, std::string_view source) {
  rep_->key_name = source;
  dom::element root_element;
  dom::object root;
  if (!rep_->LoadObject(frame, "a frame", &root_element, &root, failure)) return false;
  dom::element seq;
  if (root.at_key("seq").get(seq) == simdjson::SUCCESS) {
    std::int64_t n = 0;
    if (seq.get_int64().get(n) != simdjson::SUCCESS) {
      *failure = Failure(InvalidArgumentError("seq must be an integer"), "invalid_message");
      return false;
    }
    out->seq = n;
  }
  dom::element batch_element;
  if (root.at_key("batch").get(batch_element) == simdjson::SUCCESS) {
    dom::array batch;
    if (batch_element.get_array().get(batch) != simdjson::SUCCESS) {
      *failure =
          Failure(InvalidArgumentError("batch must be an array of messages"), "invalid_message");
      return false;
    }
    return rep_->ParseItems(root, batch, received_at, out, failure);
  }
  rep_->AddSingle(root_element, std::nullopt, received_at, out);
  return true;
}

Result<std::vector<Identifier>> SegmentParser::ExtractIdentifiers(std::string_view stored_json) {
  dom::element root_element;
  dom::object root;
  ParseFailure failure;
  if (!rep_->LoadObject(stored_json, "a stored event", &root_element, &root, &failure)) {
    return failure.status;
  }
  dom::object context;
  const bool has_context = root.at_key("context").get_object().get(context) == simdjson::SUCCESS;
  std::optional<EventType> type;
  std::string_view type_name;
  if (root.at_key("type").get_string().get(type_name) == simdjson::SUCCESS) {
    type = ParseEventType(type_name);
  }
  if (!type.has_value()) return InvalidArgumentError("a stored event has no valid type");
  // Stored events have one; without it, a record that is not distinctive is tagged with "".
  std::string_view message_id;
  if (root.at_key("messageId").get_string().get(message_id) != simdjson::SUCCESS) {
    message_id = {};
  }
  std::vector<Identifier> identifiers;
  rep_->ExtractIdentifiers(MessageView{root, has_context ? &context : nullptr, nullptr, message_id},
                           *type, &identifiers, nullptr);
  return identifiers;
}

Result<Event> SegmentParser::ReadStoredEvent(std::string_view stored_json) {
  dom::element root_element;
  dom::object root;
  ParseFailure failure;
  if (!rep_->LoadObject(stored_json, "a stored event", &root_element, &root, &failure)) {
    return failure.status;
  }
  Event event;
  std::string_view text;
  if (root.at_key("type").get_string().get(text) != simdjson::SUCCESS) {
    return InvalidArgumentError("a stored event has no type");
  }
  const std::optional<EventType> type = ParseEventType(text);
  if (!type) return InvalidArgumentError("a stored event has an unknown type");
  event.type = *type;
  if (root.at_key("messageId").get_string().get(text) != simdjson::SUCCESS) {
    return InvalidArgumentError("a stored event has no messageId");
  }
  event.message_id = std::string(text);
  for (auto [key, target] :
       {std::pair{"timestamp", &event.timestamp}, std::pair{"receivedAt", &event.received_at}}) {
    if (root.at_key(key).get_string().get(text) != simdjson::SUCCESS) {
      return InvalidArgumentError(std::string("a stored event has no ") + key);
    }
    auto parsed = ParseIso8601(text);
    if (!parsed.ok()) return parsed.status().WithContext(std::string("a stored event's ") + key);
    *target = *parsed;
  }
  dom::object context;
  const bool has_context = root.at_key("context").get_object().get(context) == simdjson::SUCCESS;
  rep_->ExtractIdentifiers(
      MessageView{root, has_context ? &context : nullptr, nullptr, event.message_id}, event.type,
      &event.identifiers, &event.person);
  return event;
}

}  // namespace cdp::ingest
