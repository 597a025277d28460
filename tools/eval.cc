#include "tools/eval.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "cdp/auth.h"
#include "cdp/status.h"
#include "tools/gen.h"
#include "tools/internal/progress.h"
#include "tools/internal/rng.h"
#include "tools/linkage_csv.h"

namespace cdp::tools {

// --- Pairwise metrics -------------------------------------------------------------------------

namespace {

std::uint64_t Pairs(std::uint64_t n) { return n * (n - 1) / 2; }

// Sorts `keys` and returns the sum of n(n-1)/2 over runs of equal keys; `*distinct` receives the
// number of runs.
std::uint64_t SumPairsOfRuns(std::vector<std::uint64_t>& keys, std::uint64_t* distinct) {
  std::sort(keys.begin(), keys.end());
  std::uint64_t sum = 0;
  std::uint64_t runs = 0;
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i + 1;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    sum += Pairs(j - i);
    ++runs;
    i = j;
  }
  if (distinct != nullptr) *distinct = runs;
  return sum;
}

}  // namespace

double PairwiseCounts::precision() const {
  if (predicted_pairs == 0) return 1.0;
  return static_cast<double>(true_positives) / static_cast<double>(predicted_pairs);
}

double PairwiseCounts::recall() const {
  if (true_pairs == 0) return 1.0;
  return static_cast<double>(true_positives) / static_cast<double>(true_pairs);
}

