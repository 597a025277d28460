#include "tools/loadgen_events.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace cdp::loadgen {
namespace {

using namespace std::string_view_literals;  // NOLINT(google-build-using-namespace)

constexpr std::array kFirstNames = {
    std::pair{"María"sv, "maria"sv},     std::pair{"Carmen"sv, "carmen"sv},
    std::pair{"Josefa"sv, "josefa"sv},   std::pair{"Lucía"sv, "lucia"sv},
    std::pair{"Ana"sv, "ana"sv},         std::pair{"Laura"sv, "laura"sv},
    std::pair{"Nerea"sv, "nerea"sv},     std::pair{"Itziar"sv, "itziar"sv},
    std::pair{"Antonio"sv, "antonio"sv}, std::pair{"José"sv, "jose"sv},
    std::pair{"Manuel"sv, "manuel"sv},   std::pair{"Francisco"sv, "francisco"sv},
    std::pair{"David"sv, "david"sv},     std::pair{"Javier"sv, "javier"sv},
    std::pair{"Jordi"sv, "jordi"sv},     std::pair{"Xosé"sv, "xose"sv},
};
constexpr std::array kLastNames = {
    std::pair{"García"sv, "garcia"sv},     std::pair{"Rodríguez"sv, "rodriguez"sv},
    std::pair{"González"sv, "gonzalez"sv}, std::pair{"Fernández"sv, "fernandez"sv},
    std::pair{"López"sv, "lopez"sv},       std::pair{"Martínez"sv, "martinez"sv},
    std::pair{"Sánchez"sv, "sanchez"sv},   std::pair{"Pérez"sv, "perez"sv},
    std::pair{"Gómez"sv, "gomez"sv},       std::pair{"Martín"sv, "martin"sv},
    std::pair{"Jiménez"sv, "jimenez"sv},   std::pair{"Etxeberria"sv, "etxeberria"sv},
    std::pair{"Puig"sv, "puig"sv},         std::pair{"Castro"sv, "castro"sv},
    std::pair{"Iglesias"sv, "iglesias"sv}, std::pair{"Vázquez"sv, "vazquez"sv},
};
constexpr std::array kMailDomains = {"correo.example"sv, "mail.example.es"sv, "buzon.example.org"sv,
                                     "example.com"sv};
// Two-digit province codes (the first digits of a postal code) and their names.
constexpr std::array kProvinces = {
    std::pair{"28"sv, "Madrid"sv},    std::pair{"45"sv, "Toledo"sv},
    std::pair{"08"sv, "Barcelona"sv}, std::pair{"41"sv, "Sevilla"sv},
    std::pair{"46"sv, "Valencia"sv},  std::pair{"48"sv, "Bizkaia"sv},
    std::pair{"15"sv, "A Coruña"sv},  std::pair{"50"sv, "Zaragoza"sv},
};
constexpr std::array kTrackEvents = {
    "Service Presented"sv, "Service Suggested"sv, "Service Offered"sv,    "Service Accepted"sv,
    "Service Delivered"sv, "Service Declined"sv,  "Appointment Booked"sv, "Appointment Cancelled"sv,
    "Form Submitted"sv,    "Document Uploaded"sv,
};
constexpr std::array kServices = {
    "svc-ingreso-minimo-vital"sv, "svc-bono-social-electrico"sv, "svc-ayuda-dependencia"sv,
    "svc-teleasistencia"sv,       "svc-cheque-bebe"sv,           "svc-beca-comedor"sv,
    "svc-renta-emancipacion"sv,   "svc-empadronamiento"sv,
};
constexpr std::array kOffices = {"oficina-centro"sv, "oficina-norte"sv, "oficina-sur"sv,
                                 "punto-atencion-rural"sv};
constexpr std::array kPages = {
    std::pair{"Inicio"sv, "/"sv},
    std::pair{"Mis trámites"sv, "/mis-tramites"sv},
    std::pair{"Catálogo de servicios"sv, "/servicios"sv},
    std::pair{"Cita previa"sv, "/cita-previa"sv},
    std::pair{"Ayudas y subvenciones"sv, "/ayudas"sv},
    std::pair{"Carpeta ciudadana"sv, "/carpeta"sv},
};
constexpr std::array kChannels = {"web"sv, "app"sv, "phone"sv, "office"sv, "video"sv};
// Two user agents per channel, in kChannels order.
constexpr std::array kUserAgents = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0"sv,
    "Mozilla/5.0 (Macintosh; Mac OS X 14_5) Safari/605.1"sv,
    "CiudadApp/3.2.1 (Android 14; Pixel 8)"sv,
    "CiudadApp/3.2.0 (iOS 17.5; iPhone15,2)"sv,
    "cdp-callcentre/1.4 (agent-desktop)"sv,
    "cdp-callcentre/1.4 (ivr)"sv,
    "cdp-office/2.0 (counter)"sv,
    "cdp-office/2.0 (kiosk)"sv,
    "cdp-video/1.1 (WebRTC; Chrome/126)"sv,
    "cdp-video/1.1 (WebRTC; Safari/17)"sv,
};
constexpr std::array kLocales = {"es-ES"sv, "es-ES"sv, "es-ES"sv, "ca-ES"sv,
                                 "eu-ES"sv, "gl-ES"sv, "en-GB"sv, "fr-FR"sv};
