// Process metrics (counters, gauges, histograms) and their Prometheus text exposition.
// Updating a metric is lock-free; registering one takes a lock and happens at start-up.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count. Thread-safe.
class Counter {
 public:
  void Increment(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down. Thread-safe.
class Gauge {
 public:
  void Set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(std::int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Counts observations into fixed buckets (upper bounds, ascending). Thread-safe.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Cumulative count of observations <= upper_bounds()[i]; i == size() gives the total.
  std::uint64_t CumulativeCount(std::size_t i) const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // one per bound, plus +Inf
  std::atomic<double> sum_{0.0};
};

// Bucket bounds for latencies in seconds, 100 us to 10 s.
std::vector<double> LatencyBucketsSeconds();

// Owns all metrics and renders them. Thread-safe. Returned references stay valid for the
// registry's lifetime.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registering the same name and labels twice returns the existing metric.
  // REQUIRES: `name` matches [a-z_][a-z0-9_]* and is registered with one type only.
  Counter& AddCounter(std::string_view name, std::string_view help, MetricLabels labels = {});
  Gauge& AddGauge(std::string_view name, std::string_view help, MetricLabels labels = {});
  Histogram& AddHistogram(std::string_view name, std::string_view help,
                          std::vector<double> upper_bounds, MetricLabels labels = {});
  // A gauge whose value is read from `read` at each render. `read` must be thread-safe and
  // outlive the registry or be removed by destroying the registry first.
  void AddCallbackGauge(std::string_view name, std::string_view help, std::function<double()> read,
                        MetricLabels labels = {});

  // The Prometheus text exposition format (version 0.0.4).
  std::string RenderPrometheus() const;

 private:
  struct Family;
  Family& FamilyFor(std::string_view name, std::string_view help, int type);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;
};

}  // namespace cdp