double PairwiseCounts::f1() const {
  const double p = precision();
  const double r = recall();
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

PairwiseCounts ComputePairwise(std::span<const std::uint32_t> truth,
                               std::span<const std::uint32_t> predicted) {
  PairwiseCounts out;
  const std::size_t n = std::min(truth.size(), predicted.size());
  out.records = n;
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = truth[i];
  out.true_pairs = SumPairsOfRuns(keys, &out.entities);
  for (std::size_t i = 0; i < n; ++i) keys[i] = predicted[i];
  out.predicted_pairs = SumPairsOfRuns(keys, &out.clusters);
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = (static_cast<std::uint64_t>(truth[i]) << 32) | predicted[i];
  }
  out.true_positives = SumPairsOfRuns(keys, nullptr);
  return out;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> CrossPairs(
    std::span<const std::uint32_t> outer, std::span<const std::uint32_t> inner, std::size_t cap,
    std::uint64_t seed, std::uint64_t* total) {
  const std::size_t n = std::min(outer.size(), inner.size());
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (outer[a] != outer[b]) return outer[a] < outer[b];
    if (inner[a] != inner[b]) return inner[a] < inner[b];
    return a < b;
  });
  // Runs of equal (outer, inner) within each outer cluster that has more than one run.
  struct Run {
    std::size_t begin;  // position in `order`
    std::size_t size;
    std::uint64_t cumulative_weight;  // over the cluster's runs of size * (m - size)
  };
  struct Cluster {
    std::size_t begin;  // position in `order`
    std::size_t size;
    std::size_t first_run;  // index into `runs`
    std::size_t run_count;
    std::uint64_t cross;  // pairs across its runs
    std::uint64_t cumulative_cross;
  };
  std::vector<Run> runs;
  std::vector<Cluster> clusters;
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t end = i + 1;
    while (end < n && outer[order[end]] == outer[order[i]]) ++end;
    const std::size_t first_run = runs.size();
    std::uint64_t squares = 0;
    for (std::size_t r = i; r < end;) {
      std::size_t r_end = r + 1;
      while (r_end < end && inner[order[r_end]] == inner[order[r]]) ++r_end;
      runs.push_back(Run{r, r_end - r, 0});
      squares += static_cast<std::uint64_t>(r_end - r) * (r_end - r);
      r = r_end;
    }
    const std::uint64_t m = end - i;
    const std::uint64_t cross = (m * m - squares) / 2;
    if (cross == 0) {
      runs.resize(first_run);
    } else {
      std::uint64_t weight = 0;
      for (std::size_t r = first_run; r < runs.size(); ++r) {
        weight += runs[r].size * (m - runs[r].size);
        runs[r].cumulative_weight = weight;
      }
      sum += cross;
      clusters.push_back(Cluster{i, end - i, first_run, runs.size() - first_run, cross, sum});
    }
    i = end;
  }
  if (total != nullptr) *total = sum;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  const auto add = [&out](std::uint32_t a, std::uint32_t b) {
    out.emplace_back(std::min(a, b), std::max(a, b));
  };
  if (sum <= cap) {
    out.reserve(sum);
    for (const Cluster& c : clusters) {
      for (std::size_t a = c.first_run; a < c.first_run + c.run_count; ++a) {
        for (std::size_t b = a + 1; b < c.first_run + c.run_count; ++b) {
          for (std::size_t x = 0; x < runs[a].size; ++x) {
            for (std::size_t y = 0; y < runs[b].size; ++y) {
              add(order[runs[a].begin + x], order[runs[b].begin + y]);
            }
          }
        }
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Uniform over all cross pairs: a cluster by its share of them, then a run by
  // size * (m - size), a member of it, and a member of the cluster outside it.
  Rng rng(SplitMix(seed));
  out.reserve(cap);
  for (std::size_t k = 0; k < cap; ++k) {
    const std::uint64_t u = rng.Below64(sum);
    const auto cluster_it =
        std::upper_bound(clusters.begin(), clusters.end(), u,
                         [](std::uint64_t v, const Cluster& c) { return v < c.cumulative_cross; });
    const Cluster& c = *cluster_it;
    const std::uint64_t v = rng.Below64(2 * c.cross);
    const auto first = runs.begin() + static_cast<std::ptrdiff_t>(c.first_run);
    const auto run_it = std::upper_bound(
        first, first + static_cast<std::ptrdiff_t>(c.run_count), v,
        [](std::uint64_t value, const Run& r) { return value < r.cumulative_weight; });
    const Run& r = *run_it;
    const std::uint32_t x = order[r.begin + rng.Below64(r.size)];
    std::size_t pos = c.begin + rng.Below64(c.size - r.size);
    if (pos >= r.begin) pos += r.size;
    add(x, order[pos]);
  }
  return out;
}

// --- Linkable pairs ---------------------------------------------------------------------------

namespace {

// Disjoint sets of record indices, by path halving. Not thread-safe.
class DisjointSets {
 public:
  explicit DisjointSets(std::size_t n) : parent_(n) {
    std::iota(parent_.begin(), parent_.end(), 0u);
  }
  std::uint32_t Find(std::uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void Join(std::uint32_t a, std::uint32_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::uint32_t> parent_;
};

// The string at `key` of `object`, or "" when it is missing or not a string.
std::string_view StringAt(simdjson::dom::object object, std::string_view key) {
  std::string_view value;
  if (object[key].get(value) != simdjson::SUCCESS) return {};
  return value;
}

// The first run of letters of the folded `text` ("MIGUEL ÁNGEL" -> "miguel"); "" when none.
std::string FirstFoldedWord(std::string_view text) {
  const std::string folded = FoldName(text);
  std::string out;
  for (char c : folded) {
    if (c >= 'a' && c <= 'z') {
      out += c;
    } else if (!out.empty()) {
      break;
    }
  }
  return out;
}

// Appends the evidence of one message to `keys`, each as a kind letter and a normalised value.
void AppendEvidence(simdjson::dom::object root, std::vector<std::string>* keys) {
  const auto add = [keys](char kind, std::string_view value) {
    if (value.empty()) return;
    std::string key(1, kind);
    key += value;
    keys->push_back(std::move(key));
  };
  add('u', StringAt(root, "userId"));
  std::string_view device;
  if (root.at_pointer("/context/device/id").get(device) == simdjson::SUCCESS) add('d', device);
  simdjson::dom::object traits;
  if (root["traits"].get(traits) != simdjson::SUCCESS) return;
  std::string email(StringAt(traits, "email"));
  for (char& c : email) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  add('e', email);
  std::string digits;
  for (char c : StringAt(traits, "phone")) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.size() >= 9) add('p', std::string_view(digits).substr(digits.size() - 9));
  std::string national_id;
  for (char c : StringAt(traits, "nationalId")) {
    if (c >= 'a' && c <= 'z') {
      national_id += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      national_id += c;
    }
  }
  if (IsValidNationalId(national_id)) add('n', national_id);
  add('x', StringAt(traits, "documentId"));
  const std::string_view birthday = StringAt(traits, "birthday");
  if (!birthday.empty()) {
    std::string_view given = StringAt(traits, "firstName");
    if (given.empty()) given = StringAt(traits, "name");
    const std::string word = FirstFoldedWord(given);
    if (!word.empty()) add('b', word + '|' + std::string(birthday));
  }
}

}  // namespace

std::vector<std::uint32_t> LinkableComponents(std::span<const LabelledMessage> messages) {
  DisjointSets sets(messages.size());
  std::unordered_map<std::string, std::uint32_t> entities;
  // (entity label, evidence) -> the first record that showed it.
  std::unordered_map<std::string, std::uint32_t> first_seen;
  simdjson::dom::parser parser;
  std::vector<std::string> evidence;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto record = static_cast<std::uint32_t>(i);
    simdjson::dom::object root;
    if (parser.parse(messages[i].json).get(root) != simdjson::SUCCESS) continue;
    evidence.clear();
    AppendEvidence(root, &evidence);
    if (evidence.empty()) continue;
    const std::uint32_t entity =
        entities.emplace(messages[i].entity, static_cast<std::uint32_t>(entities.size()))
            .first->second;
    for (const std::string& e : evidence) {
      // A fixed-width entity prefix: values of different entities never collide.
      std::string key(reinterpret_cast<const char*>(&entity), sizeof(entity));
      key += e;
      const auto [it, inserted] = first_seen.emplace(std::move(key), record);
      if (!inserted) sets.Join(it->second, record);
    }
  }
  std::vector<std::uint32_t> labels(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    labels[i] = sets.Find(static_cast<std::uint32_t>(i));
  }
  return labels;
}

// --- HTTP -------------------------------------------------------------------------------------

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// Profiles of over-merged clusters can be large; anything beyond this is an error.
constexpr std::size_t kMaxReplyBytes = 64u << 20;
// A batch request stays under the API's 500 KB.
constexpr std::size_t kMaxBatchBytes = 400u << 10;
constexpr int kMaxAttempts = 8;

struct ServerUrl {
  std::string host;
  std::string port;
  std::string base_path;  // "" or "/prefix" without a trailing slash
};

Result<ServerUrl> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return InvalidArgumentError("--url must start with http:// (https is not supported)");
  }
  url.remove_prefix(kScheme.size());
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  ServerUrl out;
  out.base_path = std::string(path);
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError("--url: bad IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') {
      return InvalidArgumentError("--url: bad address");
    }
    out.port = authority.empty() ? "80" : std::string(authority.substr(1));
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    out.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(out.port.data(), out.port.data() + out.port.size(), port);
  if (out.host.empty() || ec != std::errc() || end != out.port.data() + out.port.size() ||
      port == 0 || port > 65535) {
    return InvalidArgumentError("--url needs a host and a port in 1..65535");
  }
  return out;
}

