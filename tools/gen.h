// `cdp gen`: a synthetic stream of Spanish citizens' identify events with ground truth, for
// measuring identity resolution (`cdp eval`). People live in households, have namesakes,
// nicknames, typos, two surnames, DNI/NIE numbers, move and change e-mail addresses; each
// channel (web, app, phone, office, video) carries its own subset of their attributes.
// docs/MATCHING_EVAL.md describes the model and the file formats.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/status.h"

namespace cdp::tools {

enum class GenChannel : std::uint8_t { kWeb, kApp, kPhone, kOffice, kVideo };
inline constexpr std::size_t kGenChannels = 5;
// "web", "app", "phone", "office", "video".
std::string_view GenChannelName(GenChannel channel);

struct GenOptions {
  // People generated (exactly), in households of one to five.
  std::uint64_t people = 1000;
  // The same seed and options give byte-identical output.
  std::uint64_t seed = 1;
  // Mean events per person (each person has at least one: 1 + Poisson(mean - 1)).
  double events_per_person_mean = 2.5;
  // Events are spread uniformly over [start_date, start_date + days); "YYYY-MM-DD".
  std::string start_date = "2024-01-01";
  int days = 730;
  // messageIds and anonymousIds start with this; empty: "g<seed>n<people>".
  std::string id_prefix;

  // Chance that a name or street value of an event carries one typo (substitution by a
  // neighbouring key, deletion, transposition or a doubled letter); doubled on the phone
  // channel, where names are heard rather than read.
  double typo_rate = 0.03;
  // Chance that an event of the web, app or phone channel gives a familiar form of the given
  // name ("Pepe" for "José") when the name has one. Office and video use official names.
  double nickname_rate = 0.15;
  // Chance that an office event's DNI/NIE has a typo (always invalid then); half on video.
  double national_id_typo_rate = 0.02;
  // Share of adults who get the full name (given name and both surnames) of an earlier person
  // of the same sex; 30% of them also share the birth year.
  double namesake_rate = 0.01;
  // Share of people who move (half as whole households, half alone) at some time.
  double mover_rate = 0.06;
  // Share of e-mail holders who switch to a new address at some time.
  double email_change_rate = 0.10;
  // Share of households with two adults where the second uses the first one's e-mail.
  double shared_email_rate = 0.02;
  // Relative weights of the channels (indexed by GenChannel). A person who cannot use a
  // channel (no portal account, no app) falls back to the others.
  std::array<double, kGenChannels> channel_weights = {30, 20, 20, 20, 10};

  // kInvalidArgument naming the first bad option.
  Status Validate() const;
};

// Counts over everything generated so far.
struct GenSummary {
  std::uint64_t people = 0;
  std::uint64_t households = 0;
  std::uint64_t events = 0;
  std::array<std::uint64_t, kGenChannels> per_channel{};
  // People whose given name and both surnames equal another person's; of them, people who
  // also share the birth year with such a namesake.
  std::uint64_t namesakes = 0;
  std::uint64_t namesakes_same_year = 0;
  std::uint64_t twins = 0;                // children born on the same day as a sibling
  std::uint64_t foreigners = 0;           // NIE holders
  std::uint64_t without_national_id = 0;  // mostly children under 14
  std::uint64_t movers = 0;
  std::uint64_t email_changes = 0;
  std::uint64_t shared_emails = 0;
  // Events that used a nickname; values that got a typo (names, streets, dates, DNIs).
  std::uint64_t nickname_events = 0;
  std::uint64_t typos = 0;
};

// One rendered event.
struct GeneratedEvent {
  std::string anonymous_id;
  std::uint64_t person_id = 0;
  GenChannel channel = GenChannel::kWeb;
  std::string json;  // one identify message, no newline
};

// The clean attributes of one generated person (what the events' values were derived from).
// Views stay valid as long as the generator.
struct GenPerson {
  std::string_view given;
  std::string_view surname1;
  std::string_view surname2;     // empty for some foreigners
  std::string_view national_id;  // "12345678Z", "X1234567L" or empty
  bool female = false;
  int birth_year = 0;
  std::uint32_t household = 0;
};

// Builds the population and plans the events up front; renders each event on demand in stream
// order (by timestamp). Not thread-safe.
class Generator {
 public:
  // kInvalidArgument for bad options.
  static Result<std::unique_ptr<Generator>> Create(const GenOptions& options);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  std::size_t event_count() const;
  std::size_t person_count() const;
  // Renders the i-th event of the stream into `out` (its buffers are reused) and counts it in
  // the summary. REQUIRES: i < event_count(); each i rendered once, in increasing order, for
  // the summary to be right (the event itself does not depend on the order).
  void Render(std::size_t i, GeneratedEvent* out);
  // REQUIRES: p < person_count().
  GenPerson person(std::size_t p) const;
  const GenSummary& summary() const;

 private:
  struct Rep;
  explicit Generator(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// Familiar forms of `given` from the nickname table ("José" -> {"Pepe", "Pepito"}).
std::vector<std::string_view> NicknamesOf(std::string_view given);

// Lower-cased, accents removed, 'ñ' -> 'n': how tests and reports compare names.
std::string FoldName(std::string_view text);

// A DNI (8 digits) or NIE (X/Y/Z + 7 digits) followed by its check letter, upper case, no
// separators, with the right letter.
bool IsValidNationalId(std::string_view id);

struct GenRunOptions {
  GenOptions gen;
  std::string events_path;  // NDJSON, one identify message per line
  std::string truth_path;   // CSV "anonymous_id,person_id"
  bool progress = true;
};

// `cdp gen`: writes both files, progress on stderr, a summary on stdout ending with a
// machine-readable `gen: people=... events=...` line. Returns the exit code (0, 1 on I/O
// errors, 2 for invalid options).
int RunGen(const GenRunOptions& options);

}  // namespace cdp::tools