// Padding text: words without characters that need escaping in JSON.
constexpr std::string_view kFiller =
    "solicitud presentada en plazo con la documentacion requerida por la convocatoria "
    "vigente el ciudadano consiente el tratamiento de sus datos para la finalidad indicada "
    "y autoriza la consulta de su situacion en otras administraciones publicas competentes "
    "la resolucion se notificara por medios electronicos en la carpeta ciudadana en el "
    "plazo maximo establecido por la normativa aplicable a este procedimiento administrativo "
    "comun de las administraciones publicas segun la ley de procedimiento vigente hoy dia ";

constexpr std::string_view kPadOpen = R"(,"campaign":{"content":")";
constexpr std::string_view kPadClose = R"("})";

std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// A per-user attribute: the same for (user, salt) in every run.
std::uint64_t UserHash(std::uint32_t user, std::uint64_t salt) {
  return Mix((std::uint64_t{user} << 8) ^ salt ^ 0x9e3779b97f4a7c15ULL);
}

template <typename Array>
const auto& Pick(const Array& array, std::uint64_t h) {
  return array[h % array.size()];
}

void AppendUint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, result.ptr);
}

// Appends `v` as exactly `digits` decimal digits (zero-padded, high digits dropped).
void AppendFixed(std::string& out, std::uint64_t v, int digits) {
  char buf[24];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(digits));
}

void AppendHex(std::string& out, std::uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = kHex[v & 15];
    v >>= 4;
  }
  out.append(buf, static_cast<std::size_t>(digits));
}

}  // namespace

void AppendUserId(std::string& out, std::uint32_t user) {
  out += 'u';
  AppendFixed(out, user, 7);
}

std::uint64_t Rng::Next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return Mix(state_);
}

void AppendIso8601(std::string& out, std::chrono::system_clock::time_point t) {
  namespace chrono = std::chrono;
  const auto ms = chrono::floor<chrono::milliseconds>(t);
  const auto day = chrono::floor<chrono::days>(ms);
  const chrono::year_month_day ymd(day);
  const chrono::hh_mm_ss<chrono::milliseconds> hms(ms - day);
  AppendFixed(out, static_cast<std::uint64_t>(static_cast<int>(ymd.year())), 4);
  out += '-';
  AppendFixed(out, static_cast<unsigned>(ymd.month()), 2);
  out += '-';
  AppendFixed(out, static_cast<unsigned>(ymd.day()), 2);
  out += 'T';
  AppendFixed(out, static_cast<std::uint64_t>(hms.hours().count()), 2);
  out += ':';
  AppendFixed(out, static_cast<std::uint64_t>(hms.minutes().count()), 2);
  out += ':';
  AppendFixed(out, static_cast<std::uint64_t>(hms.seconds().count()), 2);
  out += '.';
  AppendFixed(out, static_cast<std::uint64_t>(hms.subseconds().count()), 3);
  out += 'Z';
}

EventGenerator::EventGenerator(GeneratorOptions options)
    : options_(std::move(options)), rng_(Mix(options_.seed)) {}

void EventGenerator::AppendHeader(std::string& out, std::string_view type, std::uint32_t user,
                                  bool known, std::string_view timestamp) {
  out += R"({"type":")";
  out += type;
  out += R"(","messageId":")";
  out += options_.message_id_prefix;
  AppendUint(out, next_id_++);
  if (known) {
    out += R"(","userId":")";
    AppendUserId(out, user);
  }
  // Each user has up to three devices.
  out += R"(","anonymousId":"d-)";
  AppendHex(out, UserHash(user, 1 + rng_.Below(3)), 16);
  out += R"(","timestamp":")";
  out += timestamp;
  out += '"';
}