struct Reply {
  int status = 0;
  std::string body;
  std::string retry_after;
};

// One keep-alive HTTP/1.1 connection, used synchronously: each call runs its own small event
// loop so that every step has a deadline. Not thread-safe: one per thread.
class HttpClient {
 public:
  HttpClient(tcp::resolver::results_type endpoints, std::string host_header, std::string base_path,
             std::string authorization, std::chrono::milliseconds timeout)
      : endpoints_(std::move(endpoints)),
        host_header_(std::move(host_header)),
        base_path_(std::move(base_path)),
        authorization_(std::move(authorization)),
        timeout_(timeout) {}

  // One request and its reply. A kept-alive connection that the server has closed meanwhile
  // is reopened and the request sent again (safe here: look-ups are reads and batches are
  // deduplicated by messageId). kUnavailable when the server cannot be reached or does not
  // answer in time.
  Result<Reply> Call(http::verb verb, const std::string& target, const std::string& body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = connected_;
      if (!connected_) {
        beast::error_code ec;
        bool done = false;
        stream_.expires_after(timeout_);
        stream_.async_connect(endpoints_, [&](beast::error_code e, const tcp::endpoint&) {
          ec = e;
          done = true;
        });
        RunLoop();
        if (!done || ec) {
          Close();
          return UnavailableError("cannot connect: " + (ec ? ec.message() : "timed out"));
        }
        stream_.socket().set_option(tcp::no_delay(true), ec);
        connected_ = true;
      }
      http::request<http::string_body> request{verb, base_path_ + target, 11};
      request.set(http::field::host, host_header_);
      if (!authorization_.empty()) request.set(http::field::authorization, authorization_);
      request.set(http::field::user_agent, "cdp-eval");
      if (!body.empty()) {
        request.set(http::field::content_type, "application/json");
        request.body() = body;
      }
      request.keep_alive(true);
      request.prepare_payload();
      beast::error_code ec;
      stream_.expires_after(timeout_);
      http::async_write(stream_, request, [&](beast::error_code e, std::size_t) { ec = e; });
      RunLoop();
      if (ec) {
        Close();
        if (reused) continue;
        return UnavailableError("sending failed: " + ec.message());
      }
      http::response_parser<http::string_body> parser;
      parser.body_limit(kMaxReplyBytes);
      stream_.expires_after(timeout_);
      http::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
      RunLoop();
      if (ec) {
        Close();
        if (reused && ec == http::error::end_of_stream) continue;
        return UnavailableError("no reply: " + ec.message());
      }
      auto response = parser.release();
      Reply reply;
      reply.status = static_cast<int>(response.result_int());
      reply.body = std::move(response.body());
      if (auto it = response.find(http::field::retry_after); it != response.end()) {
        reply.retry_after = std::string(it->value());
      }
      if (!response.keep_alive()) Close();
      return reply;
    }
    return UnavailableError("the server closed the connection twice");
  }

 private:
  void RunLoop() {
    ioc_.restart();
    ioc_.run();
  }
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
  }

  asio::io_context ioc_{1};
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  bool connected_ = false;
  tcp::resolver::results_type endpoints_;
  std::string host_header_;
  std::string base_path_;
  std::string authorization_;
  std::chrono::milliseconds timeout_;
};

std::chrono::milliseconds RetryAfter(const std::string& value) {
  unsigned seconds = 1;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc()) seconds = 1;
  return std::chrono::milliseconds(std::clamp(seconds, 0u, 30u) * 1000u + 100u);
}

// 200 ms, 400 ms, ... up to 2 s.
std::chrono::milliseconds Backoff(int attempt) {
  return std::chrono::milliseconds(std::min(100 << std::min(attempt, 5), 2000));
}

