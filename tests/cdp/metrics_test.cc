// Tests for cdp/metrics.h: metric values, registration and the Prometheus text output.
#include "cdp/metrics.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace cdp {
namespace {

TEST(CounterTest, StartsAtZeroAndIncrements) {
  Counter c;
  EXPECT_EQ(c.value(), 0u);
  c.Increment();
  c.Increment(41);
  EXPECT_EQ(c.value(), 42u);
}

TEST(GaugeTest, SetAndAddGoUpAndDown) {
  Gauge g;
  EXPECT_EQ(g.value(), 0);
  g.Set(10);
  g.Add(-15);
  EXPECT_EQ(g.value(), -5);
  g.Add(7);
  EXPECT_EQ(g.value(), 2);
  g.Set(-1);
  EXPECT_EQ(g.value(), -1);
}

TEST(HistogramTest, CountsAreCumulativeAndBoundsInclusive) {
  Histogram h({1.0, 2.0, 5.0});
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.0, 9.0}) h.Observe(v);
  EXPECT_EQ(h.CumulativeCount(0), 2u);  // 0.5, 1.0
  EXPECT_EQ(h.CumulativeCount(1), 4u);  // + 1.5, 2.0
  EXPECT_EQ(h.CumulativeCount(2), 5u);  // + 4.0
  EXPECT_EQ(h.CumulativeCount(3), 6u);  // + 9.0 in +Inf
  EXPECT_EQ(h.CumulativeCount(100), 6u);
  EXPECT_DOUBLE_EQ(h.sum(), 18.0);
  EXPECT_EQ(h.upper_bounds(), (std::vector<double>{1.0, 2.0, 5.0}));
}

TEST(HistogramTest, EmptyHistogramIsZero) {
  Histogram h({1.0});
  EXPECT_EQ(h.CumulativeCount(0), 0u);
  EXPECT_EQ(h.CumulativeCount(1), 0u);
  EXPECT_EQ(h.sum(), 0.0);
}

TEST(HistogramTest, LatencyBucketsAscendFrom100MicrosecondsTo10Seconds) {
  const std::vector<double> b = LatencyBucketsSeconds();
  ASSERT_FALSE(b.empty());
  EXPECT_DOUBLE_EQ(b.front(), 0.0001);
  EXPECT_DOUBLE_EQ(b.back(), 10.0);
  for (std::size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]) << i;
}

TEST(MetricsRegistryTest, SameNameAndLabelsReturnTheSameMetric) {
  MetricsRegistry r;
  Counter& a = r.AddCounter("requests_total", "Requests.", {{"route", "/a"}});
  Counter& again = r.AddCounter("requests_total", "Requests.", {{"route", "/a"}});
  Counter& other = r.AddCounter("requests_total", "Requests.", {{"route", "/b"}});
  EXPECT_EQ(&a, &again);
  EXPECT_NE(&a, &other);
  a.Increment();
  EXPECT_EQ(again.value(), 1u);
  EXPECT_EQ(other.value(), 0u);

  Gauge& g = r.AddGauge("depth", "Depth.");
  EXPECT_EQ(&g, &r.AddGauge("depth", "Depth."));

  Histogram& h = r.AddHistogram("latency_seconds", "Latency.", {1.0}, {{"op", "put"}});
  EXPECT_EQ(&h, &r.AddHistogram("latency_seconds", "Latency.", {1.0}, {{"op", "put"}}));
  EXPECT_NE(&h, &r.AddHistogram("latency_seconds", "Latency.", {1.0}, {{"op", "get"}}));
}

TEST(MetricsRegistryTest, RegisteringTwiceRendersTheSeriesOnce) {
  MetricsRegistry r;
  r.AddCounter("events_total", "Events.").Increment(2);
  r.AddCounter("events_total", "Events.").Increment(3);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP events_total Events.\n"
            "# TYPE events_total counter\n"
            "events_total 5\n");
}

TEST(MetricsRegistryTest, EmptyRegistryRendersNothing) {
  MetricsRegistry r;
  EXPECT_EQ(r.RenderPrometheus(), "");
}

TEST(MetricsRegistryTest, RendersCounterWithLabels) {
  MetricsRegistry r;
  r.AddCounter("http_requests_total", "HTTP requests served.", {{"method", "GET"}, {"code", "200"}})
      .Increment(3);
  r.AddCounter("http_requests_total", "HTTP requests served.",
               {{"method", "POST"}, {"code", "201"}})
      .Increment();
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP http_requests_total HTTP requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"GET\",code=\"200\"} 3\n"
            "http_requests_total{method=\"POST\",code=\"201\"} 1\n");
}

