// The field comparators of the probabilistic matcher, one call per item, over fixed sets of
// realistic pairs: Spanish given names and surnames with typos, birth dates, emails, phones.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp/comparators.h"

namespace cdp {
namespace {

using Pair = std::pair<std::string_view, std::string_view>;

// About a quarter equal (the matcher's commonest case), the rest typos, spelling variants and
// unrelated names.
const std::vector<Pair>& NamePairs() {
  static const std::vector<Pair>* pairs = new std::vector<Pair>{
      {"maria", "maria"},
      {"jose", "jose"},
      {"garcia", "garcia"},
      {"fernandez", "fernandez"},
      {"martinez", "martinez"},
      {"maria del carmen", "maria del carmen"},
      {"rodriguez", "rodriguez"},
      {"lopez", "lopez"},
      {"gonzalez", "gonzales"},
      {"gonzalez", "gonzalex"},
      {"fernandez", "fernadnez"},
      {"rodriguez", "rodrigez"},
      {"martinez", "martines"},
      {"sanchez", "sanches"},
      {"perez", "peres"},
      {"gomez", "gomes"},
      {"jimenez", "gimenez"},
      {"hernandez", "hernandes"},
      {"herrera", "errera"},
      {"vazquez", "vasquez"},
      {"alvarez", "albarez"},
      {"dominguez", "domingez"},
      {"gutierrez", "gutierres"},
      {"yolanda", "llolanda"},
      {"quiroga", "kiroga"},
      {"javier", "xavier"},
      {"francisco javier", "francisco javie"},
      {"jose maria", "jose mari"},
      {"maria jose", "mariajose"},
      {"maria dolores", "maria dolors"},
      {"cristina", "christina"},
      {"guillermo", "gillermo"},
      {"inmaculada", "imaculada"},
      {"concepcion", "concepsion"},
      {"montserrat", "montserat"},
      {"alejandro", "alejandor"},
      {"antonio", "antnio"},
      {"manuel", "manuela"},
      {"juan", "juana"},
      {"luis", "luisa"},
      {"carmen", "carme"},
      {"pilar", "pillar"},
      {"isabel", "isabela"},
      {"raquel", "rachel"},
      {"garcia", "gracia"},
      {"maria", "mario"},
      {"ana", "eva"},
      {"pablo", "paula"},
      {"sergio", "jorge"},
      {"david", "daniel"},
      {"fernandez", "rodriguez"},
      {"martin", "moreno"},
      {"ruiz", "diaz"},
      {"navarro", "romero"},
      {"torres", "dominguez"},
      {"alonso", "gutierrez"},
      {"castillo", "castro"},
      {"ortega", "ortiz"},
      {"delgado", "delgada"},
      {"iglesias", "yglesias"},
      {"muñoz", "munoz"},
      {"suarez", "juarez"},
      {"molina", "medina"},
      {"blanco", "blanca"},
  };
  return *pairs;
}

// Street lines past 64 bytes: the dynamic-programming fallbacks.
const std::vector<Pair>& LongPairs() {
  static const std::vector<Pair>* pairs = new std::vector<Pair>{
      {"avenida de la constitucion espanola numero 123 portal 4 escalera b piso 5 puerta c",
       "avenida de la constitucion espanola numero 132 portal 4 escalera b piso 5 puerta d"},
      {"calle de nuestra senora de la asuncion y san jose de calasanz 17 bajo izquierda",
       "calle nuestra senora de la asuncion y san jose de calasanz 17 bajo izda escalera"},
      {"paseo de la castellana numero doscientos cincuenta y nueve torre de cristal planta",
       "plaza mayor de salamanca numero cuarenta y dos primero derecha junto al ayuntamiento"},
  };
  return *pairs;
}

std::int64_t PairBytes(const std::vector<Pair>& pairs) {
  std::int64_t bytes = 0;
  for (const auto& [a, b] : pairs) bytes += static_cast<std::int64_t>(a.size() + b.size());
  return bytes;
}

template <typename Fn>
void RunPairs(benchmark::State& state, const std::vector<Pair>& pairs, Fn fn) {
  for (auto _ : state) {
    for (const auto& [a, b] : pairs) benchmark::DoNotOptimize(fn(a, b));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pairs.size()));
  state.SetBytesProcessed(state.iterations() * PairBytes(pairs));
}

void BM_JaroWinkler(benchmark::State& state) {
  RunPairs(state, NamePairs(),
           [](std::string_view a, std::string_view b) { return JaroWinkler(a, b); });
}
BENCHMARK(BM_JaroWinkler);

void BM_Levenshtein(benchmark::State& state) {
  RunPairs(state, NamePairs(),
           [](std::string_view a, std::string_view b) { return Levenshtein(a, b); });
}
BENCHMARK(BM_Levenshtein);

void BM_DamerauOsa(benchmark::State& state) {
  RunPairs(state, NamePairs(),
           [](std::string_view a, std::string_view b) { return DamerauOsa(a, b); });
}
BENCHMARK(BM_DamerauOsa);

void BM_DamerauOsaBounded2(benchmark::State& state) {
  RunPairs(state, NamePairs(),
           [](std::string_view a, std::string_view b) { return DamerauOsaBounded(a, b, 2); });
}
BENCHMARK(BM_DamerauOsaBounded2);

void BM_JaroWinklerLong(benchmark::State& state) {
  RunPairs(state, LongPairs(),
           [](std::string_view a, std::string_view b) { return JaroWinkler(a, b); });
}
BENCHMARK(BM_JaroWinklerLong);

void BM_LevenshteinLong(benchmark::State& state) {
  RunPairs(state, LongPairs(),
           [](std::string_view a, std::string_view b) { return Levenshtein(a, b); });
}
BENCHMARK(BM_LevenshteinLong);

void BM_DamerauOsaLong(benchmark::State& state) {
  RunPairs(state, LongPairs(),
           [](std::string_view a, std::string_view b) { return DamerauOsa(a, b); });
}
BENCHMARK(BM_DamerauOsaLong);

void BM_SpanishPhoneticKey(benchmark::State& state) {
  const std::vector<Pair>& pairs = NamePairs();
  std::string key;
  std::int64_t bytes = 0;
  for (const auto& [a, b] : pairs) bytes += static_cast<std::int64_t>(a.size());
  for (auto _ : state) {
    for (const auto& [a, b] : pairs) {
      SpanishPhoneticKey(a, &key);
      benchmark::DoNotOptimize(key.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pairs.size()));
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_SpanishPhoneticKey);

void BM_CompareDates(benchmark::State& state) {
  const auto date = [](int y, int m, int d) {
    return BirthDate{static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(m),
                     static_cast<std::uint8_t>(d)};
  };
  const std::vector<std::pair<BirthDate, BirthDate>> pairs = {
      {date(1980, 2, 29), date(1980, 2, 29)}, {date(1975, 6, 14), date(1975, 6, 14)},
      {date(1980, 2, 19), date(1980, 2, 29)}, {date(1980, 3, 12), date(1980, 12, 3)},
      {date(1989, 5, 17), date(1998, 5, 17)}, {date(1980, 2, 29), date(1980, 7, 4)},
      {date(1980, 2, 29), date(1980, 0, 0)},  {date(1962, 11, 3), date(1991, 4, 27)},
      {date(2001, 8, 8), date(1957, 1, 30)},  {date(1980, 2, 29), BirthDate{}},
  };
  for (auto _ : state) {
    for (const auto& [a, b] : pairs) benchmark::DoNotOptimize(CompareDates(a, b));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pairs.size()));
}
BENCHMARK(BM_CompareDates);

void BM_CompareEmails(benchmark::State& state) {
  static const std::vector<Pair> pairs = {
      {"maria.garcia@gmail.com", "maria.garcia@gmail.com"},
      {"jlopez1975@hotmail.com", "jlopez1975@hotmail.com"},
      {"maria.garcia@gmail.com", "mariagarcia@gmail.com"},
      {"ana.gil+tienda@gmail.com", "anagil@gmail.com"},
      {"maria.garcia@gmail.com", "mariagarcia@hotmail.es"},
      {"fernandez.pablo@yahoo.es", "fernadez.pablo@yahoo.es"},
      {"jlopez1975@hotmail.com", "jlopez1976@gmail.com"},
      {"maria.garcia@gmail.com", "pedro.ruiz@telefonica.net"},
      {"info.carmen@empresa.es", "carmen.moreno@gmail.com"},
      {"sergio.alonso@outlook.com", "alonso.sergio@outlook.com"},
  };
  RunPairs(state, pairs,
           [](std::string_view a, std::string_view b) { return CompareEmails(a, b); });
}
BENCHMARK(BM_CompareEmails);

void BM_ComparePhones(benchmark::State& state) {
  static const std::vector<Pair> pairs = {
      {"+34600111222", "+34600111222"},  {"+34912345678", "+34912345678"},
      {"+34600111222", "+34600111223"},  {"+34600111222", "+34600112122"},
      {"+34600111222", "+351600111222"}, {"+34600111222", "+34699888777"},
      {"+34612345678", "+34687654321"},  {"+447700900123", "+34600111222"},
  };
  RunPairs(state, pairs,
           [](std::string_view a, std::string_view b) { return ComparePhones(a, b); });
}
BENCHMARK(BM_ComparePhones);

}  // namespace
}  // namespace cdp

BENCHMARK_MAIN();
