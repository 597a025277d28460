// Labelled person records for measuring identity resolution, as Segment identify messages with
// their true entity: the public record-linkage data sets (FEBRL 1-4, Splink's fake_1000,
// RLdata500/10000; see docs/MATCHING_EVAL.md for the column mapping) and the output of
// `cdp gen` (events NDJSON and truth CSV). Used by `cdp eval` and `cdp train`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cdp/status.h"

namespace cdp::tools {

// One record as a message and its ground truth.
struct LabelledMessage {
  // The message's anonymousId, unique within a data set: the record's profile is looked up as
  // `anonymous_id:<id>`.
  std::string anonymous_id;
  // Records with the same entity are the same person. Namespaced by data set ("febrl:12",
  // "fake_1000:3", "gen:41"), so that labels of different files do not collide; the two files
  // of FEBRL4 share theirs (one population, linked across the files).
  std::string entity;
  // One Segment identify message with "type", messageId and anonymousId; no newline.
  std::string json;
};

enum class LinkageFormat { kFebrl, kSplinkFake, kRlData, kGenerated };

// "febrl", "fake_1000", "rldata", "gen".
std::string_view LinkageFormatName(LinkageFormat format);

// What a reader saw besides the records it returned.
struct LinkageReadStats {
  LinkageFormat format = LinkageFormat::kFebrl;
  std::size_t rows = 0;     // data rows or lines read (blank lines not counted)
  std::size_t skipped = 0;  // malformed rows, skipped
  // The first few reasons, e.g. "line 12: 10 fields, the header has 11".
  std::vector<std::string> problems;
};

// Parses the CSV `text` of one of the known data sets, recognised by its header's column
// names. Accepts "," or ", " separators, CRLF or LF line ends, a missing final newline, a UTF-8
// byte order mark and double-quoted fields (with "" for a quote; a field may not span lines).
// Rows with the wrong number of fields, bad quoting or a label that cannot be read are skipped
// and counted in `stats`. `source` names the data set in anonymous ids ("csv-<source>-<id>").
// Errors: kInvalidArgument for an unknown header, an empty text, duplicate record ids, or when
// no row is usable.
Result<std::vector<LabelledMessage>> ParseLinkageCsv(std::string_view text, std::string_view source,
                                                     LinkageReadStats* stats = nullptr);

// Reads and parses the file at `path`; the source is the file name without its folder and
// extension ("dataset4a"). kNotFound or kIoError when it cannot be read, else as above.
Result<std::vector<LabelledMessage>> ReadLinkageCsv(const std::string& path,
                                                    LinkageReadStats* stats = nullptr);

// Parses `cdp gen` output: `events` NDJSON (one message with an anonymousId a line) and its
// `truth` CSV ("anonymous_id,person_id"). Lines that are not JSON objects with an anonymousId,
// or whose id is missing from the truth, are skipped and counted. kInvalidArgument for a bad
// truth header, duplicate ids, or when no event is usable.
Result<std::vector<LabelledMessage>> ParseGeneratedEvents(std::string_view events,
                                                          std::string_view truth,
                                                          LinkageReadStats* stats = nullptr);

// Reads both files and parses them as above.
Result<std::vector<LabelledMessage>> ReadGeneratedEvents(const std::string& events_path,
                                                         const std::string& truth_path,
                                                         LinkageReadStats* stats = nullptr);

// The whole file at `path`. kNotFound when it cannot be opened, kIoError on a read error.
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace cdp::tools
