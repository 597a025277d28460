#include "tools/linkage_csv.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "cdp/json_writer.h"

namespace cdp::tools {
namespace {

constexpr std::size_t kMaxProblems = 5;
// A line longer than this is not a record of these data sets.
constexpr std::size_t kMaxLineBytes = 1 << 20;

void NoteProblem(LinkageReadStats& stats, std::size_t line, const std::string& what) {
  ++stats.skipped;
  if (stats.problems.size() < kMaxProblems) {
    stats.problems.push_back("line " + std::to_string(line) + ": " + what);
  }
}

// Splits one CSV line into fields. With `skip_initial_space`, spaces after a separator are
// dropped (FEBRL's ", "). nullopt with `*why` set on bad quoting.
std::optional<std::vector<std::string>> SplitCsvLine(std::string_view line, bool skip_initial_space,
                                                     std::string* why) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (true) {
    if (skip_initial_space) {
      while (i < line.size() && line[i] == ' ') ++i;
    }
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field += line[i++];
      }
      if (!closed) {
        *why = "unterminated quoted field";
        return std::nullopt;
      }
      if (i < line.size() && line[i] != ',') {
        *why = "text after a closing quote";
        return std::nullopt;
      }
    } else {
      const std::size_t end = std::min(line.find(',', i), line.size());
      field.assign(line.substr(i, end - i));
      if (field.find('"') != std::string::npos) {
        *why = "a quote inside an unquoted field";
        return std::nullopt;
      }
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

// Calls `f(line_number, line)` for each line of `text`, without its "\r\n" or "\n".
template <typename F>
void ForEachLine(std::string_view text, F&& f) {
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(number, line);
  }
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "5" -> "05"; anything else as given.
std::string TwoDigits(std::string_view s) {
  if (s.size() == 1 && AllDigits(s)) return "0" + std::string(s);
  return std::string(s);
}

// Builds the identify message of one record; empty values are left out.
class MessageBuilder {
 public:
  explicit MessageBuilder(const std::string& anonymous_id) {
    w_.BeginObject();
    w_.Key("type").String("identify");
    w_.Key("messageId").String(anonymous_id);
    w_.Key("anonymousId").String(anonymous_id);
    w_.Key("traits").BeginObject();
  }
  void Trait(std::string_view key, std::string_view value) {
    if (!value.empty()) w_.Key(key).String(value);
  }
  void Address(std::string_view street, std::string_view city, std::string_view postal_code) {
    if (street.empty() && city.empty() && postal_code.empty()) return;
    w_.Key("address").BeginObject();
    Trait("street", street);
    Trait("city", city);
    Trait("postalCode", postal_code);
    w_.EndObject();
  }
  std::string Finish() {
    w_.EndObject().EndObject();
    return w_.Release();
  }

 private:
  JsonWriter w_;
};

std::string Join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + " " + std::string(b);
}

// The column layout of one data set: where each field is, by header name.
struct Layout {
  LinkageFormat format;
  std::unordered_map<std::string, std::size_t> column;
  std::size_t width = 0;

  std::string_view Get(const std::vector<std::string>& row, const char* name) const {
    const auto it = column.find(name);
    return it == column.end() ? std::string_view() : std::string_view(row[it->second]);
  }
};

std::optional<Layout> DetectLayout(const std::vector<std::string>& header) {
  Layout layout;
  layout.width = header.size();
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string name = header[i];
    while (!name.empty() && name.back() == ' ') name.pop_back();
    layout.column.emplace(name, i);
  }
  const auto has = [&](std::initializer_list<const char*> names) {
    return std::all_of(names.begin(), names.end(),
                       [&](const char* n) { return layout.column.count(n) != 0; });
  };
  if (has({"rec_id", "given_name", "surname", "date_of_birth"})) {
    layout.format = LinkageFormat::kFebrl;
  } else if (has({"unique_id", "first_name", "surname", "cluster"})) {
    layout.format = LinkageFormat::kSplinkFake;
  } else if (has({"record_id", "label_true", "fname_c1", "lname_c1"})) {
    layout.format = LinkageFormat::kRlData;
  } else {
    return std::nullopt;
  }
  return layout;
}

