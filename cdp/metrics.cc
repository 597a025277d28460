#include "cdp/metrics.h"

#include <cmath>
#include <cstdio>

namespace cdp {
namespace {

enum MetricType { kCounterType = 0, kGaugeType = 1, kHistogramType = 2, kCallbackType = 3 };

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%.15g", v);
  return std::string(buf, static_cast<std::size_t>(n));
}

void AppendLabelValue(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// `{a="1",b="2"}` with an optional extra label appended; empty when there are no labels.
std::string RenderLabels(const MetricLabels& labels, std::string_view extra_key = {},
                         std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    AppendLabelValue(out, v);
    out += '"';
  }
  if (!extra_key.empty()) {
    if (!first) out += ',';
    out += extra_key;
    out += "=\"";
    AppendLabelValue(out, extra_value);
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds_.size() + 1)) {}

void Histogram::Observe(double value) {
  std::size_t i = 0;
  while (i < upper_bounds_.size() && value > upper_bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::uint64_t Histogram::CumulativeCount(std::size_t i) const {
  std::uint64_t total = 0;
  for (std::size_t k = 0; k <= i && k <= upper_bounds_.size(); ++k) {
    total += counts_[k].load(std::memory_order_relaxed);
  }
  return total;
}

std::vector<double> LatencyBucketsSeconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
}

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  int type = kCounterType;
  struct Series {
    MetricLabels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> callback;
  };
  std::vector<Series> series;

  Series* Find(const MetricLabels& labels) {
    for (auto& s : series) {
      if (s.labels == labels) return &s;
    }
    return nullptr;
  }
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    int type) {
  for (auto& f : families_) {
    if (f->name == name) return *f;
  }
  auto family = std::make_unique<Family>();
  family->name = std::string(name);
  family->help = std::string(help);
  family->type = type;
  families_.push_back(std::move(family));
  return *families_.back();
}

Counter& MetricsRegistry::AddCounter(std::string_view name, std::string_view help,
                                     MetricLabels labels) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, kCounterType);
  if (auto* s = f.Find(labels); s != nullptr && s->counter) return *s->counter;
  f.series.push_back({std::move(labels), std::make_unique<Counter>(), nullptr, nullptr, {}});
  return *f.series.back().counter;
}

Gauge& MetricsRegistry::AddGauge(std::string_view name, std::string_view help,
                                 MetricLabels labels) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, kGaugeType);
  if (auto* s = f.Find(labels); s != nullptr && s->gauge) return *s->gauge;
  f.series.push_back({std::move(labels), nullptr, std::make_unique<Gauge>(), nullptr, {}});
  return *f.series.back().gauge;
}

Histogram& MetricsRegistry::AddHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> upper_bounds, MetricLabels labels) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, kHistogramType);
  if (auto* s = f.Find(labels); s != nullptr && s->histogram) return *s->histogram;
  f.series.push_back({std::move(labels),
                      nullptr,
                      nullptr,
                      std::make_unique<Histogram>(std::move(upper_bounds)),
                      {}});
  return *f.series.back().histogram;
}

void MetricsRegistry::AddCallbackGauge(std::string_view name, std::string_view help,
                                       std::function<double()> read, MetricLabels labels) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, kCallbackType);
  if (auto* s = f.Find(labels); s != nullptr) {
    s->callback = std::move(read);
    return;
  }
  f.series.push_back({std::move(labels), nullptr, nullptr, nullptr, std::move(read)});
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& f : families_) {
    out += "# HELP ";
    out += f->name;
    out += ' ';
    out += f->help;
    out += "\n# TYPE ";
    out += f->name;
    switch (f->type) {
      case kCounterType: out += " counter\n"; break;
      case kHistogramType: out += " histogram\n"; break;
      default: out += " gauge\n"; break;
    }
    for (const auto& s : f->series) {
      if (s.counter) {
        out += f->name + RenderLabels(s.labels) + ' ' + std::to_string(s.counter->value()) + '\n';
      } else if (s.gauge) {
        out += f->name + RenderLabels(s.labels) + ' ' + std::to_string(s.gauge->value()) + '\n';
      } else if (s.callback) {
        out += f->name + RenderLabels(s.labels) + ' ' + FormatDouble(s.callback()) + '\n';
      } else if (s.histogram) {
        const Histogram& h = *s.histogram;
        const auto& bounds = h.upper_bounds();
        for (std::size_t i = 0; i < bounds.size(); ++i) {
          out += f->name + "_bucket" + RenderLabels(s.labels, "le", FormatDouble(bounds[i])) + ' ' +
                 std::to_string(h.CumulativeCount(i)) + '\n';
        }
        const std::uint64_t total = h.CumulativeCount(bounds.size());
        out += f->name + "_bucket" + RenderLabels(s.labels, "le", "+Inf") + ' ' +
               std::to_string(total) + '\n';
        out += f->name + "_sum" + RenderLabels(s.labels) + ' ' + FormatDouble(h.sum()) + '\n';
        out += f->name + "_count" + RenderLabels(s.labels) + ' ' + std::to_string(total) + '\n';
      }
    }
  }
  return out;
}

}  // namespace cdp