TEST(MetricsRegistryTest, RendersGauge) {
  MetricsRegistry r;
  r.AddGauge("queue_depth", "Items waiting.").Set(-4);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP queue_depth Items waiting.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth -4\n");
}

TEST(MetricsRegistryTest, RendersCallbackGaugeReadAtRenderTime) {
  MetricsRegistry r;
  double value = 1.5;
  r.AddCallbackGauge("uptime_seconds", "Seconds since start.", [&value] { return value; },
                     {{"node", "a"}});
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP uptime_seconds Seconds since start.\n"
            "# TYPE uptime_seconds gauge\n"
            "uptime_seconds{node=\"a\"} 1.5\n");
  value = 250;
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP uptime_seconds Seconds since start.\n"
            "# TYPE uptime_seconds gauge\n"
            "uptime_seconds{node=\"a\"} 250\n");
}

TEST(MetricsRegistryTest, ReRegisteringCallbackGaugeReplacesTheCallback) {
  MetricsRegistry r;
  r.AddCallbackGauge("open_files", "Open files.", [] { return 1.0; });
  r.AddCallbackGauge("open_files", "Open files.", [] { return 2.0; });
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP open_files Open files.\n"
            "# TYPE open_files gauge\n"
            "open_files 2\n");
}

TEST(MetricsRegistryTest, RendersHistogramWithCumulativeBucketsSumAndCount) {
  MetricsRegistry r;
  Histogram& h = r.AddHistogram("request_seconds", "Request latency.", {0.25, 1, 10},
                                {{"route", "/v1/events"}});
  for (double v : {0.125, 0.25, 0.5, 2.0, 20.0}) h.Observe(v);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP request_seconds Request latency.\n"
            "# TYPE request_seconds histogram\n"
            "request_seconds_bucket{route=\"/v1/events\",le=\"0.25\"} 2\n"
            "request_seconds_bucket{route=\"/v1/events\",le=\"1\"} 3\n"
            "request_seconds_bucket{route=\"/v1/events\",le=\"10\"} 4\n"
            "request_seconds_bucket{route=\"/v1/events\",le=\"+Inf\"} 5\n"
            "request_seconds_sum{route=\"/v1/events\"} 22.875\n"
            "request_seconds_count{route=\"/v1/events\"} 5\n");
}

TEST(MetricsRegistryTest, RendersUnlabelledHistogramWithOnlyLe) {
  MetricsRegistry r;
  r.AddHistogram("batch_size", "Batch size.", {8}).Observe(3);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP batch_size Batch size.\n"
            "# TYPE batch_size histogram\n"
            "batch_size_bucket{le=\"8\"} 1\n"
            "batch_size_bucket{le=\"+Inf\"} 1\n"
            "batch_size_sum 3\n"
            "batch_size_count 1\n");
}

TEST(MetricsRegistryTest, RendersFamiliesInRegistrationOrder) {
  MetricsRegistry r;
  r.AddGauge("b_gauge", "B.").Set(1);
  r.AddCounter("a_total", "A.").Increment(2);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP b_gauge B.\n"
            "# TYPE b_gauge gauge\n"
            "b_gauge 1\n"
            "# HELP a_total A.\n"
            "# TYPE a_total counter\n"
            "a_total 2\n");
}

TEST(MetricsRegistryTest, EscapesLabelValues) {
  MetricsRegistry r;
  r.AddCounter("odd_total", "Odd labels.", {{"v", "a\"b\\c\nd"}}).Increment();
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP odd_total Odd labels.\n"
            "# TYPE odd_total counter\n"
            "odd_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistryTest, ConcurrentIncrementsSumCorrectly) {
  MetricsRegistry r;
  Counter& c = r.AddCounter("hits_total", "Hits.");
  Gauge& g = r.AddGauge("balance", "Balance.");
  Histogram& h = r.AddHistogram("obs", "Observations.", {0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, &g, &h, t] {
      // Registration from each thread must hand back the same counter.
      Counter& mine = r.AddCounter("hits_total", "Hits.");
      for (int i = 0; i < kPerThread; ++i) {
        mine.Increment();
        g.Add(t % 2 == 0 ? 1 : -1);
        h.Observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const auto total = static_cast<std::uint64_t>(kThreads) * kPerThread;
  EXPECT_EQ(c.value(), total);
  EXPECT_EQ(g.value(), 0);
  EXPECT_EQ(h.CumulativeCount(0), total / 2);
  EXPECT_EQ(h.CumulativeCount(1), total);
  EXPECT_DOUBLE_EQ(h.sum(), static_cast<double>(total) / 2.0 * 1.25);
}

}  // namespace
}  // namespace cdp