// FEBRL's "rec-12-org" / "rec-12-dup-3" -> "12".
std::optional<std::string> FebrlEntity(std::string_view rec_id) {
  if (!rec_id.starts_with("rec-")) return std::nullopt;
  rec_id.remove_prefix(4);
  const std::size_t dash = rec_id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view number = rec_id.substr(0, dash);
  const std::string_view rest = rec_id.substr(dash + 1);
  const bool org = rest == "org";
  const bool dup = rest.starts_with("dup-") && AllDigits(rest.substr(4));
  if (!AllDigits(number) || !(org || dup)) return std::nullopt;
  return std::string(number);
}

// Converts one row; nullopt with `*why` when its id or label cannot be read.
std::optional<LabelledMessage> ConvertRow(const Layout& layout, const std::vector<std::string>& row,
                                          std::string_view source, std::string* why) {
  LabelledMessage out;
  switch (layout.format) {
    case LinkageFormat::kFebrl: {
      const std::string_view rec_id = layout.Get(row, "rec_id");
      auto entity = FebrlEntity(rec_id);
      if (!entity) {
        *why = "rec_id is not rec-N-org or rec-N-dup-K";
        return std::nullopt;
      }
      out.entity = "febrl:" + *entity;
      out.anonymous_id = "csv-" + std::string(source) + "-" + std::string(rec_id);
      MessageBuilder m(out.anonymous_id);
      m.Trait("firstName", layout.Get(row, "given_name"));
      m.Trait("lastName", layout.Get(row, "surname"));
      const std::string_view dob = layout.Get(row, "date_of_birth");
      if (dob.size() == 8 && AllDigits(dob)) {
        m.Trait("birthday", std::string(dob.substr(0, 4)) + "-" + std::string(dob.substr(4, 2)) +
                                "-" + std::string(dob.substr(6, 2)));
      } else {
        m.Trait("birthday", dob);
      }
      m.Address(Join(layout.Get(row, "street_number"), layout.Get(row, "address_1")),
                layout.Get(row, "suburb"), layout.Get(row, "postcode"));
      m.Trait("documentId", layout.Get(row, "soc_sec_id"));
      out.json = m.Finish();
      return out;
    }
    case LinkageFormat::kSplinkFake: {
      const std::string_view id = layout.Get(row, "unique_id");
      const std::string_view cluster = layout.Get(row, "cluster");
      if (id.empty() || cluster.empty()) {
        *why = "unique_id or cluster is empty";
        return std::nullopt;
      }
      out.entity = std::string(source) + ":" + std::string(cluster);
      out.anonymous_id = "csv-" + std::string(source) + "-" + std::string(id);
      MessageBuilder m(out.anonymous_id);
      m.Trait("firstName", layout.Get(row, "first_name"));
      m.Trait("lastName", layout.Get(row, "surname"));
      m.Trait("birthday", layout.Get(row, "dob"));
      m.Address("", layout.Get(row, "city"), "");
      m.Trait("email", layout.Get(row, "email"));
      out.json = m.Finish();
      return out;
    }
    case LinkageFormat::kRlData: {
      const std::string_view id = layout.Get(row, "record_id");
      const std::string_view label = layout.Get(row, "label_true");
      if (id.empty() || label.empty()) {
        *why = "record_id or label_true is empty";
        return std::nullopt;
      }
      out.entity = std::string(source) + ":" + std::string(label);
      out.anonymous_id = "csv-" + std::string(source) + "-" + std::string(id);
      MessageBuilder m(out.anonymous_id);
      m.Trait("firstName", Join(layout.Get(row, "fname_c1"), layout.Get(row, "fname_c2")));
      m.Trait("lastName", layout.Get(row, "lname_c1"));
      m.Trait("secondLastName", layout.Get(row, "lname_c2"));
      const std::string_view year = layout.Get(row, "by");
      const std::string_view month = layout.Get(row, "bm");
      const std::string_view day = layout.Get(row, "bd");
      if (!year.empty()) {
        std::string date(year);
        if (!month.empty()) {
          date += "-" + TwoDigits(month);
          if (!day.empty()) date += "-" + TwoDigits(day);
        }
        m.Trait("birthday", date);
      }
      out.json = m.Finish();
      return out;
    }
    case LinkageFormat::kGenerated: break;
  }
  *why = "unsupported format";
  return std::nullopt;
}