namespace {

// Appends what `append` writes unless that would take `out` past `limit`; returns whether it
// kept it. Optional fields are added this way so that short events stay short.
template <typename Append>
bool AppendIfFits(std::string& out, std::size_t limit, Append append) {
  const std::size_t before = out.size();
  append();
  if (out.size() <= limit) return true;
  out.resize(before);
  return false;
}

}  // namespace

void EventGenerator::AppendIdentify(std::string& out, std::uint32_t user, std::uint32_t channel,
                                    std::size_t limit) {
  const std::uint64_t h = UserHash(user, 0);
  const auto& first = Pick(kFirstNames, h);
  const auto& last = Pick(kLastNames, h >> 8);
  const auto& province = Pick(kProvinces, h >> 16);
  // The first trait goes without a leading comma.
  auto email = [&](bool first_trait) {
    out += first_trait ? R"("email":")" : R"(,"email":")";
    out += first.second;
    out += '.';
    out += last.second;
    out += '.';
    AppendUint(out, user);
    out += '@';
    out += Pick(kMailDomains, h >> 24);
    out += '"';
  };
  auto phone = [&](bool first_trait) {
    out += first_trait ? R"("phone":"+346)" : R"(,"phone":"+346)";
    AppendFixed(out, Mix(h) % 100'000'000, 8);
    out += '"';
  };
  out += R"(,"traits":{)";
  // The call centre knows a phone number first; the other channels an email address.
  const bool by_phone = kChannels[channel] == "phone";
  if (by_phone) {
    phone(true);
  } else {
    email(true);
  }
  AppendIfFits(out, limit, [&] {
    out += R"(,"firstName":")";
    out += first.first;
    out += '"';
  });
  AppendIfFits(out, limit, [&] {
    out += R"(,"lastName":")";
    out += last.first;
    out += '"';
  });
  AppendIfFits(out, limit, [&] {
    if (by_phone) {
      email(false);
    } else {
      phone(false);
    }
  });
  AppendIfFits(out, limit, [&] {
    out += R"(,"birthday":")";
    AppendFixed(out, 1930 + (h >> 32) % 76, 4);
    out += '-';
    AppendFixed(out, 1 + (h >> 40) % 12, 2);
    out += '-';
    AppendFixed(out, 1 + (h >> 44) % 28, 2);
    out += '"';
  });
  AppendIfFits(out, limit, [&] {
    out += R"(,"address":{"postalCode":")";
    out += province.first;
    AppendFixed(out, (h >> 48) % 1000, 3);
    out += R"(","province":")";
    out += province.second;
    out += R"("})";
  });
  out += '}';
}

void EventGenerator::AppendTrack(std::string& out, std::uint32_t user, bool known,
                                 std::size_t limit) {
  const std::string_view event = Pick(kTrackEvents, rng_.Next());
  out += R"(,"event":")";
  out += event;
  out += R"(","properties":{"service_id":")";
  out += Pick(kServices, rng_.Next());
  out += '"';
  if (event.starts_with("Appointment")) {
    AppendIfFits(out, limit, [&] {
      out += R"(,"office":")";
      out += Pick(kOffices, UserHash(user, 7));
      out += R"(","slot_minutes":)";
      AppendUint(out, 10 + 5 * rng_.Below(6));
    });
  } else {
    AppendIfFits(out, limit, [&] {
      out += R"(,"value":)";
      AppendUint(out, rng_.Below(2000));
    });
  }
  if (!known) AppendIfFits(out, limit, [&] { out += R"(,"logged_in":false)"; });
  out += '}';
}

void EventGenerator::AppendPage(std::string& out, bool known, std::size_t limit) {
  const auto& page = Pick(kPages, rng_.Next());
  out += R"(,"name":")";
  out += page.first;
  out += R"(","properties":{"path":")";
  out += page.second;
  out += '"';
  AppendIfFits(out, limit, [&] {
    out += R"(,"title":")";
    out += page.first;
    out += R"( | Sede electrónica")";
  });
  AppendIfFits(out, limit, [&] {
    out += R"(,"url":"https://sede.example.gob.es)";
    out += page.second;
    out += '"';
  });
  if (!known) AppendIfFits(out, limit, [&] { out += R"(,"logged_in":false)"; });
  out += '}';
}

