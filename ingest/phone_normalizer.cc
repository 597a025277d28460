#include "ingest/phone_normalizer.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

namespace cdp::ingest {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber refuses longer input itself (kMaxInputStringLength); refusing it here first
// avoids copying it.
constexpr std::size_t kMaxInputLength = 250;

}  // namespace

struct LibPhoneNumberNormalizer::Rep {
  const PhoneNumberUtil* util = nullptr;  // the library's singleton; never destroyed
};

LibPhoneNumberNormalizer::LibPhoneNumberNormalizer() : rep_(std::make_unique<Rep>()) {
  rep_->util = PhoneNumberUtil::GetInstance();
}

LibPhoneNumberNormalizer::~LibPhoneNumberNormalizer() = default;

std::unique_ptr<LibPhoneNumberNormalizer> LibPhoneNumberNormalizer::Create() {
  return std::unique_ptr<LibPhoneNumberNormalizer>(new LibPhoneNumberNormalizer());
}

std::optional<std::string> LibPhoneNumberNormalizer::ToE164(std::string_view raw,
                                                            std::string_view region) const {
  if (raw.empty() || raw.size() > kMaxInputLength) return std::nullopt;
  PhoneNumber number;
  if (rep_->util->Parse(std::string(raw), std::string(region), &number) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return std::nullopt;
  }
  if (!rep_->util->IsValidNumber(number)) return std::nullopt;
  std::string e164;
  rep_->util->Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

const PhoneNormalizer& DefaultPhoneNormalizer() {
  // Leaked on purpose: parsers on other threads may still use it while statics are destroyed.
  static const LibPhoneNumberNormalizer* const normalizer =
      LibPhoneNumberNormalizer::Create().release();
  return *normalizer;
}

}  // namespace cdp::ingest
