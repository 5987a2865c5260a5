// A small Prometheus client: counter, gauge and histogram families with
// label names, their series, and the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Registration (MetricsRegistry::Add*) and series lookup
// (Family::WithLabels) take a mutex; they are meant for start-up or for
// caching a handle. Updating a series (Inc, Set, Observe) is lock-free:
// atomics only. Series live as long as the registry and never move, so a
// reference returned by WithLabels stays valid.
//
//   MetricsRegistry registry;
//   ASSIGN_OR_RETURN(CounterFamily* requests,
//                    registry.AddCounter("app_requests_total", "Requests.",
//                                        {"result"}));
//   Counter& ok = requests->WithLabels({"ok"});
//   ok.Inc();
//   std::string text = registry.Serialize();
#ifndef VTPM_VERIFIER_METRICS_METRICS_REGISTRY_H_
#define VTPM_VERIFIER_METRICS_METRICS_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vtpm::metrics {

// A monotonically increasing value.
class Counter {
 public:
  // Adds `v`; a negative or NaN `v` is ignored (counters only go up).
  void Inc(double v = 1.0);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Inc(double v = 1.0);
  void Dec(double v = 1.0) { Inc(-v); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into fixed buckets (upper bounds, inclusive), plus
// their sum and count.
class Histogram {
 public:
  // `bounds` must be strictly increasing and finite (checked by
  // MetricsRegistry::AddHistogram); +Inf is implicit.
  explicit Histogram(const std::vector<double>& bounds);

  // Records `v` (NaN is ignored).
  void Observe(double v);
  // Records a duration in seconds.
  void ObserveDuration(absl::Duration d) { Observe(absl::ToDoubleSeconds(d)); }

  struct Snapshot {
    std::vector<double> bounds;        // without +Inf
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;  // == cumulative.back()
  };
  // A snapshot; under concurrent Observe() calls the sum may lag the
  // counts by the observations in flight.
  Snapshot Take() const;

 private:
  std::vector<double> bounds_;
  // Per bucket (not cumulative); the last one is +Inf.
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0.0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

// Series of one metric, one per combination of label values.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {});

  // The series for `values`, one value per label name in order, created on
  // first use. The reference stays valid as long as the registry. A wrong
  // number of values is a programming error: the returned series is a
  // detached one that is never exported.
  T& WithLabels(const std::vector<std::string>& values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return labels_; }

  // Calls `fn(values, series)` for every series, ordered by label values.
  template <typename Fn>
  void ForEach(Fn fn) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [values, series] : series_) fn(values, *series);
  }

 private:
  std::unique_ptr<T> MakeSeries() const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;  // histograms only
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_;
  std::unique_ptr<T> detached_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Owns metric families and renders them.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a family. InvalidArgument when `name` or a label name is not
  // a valid Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*, labels without ':'
  // and not starting with "__"), a label name repeats, or (histograms) the
  // bounds are empty, not finite or not strictly increasing, or "le" is
  // used as a label; AlreadyExists when `name` is taken. The family lives
  // as long as the registry.
  absl::StatusOr<CounterFamily*> AddCounter(
      const std::string& name, const std::string& help,
      const std::vector<std::string>& labels = {});
  absl::StatusOr<GaugeFamily*> AddGauge(
      const std::string& name, const std::string& help,
      const std::vector<std::string>& labels = {});
  absl::StatusOr<HistogramFamily*> AddHistogram(
      const std::string& name, const std::string& help,
      const std::vector<std::string>& labels,
      const std::vector<double>& bounds);

  // The text exposition format 0.0.4 of every family, in registration
  // order; series ordered by label values. Families without series print
  // only their HELP and TYPE lines.
  std::string Serialize() const;

 private:
  struct Entry;
  absl::Status CheckNew(const std::string& name,
                        const std::vector<std::string>& labels) const;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// Helpers of the exposition format, exposed for tests.
// `v` escaped for a label value: backslash, double quote and newline.
std::string EscapeLabelValue(const std::string& v);
// `v` escaped for a HELP line: backslash and newline.
std::string EscapeHelp(const std::string& v);
// A sample value: shortest round-trip decimal, "+Inf", "-Inf" or "NaN".
std::string FormatValue(double v);

}  // namespace vtpm::metrics

#endif  // VTPM_VERIFIER_METRICS_METRICS_REGISTRY_H_