bool IsFatalStatus(int status) {
  return status == 401 || status == 403 || status == 404 || status == 405;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// What the worker threads share. Thread-safe (atomics; `mu` for the first error text).
struct Shared {
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> backoffs{0};
  std::atomic<std::uint64_t> found{0};
  std::atomic<std::uint64_t> not_found{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::string fatal;  // why the run stopped; empty while it goes on

  void Fail(std::string why) {
    std::lock_guard<std::mutex> lock(mu);
    if (fatal.empty()) fatal = std::move(why);
    stop = true;
  }
};

// Runs `work(thread_index)` on `threads` threads while the calling thread shows progress.
template <typename Work>
void RunThreads(int threads, Shared& shared, ProgressBar& progress, Work work) {
  std::vector<std::thread> pool;
  std::atomic<int> running{threads};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        work(t);
      } catch (const std::exception& e) {
        shared.Fail(std::string("internal error: ") + e.what());
      }
      --running;
    });
  }
  while (running.load() > 0) {
    progress.Update(shared.done.load());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (std::thread& t : pool) t.join();
  progress.Update(shared.done.load(), /*force=*/true);
  progress.Finish();
}

// --- Per-field report -------------------------------------------------------------------------

// The fields compared in wrong pairs: traits, then identifiers outside traits.
constexpr std::array<std::string_view, 15> kFields = {
    "firstName",  "lastName",   "secondLastName", "name",   "birthday",
    "street",     "city",       "postalCode",     "phone",  "email",
    "nationalId", "documentId", "gender",         "userId", "deviceId"};
constexpr std::size_t kFieldCount = kFields.size();

// A non-zero hash of a present value; 0 for a missing or empty one.
std::uint64_t ValueHash(simdjson::dom::element value) {
  if (value.is_null()) return 0;
  std::string_view text;
  std::uint64_t h = 0;
  if (value.get(text) == simdjson::SUCCESS) {
    if (text.empty()) return 0;
    h = Fnv1a(text);
  } else {
    h = Fnv1a(simdjson::minify(value)) ^ 0x5555;
  }
  return h == 0 ? 1 : h;
}

// Hashes of each record's fields, kFieldCount per record.
std::vector<std::uint64_t> ExtractFields(const std::vector<LabelledMessage>& messages) {
  std::vector<std::uint64_t> out(messages.size() * kFieldCount, 0);
  simdjson::dom::parser parser;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    simdjson::dom::element root;
    if (parser.parse(messages[i].json).get(root) != simdjson::SUCCESS) continue;
    std::uint64_t* row = &out[i * kFieldCount];
    simdjson::dom::element e;
    simdjson::dom::object traits;
    if (root["traits"].get(traits) == simdjson::SUCCESS) {
      for (std::size_t f = 0; f < 5; ++f) {
        if (traits[kFields[f]].get(e) == simdjson::SUCCESS) row[f] = ValueHash(e);
      }
      simdjson::dom::object address;
      if (traits["address"].get(address) == simdjson::SUCCESS) {
        if (address["street"].get(e) == simdjson::SUCCESS) row[5] = ValueHash(e);
        if (address["city"].get(e) == simdjson::SUCCESS) row[6] = ValueHash(e);
        if (address["postalCode"].get(e) == simdjson::SUCCESS) row[7] = ValueHash(e);
      }
      for (std::size_t f = 8; f < 13; ++f) {
        if (traits[kFields[f]].get(e) == simdjson::SUCCESS) row[f] = ValueHash(e);
      }
    }
    if (root["userId"].get(e) == simdjson::SUCCESS) row[13] = ValueHash(e);
    if (root.at_pointer("/context/device/id").get(e) == simdjson::SUCCESS) row[14] = ValueHash(e);
  }
  return out;
}

struct FieldTally {
  std::uint64_t agree = 0;
  std::uint64_t differ = 0;
  std::uint64_t one_missing = 0;
  std::uint64_t both_missing = 0;
};

