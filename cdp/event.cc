#include "cdp/event.h"

namespace cdp {

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kIdentify: return "identify";
    case EventType::kTrack: return "track";
    case EventType::kPage: return "page";
    case EventType::kScreen: return "screen";
    case EventType::kGroup: return "group";
    case EventType::kAlias: return "alias";
  }
  return "?";
}

std::optional<EventType> ParseEventType(std::string_view name) {
  if (name == "identify") return EventType::kIdentify;
  if (name == "track") return EventType::kTrack;
  if (name == "page") return EventType::kPage;
  if (name == "screen") return EventType::kScreen;
  if (name == "group") return EventType::kGroup;
  if (name == "alias") return EventType::kAlias;
  return std::nullopt;
}

}  // namespace cdp