std::string Stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

// The anonymousId of one NDJSON line; nullopt with `*why` when there is none.
std::optional<std::string> AnonymousIdOf(simdjson::dom::parser& parser, std::string_view line,
                                         std::string* why) {
  simdjson::dom::element root;
  if (parser.parse(line.data(), line.size()).get(root) != simdjson::SUCCESS) {
    *why = "not JSON";
    return std::nullopt;
  }
  std::string_view id;
  if (root["anonymousId"].get(id) != simdjson::SUCCESS || id.empty()) {
    *why = "no anonymousId";
    return std::nullopt;
  }
  return std::string(id);
}

Result<std::unordered_map<std::string, std::string>> ParseTruth(std::string_view truth) {
  std::unordered_map<std::string, std::string> out;
  Status status = Status::Ok();
  bool header = true;
  ForEachLine(truth, [&](std::size_t number, std::string_view line) {
    if (!status.ok() || IsBlank(line)) return;
    if (header) {
      header = false;
      if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
      if (line != "anonymous_id,person_id") {
        status = InvalidArgumentError("the truth file must start with anonymous_id,person_id");
      }
      return;
    }
    const std::size_t comma = line.find(',');
    if (comma == std::string_view::npos || comma == 0 || comma + 1 == line.size() ||
        line.find(',', comma + 1) != std::string_view::npos) {
      status = InvalidArgumentError("truth line " + std::to_string(number) +
                                    ": expected anonymous_id,person_id");
      return;
    }
    if (!out.emplace(std::string(line.substr(0, comma)), std::string(line.substr(comma + 1)))
             .second) {
      status =
          InvalidArgumentError("truth line " + std::to_string(number) + ": duplicate anonymous_id");
    }
  });
  if (!status.ok()) return status;
  if (header) return InvalidArgumentError("the truth file is empty");
  return out;
}

// Adds one events line to `out`.
void AddGeneratedLine(simdjson::dom::parser& parser,
                      const std::unordered_map<std::string, std::string>& truth,
                      std::unordered_set<std::string>& seen, std::size_t number,
                      std::string_view line, std::vector<LabelledMessage>& out,
                      LinkageReadStats& stats) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (IsBlank(line)) return;
  ++stats.rows;
  std::string why;
  auto id = AnonymousIdOf(parser, line, &why);
  if (!id) {
    NoteProblem(stats, number, why);
    return;
  }
  const auto it = truth.find(*id);
  if (it == truth.end()) {
    NoteProblem(stats, number, "anonymousId not in the truth file");
    return;
  }
  if (!seen.insert(*id).second) {
    NoteProblem(stats, number, "duplicate anonymousId");
    return;
  }
  out.push_back(LabelledMessage{std::move(*id), "gen:" + it->second, std::string(line)});
}

}  // namespace

std::string_view LinkageFormatName(LinkageFormat format) {
  switch (format) {
    case LinkageFormat::kFebrl: return "febrl";
    case LinkageFormat::kSplinkFake: return "fake_1000";
    case LinkageFormat::kRlData: return "rldata";
    case LinkageFormat::kGenerated: return "gen";
  }
  return "unknown";
}

