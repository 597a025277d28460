// Tests for ingest/phone_normalizer.h: Spanish mobiles and landlines in national and
// international formats, foreign numbers, other default regions, garbage, and phone
// identifiers normalised through libphonenumber.
#include "ingest/phone_normalizer.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace cdp::ingest {
namespace {

struct PhoneCase {
  std::string raw;
  std::string region;
  std::optional<std::string> e164;
};

void PrintTo(const PhoneCase& c, std::ostream* os) {
  *os << "'" << c.raw << "' in " << c.region << " -> " << c.e164.value_or("nullopt");
}

const std::vector<PhoneCase> kPhoneCases = {
    // Spanish mobiles, national and international formats.
    {"600111222", "ES", "+34600111222"},
    {"600 11 12 22", "ES", "+34600111222"},
    {"600-111-222", "ES", "+34600111222"},
    {"+34 600-111-222", "ES", "+34600111222"},
    {"0034 600 111 222", "ES", "+34600111222"},
    {"(+34) 600.11.12.22", "ES", "+34600111222"},
    {"tel:+34-600-111-222", "ES", "+34600111222"},
    {"\xEF\xBC\x96\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x91\xEF\xBC\x91\xEF\xBC\x92"
     "\xEF\xBC\x92\xEF\xBC\x92",
     "ES", "+34600111222"},  // full-width digits
    {"700111222", "ES", "+34700111222"},
    // Spanish landlines and other services.
    {"915 123 456", "ES", "+34915123456"},
    {"+34 915123456", "ES", "+34915123456"},
    {"800 123 456", "ES", "+34800123456"},
    // Foreign numbers: with their prefix in any region, nationally in their own region.
    {"+1 650-253-0000", "ES", "+16502530000"},
    {"+44 20 7946 0958", "ES", "+442079460958"},
    {"+33 1 42 68 53 00", "ES", "+33142685300"},
    {"+351 912 345 678", "ES", "+351912345678"},
    {"020 7946 0958", "GB", "+442079460958"},
    {"(650) 253-0000", "US", "+16502530000"},
    {"+34600111222", "GB", "+34600111222"},
    {"600111222", "GB", std::nullopt},
    // Not valid numbers.
    {"+34 123 456 789", "ES", std::nullopt},
    {"+34 600 111 22", "ES", std::nullopt},
    {"60011122", "ES", std::nullopt},
    {"6001112222", "ES", std::nullopt},
    {"6001112220000", "ES", std::nullopt},
    {"600111222abc", "ES", std::nullopt},
    {"+999 123", "ES", std::nullopt},
    {"123", "ES", std::nullopt},
    {"abc", "ES", std::nullopt},
    {"+", "ES", std::nullopt},
    {"00", "ES", std::nullopt},
    {"", "ES", std::nullopt},
    {std::string(300, '6'), "ES", std::nullopt},
    {"600111222", "", std::nullopt},
    {"600111222", "ZZ", std::nullopt},
};

class LibPhoneNumberNormalizerTable : public testing::TestWithParam<PhoneCase> {};

TEST_P(LibPhoneNumberNormalizerTable, FormatsValidNumbersAsE164) {
  const PhoneNormalizer& phones = DefaultPhoneNormalizer();
  const PhoneCase& c = GetParam();
  EXPECT_EQ(phones.ToE164(c.raw, c.region), c.e164);
  if (c.e164.has_value()) {
    // E.164 is a fixed point.
    EXPECT_EQ(phones.ToE164(*c.e164, "ES"), c.e164);
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, LibPhoneNumberNormalizerTable, testing::ValuesIn(kPhoneCases));

TEST(LibPhoneNumberNormalizerTest, CreateGivesAnIndependentInstance) {
  auto phones = LibPhoneNumberNormalizer::Create();
  ASSERT_NE(phones, nullptr);
  EXPECT_EQ(phones->ToE164("600111222", "ES"), "+34600111222");
}

TEST(LibPhoneNumberNormalizerTest, IsUsableFromManyThreads) {
  const PhoneNormalizer& phones = DefaultPhoneNormalizer();
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&phones, &failures, t] {
      for (int i = 0; i < 200; ++i) {
        if (phones.ToE164("+34 600 111 222", "ES") != "+34600111222") ++failures[t];
        if (phones.ToE164("020 7946 0958", "GB") != "+442079460958") ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

TEST(LibPhoneNumberNormalizerTest, PhoneIdentifiersAreNormalisedAndTestNumbersBlocked) {
  const IdentityConfig config = IdentityConfig::Defaults();
  const PhoneNormalizer* phones = &DefaultPhoneNormalizer();
  NormalizedIdentifier n = NormalizeIdentifier(config, kPhone, " 600 11 12 22 ", phones);
  EXPECT_EQ(n.quality, IdentifierQuality::kValid);
  EXPECT_EQ(n.value, "+34600111222");
  for (const char* test_number : {"600 000 000", "+34 612 345 678", "666666666", "0034 912 345 678",
                                  "+34999999999", "000 000 000", "null"}) {
    EXPECT_EQ(NormalizeIdentifier(config, kPhone, test_number, phones).quality,
              IdentifierQuality::kBlocked)
        << test_number;
  }
  for (const char* garbage : {"abc", "+34 123 456 789", "12", "600\n111222"}) {
    EXPECT_EQ(NormalizeIdentifier(config, kPhone, garbage, phones).quality,
              IdentifierQuality::kInvalid)
        << garbage;
  }
}

}  // namespace
}  // namespace cdp::ingest