void PrintFieldReport(const char* title, std::uint64_t total,
                      const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                      const std::vector<std::uint64_t>& fields,
                      const std::vector<LabelledMessage>& messages, int examples) {
  std::printf("\n%s: %llu pairs", title, static_cast<unsigned long long>(total));
  if (total == 0) {
    std::printf("\n");
    return;
  }
  if (pairs.size() < total) {
    std::printf(", %zu sampled\n", pairs.size());
  } else {
    std::printf(", all examined\n");
  }
  std::array<FieldTally, kFieldCount> tally{};
  for (const auto& [a, b] : pairs) {
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      const std::uint64_t x = fields[a * kFieldCount + f];
      const std::uint64_t y = fields[b * kFieldCount + f];
      FieldTally& t = tally[f];
      if (x == 0 && y == 0) {
        ++t.both_missing;
      } else if (x == 0 || y == 0) {
        ++t.one_missing;
      } else if (x == y) {
        ++t.agree;
      } else {
        ++t.differ;
      }
    }
  }
  std::printf("  %-15s %10s %10s %8s %12s %13s\n", "field", "agree", "differ", "differ%",
              "one missing", "both missing");
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    const FieldTally& t = tally[f];
    if (t.agree + t.differ + t.one_missing == 0) continue;
    const std::uint64_t present = t.agree + t.differ;
    std::printf(
        "  %-15s %10llu %10llu %7.1f%% %12llu %13llu\n", std::string(kFields[f]).c_str(),
        static_cast<unsigned long long>(t.agree), static_cast<unsigned long long>(t.differ),
        present == 0 ? 0.0 : 100.0 * static_cast<double>(t.differ) / static_cast<double>(present),
        static_cast<unsigned long long>(t.one_missing),
        static_cast<unsigned long long>(t.both_missing));
  }
  const std::size_t shown = std::min(pairs.size(), static_cast<std::size_t>(std::max(examples, 0)));
  if (shown > 0) std::printf("  examples (anonymous ids):\n");
  for (std::size_t k = 0; k < shown; ++k) {
    std::printf("    %s  %s\n", messages[pairs[k].first].anonymous_id.c_str(),
                messages[pairs[k].second].anonymous_id.c_str());
  }
}

// Sizes of the largest cluster and the number of singletons of `labels`.
void ClusterShape(const std::vector<std::uint32_t>& labels, std::uint64_t* singletons,
                  std::uint64_t* largest) {
  std::unordered_map<std::uint32_t, std::uint64_t> sizes;
  for (std::uint32_t l : labels) ++sizes[l];
  *singletons = 0;
  *largest = 0;
  for (const auto& [label, size] : sizes) {
    if (size == 1) ++*singletons;
    *largest = std::max(*largest, size);
  }
}

Status LoadMessages(const EvalOptions& options, std::vector<LabelledMessage>* out,
                    std::string* description) {
  if (!options.events_path.empty()) {
    LinkageReadStats stats;
    CDP_ASSIGN_OR_RETURN(*out,
                         ReadGeneratedEvents(options.events_path, options.truth_path, &stats));
    *description = "gen: " + options.events_path;
    if (stats.skipped > 0) {
      std::fprintf(stderr, "cdp eval: %s: %zu of %zu lines skipped\n", options.events_path.c_str(),
                   stats.skipped, stats.rows);
      for (const std::string& p : stats.problems) std::fprintf(stderr, "  %s\n", p.c_str());
    }
    return Status::Ok();
  }
  std::unordered_map<std::string, std::size_t> seen;
  for (const std::string& path : options.csv_paths) {
    LinkageReadStats stats;
    CDP_ASSIGN_OR_RETURN(std::vector<LabelledMessage> part, ReadLinkageCsv(path, &stats));
    if (!description->empty()) *description += " + ";
    *description += std::string(LinkageFormatName(stats.format)) + ": " + path;
    if (stats.skipped > 0) {
      std::fprintf(stderr, "cdp eval: %s: %zu of %zu rows skipped\n", path.c_str(), stats.skipped,
                   stats.rows);
      for (const std::string& p : stats.problems) std::fprintf(stderr, "  %s\n", p.c_str());
    }
    for (LabelledMessage& m : part) {
      if (!seen.emplace(m.anonymous_id, out->size()).second) {
        return InvalidArgumentError("record " + m.anonymous_id + " appears twice (" + path + ")");
      }
      out->push_back(std::move(m));
    }
  }
  return Status::Ok();
}

struct Endpoint {
  tcp::resolver::results_type endpoints;
  std::string host_header;
  std::string base_path;
};

std::string BasicAuthorization(const std::string& key) {
  return "Basic " + Base64Encode(key + ":");
}

// Posts `body` until it is acknowledged or rejected. Returns the final status (200, 400, 413,
// ...) or 0 when the server could not be used.
int PostBatch(HttpClient& client, const std::string& body, Shared& shared) {
  int failures = 0;
  while (!shared.stop.load()) {
    auto reply = client.Call(http::verb::post, "/v1/batch", body);
    if (!reply.ok()) {
      if (++failures >= kMaxAttempts) {
        shared.Fail("POST /v1/batch: " + std::string(reply.status().message()));
        return 0;
      }
      std::this_thread::sleep_for(Backoff(failures));
      continue;
    }
    if (reply->status == 429 || reply->status == 503) {
      ++shared.backoffs;
      std::this_thread::sleep_for(RetryAfter(reply->retry_after));
      continue;
    }
    if (IsFatalStatus(reply->status)) {
      shared.Fail(
          "POST /v1/batch: HTTP " + std::to_string(reply->status) +
          (reply->status == 401 || reply->status == 403 ? " (the key needs the write scope)" : ""));
      return 0;
    }
    if (reply->status >= 500) {
      if (++failures >= kMaxAttempts) {
        shared.Fail("POST /v1/batch: HTTP " + std::to_string(reply->status));
        return 0;
      }
      std::this_thread::sleep_for(Backoff(failures));
      continue;
    }
    return reply->status;
  }
  return 0;
}

