// A small streaming JSON writer for responses and files. It escapes strings and places commas;
// the caller keeps objects and arrays balanced.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cdp {

// Builds one JSON document in memory. Not thread-safe.
// Invalid UTF-8 in strings is replaced by U+FFFD so the output is always valid JSON.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // REQUIRES: inside an object, before the value.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Uint(std::uint64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts `json` verbatim as one value. REQUIRES: `json` is a valid JSON value.
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Release() { return std::move(out_); }

 private:
  void BeforeValue();
  std::string out_;
  // One entry per open container: true once it holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// Appends `value` to `out` as a quoted JSON string.
void AppendJsonString(std::string& out, std::string_view value);

}  // namespace cdp
