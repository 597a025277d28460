// The PhoneNormalizer of the server: phone numbers to E.164 with Google's libphonenumber.
// libphonenumber's headers stay in phone_normalizer.cc.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cdp/identifier.h"

namespace cdp::ingest {

// Parses a number with libphonenumber (national numbers in `region`), requires it to be a
// valid number of its region (IsValidNumber) and formats it as E.164. Thread-safe: the
// library's PhoneNumberUtil is a process-wide immutable singleton.
class LibPhoneNumberNormalizer final : public PhoneNormalizer {
 public:
  // Loads libphonenumber's metadata on first use in the process (a few milliseconds).
  static std::unique_ptr<LibPhoneNumberNormalizer> Create();
  ~LibPhoneNumberNormalizer() override;
  LibPhoneNumberNormalizer(const LibPhoneNumberNormalizer&) = delete;
  LibPhoneNumberNormalizer& operator=(const LibPhoneNumberNormalizer&) = delete;

  // nullopt when `raw` is not a valid number, or longer than 250 bytes (libphonenumber's
  // limit). `region` is an ISO 3166 code ("ES").
  std::optional<std::string> ToE164(std::string_view raw, std::string_view region) const override;

 private:
  LibPhoneNumberNormalizer();
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// A process-wide LibPhoneNumberNormalizer, created on first use and never destroyed (so it may
// be used from any thread until exit).
const PhoneNormalizer& DefaultPhoneNormalizer();

}  // namespace cdp::ingest