void EventGenerator::BuildContext(std::uint32_t user, std::uint32_t channel) {
  context_.clear();
  context_ += R"(,"context":{"channel":")";
  context_ += kChannels[channel];
  context_ += R"(","ip":"10.)";
  const std::uint64_t h = UserHash(user, 3);
  AppendUint(context_, h & 255);
  context_ += '.';
  AppendUint(context_, (h >> 8) & 255);
  context_ += '.';
  AppendUint(context_, 1 + rng_.Below(254));
  context_ += R"(","userAgent":")";
  context_ += kUserAgents[2 * channel + rng_.Below(2)];
  context_ += R"(","locale":")";
  context_ += Pick(kLocales, h >> 16);
  context_ += '"';
}

void EventGenerator::AppendContextAndClose(std::string& out, std::size_t start,
                                           std::size_t target) {
  out += context_;
  // Pad to the target size: context.campaign.content holds filler text.
  const std::size_t used = out.size() - start + 2;  // the two closing braces
  if (target >= used + kPadOpen.size() + kPadClose.size()) {
    std::size_t pad = target - used - kPadOpen.size() - kPadClose.size();
    out += kPadOpen;
    while (pad > 0) {
      const std::size_t offset = rng_.Below(static_cast<std::uint32_t>(kFiller.size()));
      const std::size_t take = std::min(pad, kFiller.size() - offset);
      out.append(kFiller.substr(offset, take));
      pad -= take;
    }
    out += kPadClose;
  }
  out += "}}";
}

void EventGenerator::AppendEvent(std::string& out, std::string_view timestamp) {
  const std::size_t start = out.size();
  const std::size_t target =
      options_.min_bytes + rng_.Below(options_.max_bytes - options_.min_bytes + 1);
  const std::uint32_t user = rng_.Below(options_.population);
  const std::uint32_t kind = rng_.Below(100);
  const std::uint32_t channel = rng_.Below(static_cast<std::uint32_t>(kChannels.size()));
  BuildContext(user, channel);
  // Optional fields must leave room for the context, the two closing braces and the padding's
  // wrapper, so that padding can make up any shortfall exactly.
  const std::size_t reserve = context_.size() + 2 + kPadOpen.size() + kPadClose.size();
  const std::size_t limit = start + target - std::min(target, reserve);
  if (kind < 20) {
    AppendHeader(out, "identify", user, true, timestamp);
    AppendIdentify(out, user, channel, limit);
    ++counts_.identify;
  } else if (kind < 70) {
    const bool known = rng_.Below(10) != 0;
    AppendHeader(out, "track", user, known, timestamp);
    AppendTrack(out, user, known, limit);
    ++counts_.track;
  } else {
    const bool known = rng_.Below(2) != 0;
    AppendHeader(out, "page", user, known, timestamp);
    AppendPage(out, known, limit);
    ++counts_.page;
  }
  AppendContextAndClose(out, start, target);
  const auto size = static_cast<std::uint32_t>(out.size() - start);
  ++counts_.events;
  counts_.bytes += size;
  counts_.min_size = counts_.min_size == 0 ? size : std::min(counts_.min_size, size);
  counts_.max_size = std::max(counts_.max_size, size);
}

void EventGenerator::AppendEvents(std::string& out, int n, std::string_view timestamp) {
  out += R"({"batch":[)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    AppendEvent(out, timestamp);
  }
  out += ']';
}

void EventGenerator::AppendHttpBatch(std::string& out, int n,
                                     std::chrono::system_clock::time_point now) {
  timestamp_.clear();
  AppendIso8601(timestamp_, now);
  AppendEvents(out, n, timestamp_);
  out += R"(,"sentAt":")";
  out += timestamp_;
  out += R"("})";
}

void EventGenerator::AppendStreamBatch(std::string& out, int n, std::uint64_t seq,
                                       std::chrono::system_clock::time_point now) {
  timestamp_.clear();
  AppendIso8601(timestamp_, now);
  AppendEvents(out, n, timestamp_);
  out += R"(,"seq":)";
  AppendUint(out, seq);
  out += '}';
}

}  // namespace cdp::loadgen