std::string BatchBody(const std::vector<LabelledMessage>& messages, std::size_t begin,
                      std::size_t end) {
  std::string body = "{\"batch\":[";
  for (std::size_t i = begin; i < end; ++i) {
    if (i > begin) body += ',';
    body += messages[i].json;
  }
  body += "]}";
  return body;
}

// Sends every message in batches, in file order on each connection.
void SendAll(const std::vector<LabelledMessage>& messages, const EvalOptions& options,
             const Endpoint& endpoint, Shared& shared) {
  std::vector<std::pair<std::size_t, std::size_t>> batches;
  for (std::size_t i = 0; i < messages.size();) {
    std::size_t end = i;
    std::size_t bytes = 16;
    while (end < messages.size() && end - i < static_cast<std::size_t>(options.batch) &&
           (end == i || bytes + messages[end].json.size() + 1 <= kMaxBatchBytes)) {
      bytes += messages[end].json.size() + 1;
      ++end;
    }
    batches.emplace_back(i, end);
    i = end;
  }
  std::atomic<std::size_t> next{0};
  ProgressBar progress(options.progress, "sending", "events", messages.size());
  const std::chrono::milliseconds timeout(static_cast<std::int64_t>(options.timeout_s * 1000));
  RunThreads(options.send_connections, shared, progress, [&](int) {
    HttpClient client(endpoint.endpoints, endpoint.host_header, endpoint.base_path,
                      BasicAuthorization(options.key), timeout);
    while (!shared.stop.load()) {
      const std::size_t b = next++;
      if (b >= batches.size()) break;
      const auto [begin, end] = batches[b];
      const int status = PostBatch(client, BatchBody(messages, begin, end), shared);
      if (status == 200) {
        shared.acked += end - begin;
      } else if (status != 0) {
        // A batch is all-or-nothing: send its messages one by one to keep the valid ones.
        for (std::size_t i = begin; i < end && !shared.stop.load(); ++i) {
          const int one = PostBatch(client, BatchBody(messages, i, i + 1), shared);
          if (one == 200) {
            ++shared.acked;
          } else if (one != 0) {
            ++shared.rejected;
          }
        }
      }
      shared.done += end - begin;
    }
  });
}

// Looks up each message's profile; `profile_ids[i]` stays empty when there is none.
void LookUpAll(const std::vector<LabelledMessage>& messages, const EvalOptions& options,
               const Endpoint& endpoint, Shared& shared, std::vector<std::string>& profile_ids) {
  constexpr std::size_t kChunk = 256;
  std::atomic<std::size_t> next{0};
  ProgressBar progress(options.progress, "looking up", "records", messages.size());
  const std::chrono::milliseconds timeout(static_cast<std::int64_t>(options.timeout_s * 1000));
  const std::string& key = options.read_key.empty() ? options.key : options.read_key;
  RunThreads(options.connections, shared, progress, [&](int) {
    HttpClient client(endpoint.endpoints, endpoint.host_header, endpoint.base_path,
                      BasicAuthorization(key), timeout);
    simdjson::dom::parser parser;
    while (!shared.stop.load()) {
      const std::size_t begin = next.fetch_add(kChunk);
      if (begin >= messages.size()) break;
      const std::size_t end = std::min(begin + kChunk, messages.size());
      for (std::size_t i = begin; i < end && !shared.stop.load(); ++i) {
        const std::string target =
            "/v1/profiles/anonymous_id:" + PercentEncode(messages[i].anonymous_id);
        int failures = 0;
        while (!shared.stop.load()) {
          auto reply = client.Call(http::verb::get, target, std::string());
          if (!reply.ok()) {
            if (++failures >= kMaxAttempts) {
              shared.Fail("GET /v1/profiles: " + std::string(reply.status().message()));
              break;
            }
            std::this_thread::sleep_for(Backoff(failures));
            continue;
          }
          if (reply->status == 429 || reply->status == 503) {
            ++shared.backoffs;
            std::this_thread::sleep_for(RetryAfter(reply->retry_after));
            continue;
          }
          if (reply->status == 404) {
            ++shared.not_found;
            break;
          }
          if (reply->status == 401 || reply->status == 403) {
            shared.Fail("GET /v1/profiles: HTTP " + std::to_string(reply->status) +
                        " (the key needs the read scope)");
            break;
          }
          std::string_view id;
          simdjson::dom::element root;
          if (reply->status == 200 && parser.parse(reply->body).get(root) == simdjson::SUCCESS &&
              root["id"].get(id) == simdjson::SUCCESS && !id.empty()) {
            profile_ids[i] = std::string(id);
            ++shared.found;
            break;
          }
          if (reply->status >= 500 && ++failures < kMaxAttempts) {
            std::this_thread::sleep_for(Backoff(failures));
            continue;
          }
          ++shared.errors;
          break;
        }
        ++shared.done;
      }
    }
  });
}

}  // namespace

