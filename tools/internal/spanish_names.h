// Fixed vocabularies for `cdp gen`: Spanish given names by sex and surnames with approximate
// INE frequencies, nicknames (hipocorísticos), cities with postal and landline prefixes, street
// names and e-mail domains. Data only; the generator draws from them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace cdp::tools::names {

// A value and its weight: for names and surnames roughly the number of residents in Spain, in
// thousands, who hold it (INE statistics, rounded); for the others a relative frequency.
struct Weighted {
  std::string_view value;
  std::uint32_t weight;
};

// The most common given names of women and of men, compound ones included ("María del
// Carmen", "José Antonio"), with accents as registered. No duplicates within a list.
std::span<const Weighted> FemaleGivenNames();
std::span<const Weighted> MaleGivenNames();

// The ~200 most common surnames (as first surname). Rarer surnames come from the tail below.
std::span<const Weighted> Surnames();

// Less common surnames, without frequencies: the generator gives them a Zipf-like tail of
// weights below the last of Surnames() (entries equal to a common surname are skipped).
std::span<const std::string_view> RareSurnames();

// A familiar form of a given name: "José" -> "Pepe", "María del Carmen" -> "Mari Carmen". A
// name may have several entries.
struct Nickname {
  std::string_view given;
  std::string_view nickname;
};
std::span<const Nickname> Nicknames();

// A municipality, its province's two-digit postal prefix and its landline prefix (two or three
// digits, the rest of the nine digits is the subscriber number); weight ~ population.
struct City {
  std::string_view name;
  std::string_view postal_prefix;
  std::string_view landline_prefix;
  std::uint32_t weight;
};
std::span<const City> Cities();

// A street type as written in full and its usual abbreviation ("Calle", "C/").
struct StreetType {
  std::string_view full;
  std::string_view abbreviation;
  std::uint32_t weight;
};
std::span<const StreetType> StreetTypes();
std::span<const std::string_view> StreetNames();

// Mail domains with their share of citizens' addresses.
std::span<const Weighted> EmailDomains();

}  // namespace cdp::tools::names