Result<std::vector<LabelledMessage>> ParseLinkageCsv(std::string_view text, std::string_view source,
                                                     LinkageReadStats* stats_out) {
  LinkageReadStats local;
  LinkageReadStats& stats = stats_out != nullptr ? *stats_out : local;
  stats = LinkageReadStats();
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::optional<Layout> layout;
  bool skip_initial_space = false;
  Status status = Status::Ok();
  std::vector<LabelledMessage> out;
  std::unordered_set<std::string> ids;
  ForEachLine(text, [&](std::size_t number, std::string_view line) {
    if (!status.ok() || IsBlank(line)) return;
    if (!layout) {
      skip_initial_space = line.find(", ") != std::string_view::npos;
      std::string why;
      auto header = SplitCsvLine(line, skip_initial_space, &why);
      if (header) layout = DetectLayout(*header);
      if (!layout) {
        status = InvalidArgumentError(
            "unknown CSV header: expected FEBRL (rec_id, given_name, ...), fake_1000 (unique_id, "
            "first_name, ..., cluster) or RLdata (record_id, label_true, fname_c1, ...)");
      } else {
        stats.format = layout->format;
      }
      return;
    }
    ++stats.rows;
    if (line.size() > kMaxLineBytes) {
      NoteProblem(stats, number, "line too long");
      return;
    }
    std::string why;
    auto row = SplitCsvLine(line, skip_initial_space, &why);
    if (!row) {
      NoteProblem(stats, number, why);
      return;
    }
    if (row->size() != layout->width) {
      NoteProblem(
          stats, number,
          std::to_string(row->size()) + " fields, the header has " + std::to_string(layout->width));
      return;
    }
    auto message = ConvertRow(*layout, *row, source, &why);
    if (!message) {
      NoteProblem(stats, number, why);
      return;
    }
    if (!ids.insert(message->anonymous_id).second) {
      status = InvalidArgumentError("line " + std::to_string(number) + ": duplicate record id");
      return;
    }
    out.push_back(std::move(*message));
  });
  if (!status.ok()) return status;
  if (!layout) return InvalidArgumentError("empty CSV: no header");
  if (out.empty()) return InvalidArgumentError("no usable row in the CSV");
  return out;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path);
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return IoError("cannot read " + path);
  return text;
}

Result<std::vector<LabelledMessage>> ReadLinkageCsv(const std::string& path,
                                                    LinkageReadStats* stats) {
  CDP_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  auto messages = ParseLinkageCsv(text, Stem(path), stats);
  if (!messages.ok()) return messages.status().WithContext(path);
  return messages;
}

Result<std::vector<LabelledMessage>> ParseGeneratedEvents(std::string_view events,
                                                          std::string_view truth,
                                                          LinkageReadStats* stats_out) {
  LinkageReadStats local;
  LinkageReadStats& stats = stats_out != nullptr ? *stats_out : local;
  stats = LinkageReadStats();
  stats.format = LinkageFormat::kGenerated;
  CDP_ASSIGN_OR_RETURN(auto truth_map, ParseTruth(truth));
  simdjson::dom::parser parser;
  std::unordered_set<std::string> seen;
  std::vector<LabelledMessage> out;
  ForEachLine(events, [&](std::size_t number, std::string_view line) {
    AddGeneratedLine(parser, truth_map, seen, number, line, out, stats);
  });
  if (out.empty()) return InvalidArgumentError("no usable event");
  return out;
}

Result<std::vector<LabelledMessage>> ReadGeneratedEvents(const std::string& events_path,
                                                         const std::string& truth_path,
                                                         LinkageReadStats* stats_out) {
  LinkageReadStats local;
  LinkageReadStats& stats = stats_out != nullptr ? *stats_out : local;
  stats = LinkageReadStats();
  stats.format = LinkageFormat::kGenerated;
  CDP_ASSIGN_OR_RETURN(std::string truth_text, ReadWholeFile(truth_path));
  auto truth = ParseTruth(truth_text);
  if (!truth.ok()) return truth.status().WithContext(truth_path);
  truth_text = std::string();
  // The events file may be large: read it a line at a time.
  std::ifstream in(events_path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + events_path);
  simdjson::dom::parser parser;
  std::unordered_set<std::string> seen;
  std::vector<LabelledMessage> out;
  out.reserve(truth->size());
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.size() > kMaxLineBytes) {
      ++stats.rows;
      NoteProblem(stats, number, "line too long");
      continue;
    }
    AddGeneratedLine(parser, *truth, seen, number, line, out, stats);
  }
  if (in.bad()) return IoError("cannot read " + events_path);
  if (out.empty()) return InvalidArgumentError(events_path + ": no usable event");
  return out;
}

}  // namespace cdp::tools
