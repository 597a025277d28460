// The probabilistic matcher on one core: scoring candidate pairs (comparison vector + weight,
// the inner loop of matching and training) and resolving a stream of new person records
// through the identity graph (blocking, record-to-cluster scoring, linking).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "cdp/identity_graph.h"
#include "cdp/match_model.h"
#include "cdp/matcher.h"

namespace cdp {
namespace {

constexpr const char* kGiven[] = {"maria",  "jose",      "antonio", "carmen", "manuel",
                                  "ana",    "francisco", "laura",   "david",  "lucia",
                                  "javier", "isabel",    "pepe",    "lola",   "jose maria"};
constexpr const char* kSurnames[] = {"garcia",   "rodriguez", "gonzalez",  "fernandez", "lopez",
                                     "martinez", "sanchez",   "perez",     "gomez",     "martin",
                                     "jimenez",  "ruiz",      "hernandez", "diaz",      "moreno"};
constexpr const char* kStreets[] = {"calle mayor",  "avenida america", "calle alcala",
                                    "plaza espana", "calle toledo",    "paseo castellana"};

// Changes one character: the typos of data entry.
void Typo(std::string& s, std::mt19937_64& rng) {
  if (s.size() < 2) return;
  std::uniform_int_distribution<std::size_t> at(0, s.size() - 2);
  std::swap(s[at(rng)], s[at(rng) + 1]);
}

// Pairs of records: a quarter of the same person with variations, the rest different people
// sharing a blocking key (same surname and birth year), as a blocked candidate set holds.
std::vector<std::pair<PreparedRecord, PreparedRecord>> Pairs(std::size_t n) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::size_t> given(0, std::size(kGiven) - 1);
  std::uniform_int_distribution<std::size_t> surname(0, std::size(kSurnames) - 1);
  std::uniform_int_distribution<int> day(1, 28), month(1, 12), number(1, 200);
  std::vector<std::pair<PreparedRecord, PreparedRecord>> out;
  for (std::size_t i = 0; i < n; ++i) {
    PersonRecord a;
    a.given = kGiven[given(rng)];
    a.surname1 = kSurnames[surname(rng)];
    a.surname2 = kSurnames[surname(rng)];
    a.birth = BirthDate{static_cast<std::uint16_t>(1940 + i % 60),
                        static_cast<std::uint8_t>(month(rng)), static_cast<std::uint8_t>(day(rng))};
    a.street = std::string(kStreets[i % std::size(kStreets)]) + " " + std::to_string(number(rng));
    a.city = "madrid";
    a.postal_code = "280" + std::to_string(10 + i % 40);
    a.phone = "+346" + std::to_string(10000000 + i);
    a.email = a.given.substr(0, 4) + "." + a.surname1 + std::to_string(i) + "@correo.es";
    a.gender = i % 2 ? Gender::kFemale : Gender::kMale;
    PersonRecord b = a;
    if (i % 4 == 0) {
      Typo(b.surname2, rng);
      b.street.clear();
      if (i % 8 == 0) b.phone.clear();
    } else {
      b.given = kGiven[given(rng)];
      b.surname2 = kSurnames[surname(rng)];
      b.birth.day = static_cast<std::uint8_t>(day(rng));
      b.street = std::string(kStreets[(i + 1) % std::size(kStreets)]) + " 7";
      b.phone = "+346" + std::to_string(20000000 + i);
      b.email.clear();
    }
    out.emplace_back(PrepareRecord(a), PrepareRecord(b));
  }
  return out;
}

void BM_ScoreCandidatePairs(benchmark::State& state) {
  const auto pairs = Pairs(4096);
  const MatchModel model = MatchModel::Defaults();
  std::size_t i = 0;
  double sum = 0;
  for (auto _ : state) {
    const auto& [a, b] = pairs[i++ & 4095];
    sum += ScoreComparison(model, CompareRecords(a, b), a, nullptr, nullptr);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ScoreCandidatePairs);

void BM_CompareRecords(benchmark::State& state) {
  const auto pairs = Pairs(4096);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [a, b] = pairs[i++ & 4095];
    benchmark::DoNotOptimize(CompareRecords(a, b));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_CompareRecords);

// New records streaming through the graph and matcher: each event carries an anonymous id and
// a record; about a third are a variation of an earlier person's record.
void BM_ResolveRecords(benchmark::State& state) {
  const auto pairs = Pairs(200'000);
  IdentityGraph graph(IdentityConfig::Defaults());
  Matcher matcher(MatcherOptions(), MatchModel::Defaults());
  graph.SetRecordResolver(&matcher);
  std::vector<Event> events;
  events.reserve(2 * pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    for (const PreparedRecord* r : {&pairs[i].first, &pairs[i].second}) {
      Event e;
      e.type = EventType::kIdentify;
      e.message_id = "m" + std::to_string(events.size());
      e.timestamp = Timestamp(std::chrono::seconds(1'700'000'000 + events.size()));
      e.identifiers.push_back(Identifier{kAnonymousId, "a" + std::to_string(events.size()), true,
                                         IdentifierSource::kMessage});
      e.person = r->person;
      e.identifiers.push_back(Identifier{kPersonRecord, EncodePersonRecord(r->person), true,
                                         IdentifierSource::kMessage});
      events.push_back(std::move(e));
    }
  }
  std::size_t i = 0;
  GraphDelta delta;
  for (auto _ : state) {
    if (i == events.size()) {
      state.SkipWithError("ran out of events");
      break;
    }
    graph.ApplyEvent(events[i], i + 1);
    ++i;
    if (i % 1000 == 0) {
      graph.TakeDelta(&delta);
      matcher.TakeDelta(&delta);
    }
  }
  const MatcherStats s = matcher.Stats();
  state.counters["links"] = static_cast<double>(s.links);
  state.counters["pairs_per_record"] =
      s.resolved ? static_cast<double>(s.pairs_scored) / static_cast<double>(s.resolved) : 0;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ResolveRecords)->Iterations(300'000);

}  // namespace
}  // namespace cdp

BENCHMARK_MAIN();