int RunEval(const EvalOptions& options) {
  const bool gen_input = !options.events_path.empty() || !options.truth_path.empty();
  if (gen_input == !options.csv_paths.empty()) {
    std::fprintf(stderr, "cdp eval: give either --events and --truth, or --csv (one or two)\n");
    return 2;
  }
  if (gen_input && (options.events_path.empty() || options.truth_path.empty())) {
    std::fprintf(stderr, "cdp eval: --events and --truth go together\n");
    return 2;
  }
  if (options.csv_paths.size() > 2) {
    std::fprintf(stderr, "cdp eval: at most two --csv files\n");
    return 2;
  }
  if (options.key.empty()) {
    std::fprintf(stderr, "cdp eval: --key is required\n");
    return 2;
  }
  if (options.batch < 1 || options.batch > 2500 || options.connections < 1 ||
      options.connections > 256 || options.send_connections < 1 || options.send_connections > 64 ||
      !(options.timeout_s > 0)) {
    std::fprintf(stderr,
                 "cdp eval: --batch must be in 1..2500, --connections in 1..256, "
                 "--send-connections in 1..64 and --timeout positive\n");
    return 2;
  }
  auto url = ParseUrl(options.url);
  if (!url.ok()) {
    std::fprintf(stderr, "cdp eval: %s\n", std::string(url.status().message()).c_str());
    return 2;
  }

  const auto start = SteadyClock::now();
  std::vector<LabelledMessage> messages;
  std::string description;
  if (Status loaded = LoadMessages(options, &messages, &description); !loaded.ok()) {
    std::fprintf(stderr, "cdp eval: %s\n", loaded.ToString().c_str());
    return 1;
  }
  if (messages.size() >= std::numeric_limits<std::uint32_t>::max() / 2) {
    std::fprintf(stderr, "cdp eval: too many records\n");
    return 1;
  }
  const std::vector<std::uint64_t> fields = ExtractFields(messages);
  // Generated streams only: their fragments are sparse by channel, so some pairs of one person
  // share no evidence at all and no matcher can join them.
  const std::vector<std::uint32_t> linkable =
      gen_input ? LinkableComponents(messages) : std::vector<std::uint32_t>();

  Endpoint endpoint;
  {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    endpoint.endpoints = resolver.resolve(url->host, url->port, ec);
    if (ec) {
      std::fprintf(stderr, "cdp eval: cannot resolve %s: %s\n", url->host.c_str(),
                   ec.message().c_str());
      return 1;
    }
    const bool v6 = url->host.find(':') != std::string::npos;
    endpoint.host_header = (v6 ? "[" + url->host + "]" : url->host) + ":" + url->port;
    endpoint.base_path = url->base_path;
  }

  // Fail fast when nothing listens there.
  {
    HttpClient probe(
        endpoint.endpoints, endpoint.host_header, endpoint.base_path, "",
        std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_s * 1000)));
    auto reply = probe.Call(http::verb::get, "/healthz", std::string());
    if (!reply.ok()) {
      std::fprintf(stderr, "cdp eval: %s: %s\n", options.url.c_str(),
                   std::string(reply.status().message()).c_str());
      return 1;
    }
  }

  Shared sent;
  double send_seconds = 0;
  if (options.send) {
    const auto t0 = SteadyClock::now();
    SendAll(messages, options, endpoint, sent);
    send_seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    if (!sent.fatal.empty()) {
      std::fprintf(stderr, "cdp eval: %s\n", sent.fatal.c_str());
      return 1;
    }
  }

  // The messages are not needed any more (their fields are hashed above): free the memory.
  for (LabelledMessage& m : messages) std::string().swap(m.json);

  Shared looked;
  std::vector<std::string> profile_ids(messages.size());
  const auto t1 = SteadyClock::now();
  LookUpAll(messages, options, endpoint, looked, profile_ids);
  const double lookup_seconds = std::chrono::duration<double>(SteadyClock::now() - t1).count();
  if (!looked.fatal.empty()) {
    std::fprintf(stderr, "cdp eval: %s\n", looked.fatal.c_str());
    return 1;
  }

  // Dense labels: the truth's entities, and the profiles (a record without one is alone).
  std::vector<std::uint32_t> truth(messages.size());
  std::vector<std::uint32_t> predicted(messages.size());
  {
    std::unordered_map<std::string, std::uint32_t> entities;
    std::unordered_map<std::string, std::uint32_t> profiles;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      truth[i] = entities.emplace(messages[i].entity, static_cast<std::uint32_t>(entities.size()))
                     .first->second;
    }
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (!profile_ids[i].empty()) {
        predicted[i] = profiles.emplace(profile_ids[i], static_cast<std::uint32_t>(profiles.size()))
                           .first->second;
      }
    }
    auto next_label = static_cast<std::uint32_t>(profiles.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (profile_ids[i].empty()) predicted[i] = next_label++;
    }
  }
  const PairwiseCounts counts = ComputePairwise(truth, predicted);
  // True pairs: the linkable ones; true positives: those also in one profile.
  const PairwiseCounts linkable_counts =
      gen_input ? ComputePairwise(linkable, predicted) : PairwiseCounts{};
  std::uint64_t fn_total = 0;
  std::uint64_t fp_total = 0;
  const auto fn_pairs = CrossPairs(truth, predicted, options.pair_sample, 1, &fn_total);
  const auto fp_pairs = CrossPairs(predicted, truth, options.pair_sample, 2, &fp_total);
  std::uint64_t entity_singletons = 0;
  std::uint64_t entity_largest = 0;
  std::uint64_t profile_singletons = 0;
  std::uint64_t profile_largest = 0;
  ClusterShape(truth, &entity_singletons, &entity_largest);
  ClusterShape(predicted, &profile_singletons, &profile_largest);
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();

  std::printf("cdp eval: %zu records (%s), %llu true entities\n", messages.size(),
              description.c_str(), static_cast<unsigned long long>(counts.entities));
  if (options.csv_paths.size() == 2) {
    std::printf(
        "  two files: scored as one data set (the union deduplicated), so for FEBRL4 the "
        "links from A to B\n");
  }
  if (options.send) {
    std::printf("  sent %llu in %.1f s (%.0f records/s): %llu rejected, %llu back-offs\n",
                static_cast<unsigned long long>(sent.acked.load()), send_seconds,
                send_seconds > 0 ? static_cast<double>(sent.acked.load()) / send_seconds : 0.0,
                static_cast<unsigned long long>(sent.rejected.load()),
                static_cast<unsigned long long>(sent.backoffs.load()));
  }
  std::printf("  looked up %zu in %.1f s (%.0f/s): %llu found, %llu not found, %llu errors\n",
              messages.size(), lookup_seconds,
              lookup_seconds > 0 ? static_cast<double>(messages.size()) / lookup_seconds : 0.0,
              static_cast<unsigned long long>(looked.found.load()),
              static_cast<unsigned long long>(looked.not_found.load()),
              static_cast<unsigned long long>(looked.errors.load()));
  std::printf(
      "  clusters: %llu profiles (%llu singletons, largest %llu); %llu true entities "
      "(%llu singletons, largest %llu)\n",
      static_cast<unsigned long long>(counts.clusters),
      static_cast<unsigned long long>(profile_singletons),
      static_cast<unsigned long long>(profile_largest),
      static_cast<unsigned long long>(counts.entities),
      static_cast<unsigned long long>(entity_singletons),
      static_cast<unsigned long long>(entity_largest));
  std::printf(
      "  pairs: %llu true, %llu predicted, %llu true positive, %llu false positive, "
      "%llu false negative\n",
      static_cast<unsigned long long>(counts.true_pairs),
      static_cast<unsigned long long>(counts.predicted_pairs),
      static_cast<unsigned long long>(counts.true_positives),
      static_cast<unsigned long long>(counts.false_positives()),
      static_cast<unsigned long long>(counts.false_negatives()));
  if (gen_input) {
    const double ceiling = counts.true_pairs == 0
                               ? 1.0
                               : static_cast<double>(linkable_counts.true_pairs) /
                                     static_cast<double>(counts.true_pairs);
    std::printf(
        "  linkable pairs (joined by shared evidence): %llu (recall ceiling %.4f); recall of "
        "linkable pairs %.4f\n",
        static_cast<unsigned long long>(linkable_counts.true_pairs), ceiling,
        linkable_counts.recall());
  }
  std::printf("  precision %.6f  recall %.6f  F1 %.6f\n", counts.precision(), counts.recall(),
              counts.f1());
  PrintFieldReport("false negatives (same person, different profiles)", fn_total, fn_pairs, fields,
                   messages, options.examples);
  PrintFieldReport("false positives (different people, same profile)", fp_total, fp_pairs, fields,
                   messages, options.examples);
  std::printf(
      "\neval: precision=%.6f recall=%.6f f1=%.6f records=%zu entities=%llu profiles=%llu "
      "true_pairs=%llu predicted_pairs=%llu true_positives=%llu not_found=%llu rejected=%llu "
      "errors=%llu seconds=%.1f",
      counts.precision(), counts.recall(), counts.f1(), messages.size(),
      static_cast<unsigned long long>(counts.entities),
      static_cast<unsigned long long>(counts.clusters),
      static_cast<unsigned long long>(counts.true_pairs),
      static_cast<unsigned long long>(counts.predicted_pairs),
      static_cast<unsigned long long>(counts.true_positives),
      static_cast<unsigned long long>(looked.not_found.load()),
      static_cast<unsigned long long>(sent.rejected.load()),
      static_cast<unsigned long long>(looked.errors.load()), seconds);
  if (gen_input) {
    std::printf(" linkable_pairs=%llu linkable_recall=%.6f",
                static_cast<unsigned long long>(linkable_counts.true_pairs),
                linkable_counts.recall());
  }
  std::printf("\n");
  return 0;
}

}  // namespace cdp::tools
