#include "verifier/metrics/metrics_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"

namespace vtpm::metrics {
namespace {

// Adds `v` to an atomic double with a compare-and-swap loop (lock-free on
// every platform we build for, unlike a mutex).
void AtomicAdd(std::atomic<double>& a, double v) {
  double old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
  }
}

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool ValidMetricName(const std::string& name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsNameChar(c) || c == ':'; });
}

bool ValidLabelName(const std::string& name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  if (name.rfind("__", 0) == 0) return false;
  return std::all_of(name.begin(), name.end(), IsNameChar);
}

// `{a="x",b="y"}` for the label names and values, plus an optional extra
// pair (the histogram's `le`); empty when there is no label at all.
std::string LabelSet(const std::vector<std::string>& names,
                     const std::vector<std::string>& values,
                     const std::string& extra_name = "",
                     const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "{" : ",", names[i], "=\"",
                    EscapeLabelValue(values[i]), "\"");
  }
  if (!extra_name.empty()) {
    absl::StrAppend(&out, out.empty() ? "{" : ",", extra_name, "=\"",
                    EscapeLabelValue(extra_value), "\"");
  }
  if (!out.empty()) out += "}";
  return out;
}

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

// --- Series ------------------------------------------------------------------

void Counter::Inc(double v) {
  if (!(v >= 0)) return;  // negative or NaN
  AtomicAdd(value_, v);
}

void Gauge::Inc(double v) { AtomicAdd(value_, v); }

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  // First bound >= v: buckets are inclusive upper bounds.
  size_t i =
      std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
}

Histogram::Snapshot Histogram::Take() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// --- Families ----------------------------------------------------------------

template <typename T>
Family<T>::Family(std::string name, std::string help,
                  std::vector<std::string> labels, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      labels_(std::move(labels)),
      bounds_(std::move(bounds)) {}

template <typename T>
std::unique_ptr<T> Family<T>::MakeSeries() const {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(bounds_);
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  std::lock_guard<std::mutex> lock(mu_);
  if (values.size() != labels_.size()) {
    if (detached_ == nullptr) detached_ = MakeSeries();
    return *detached_;
  }
  auto& slot = series_[values];
  if (slot == nullptr) slot = MakeSeries();
  return *slot;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// --- Registry ----------------------------------------------------------------

struct MetricsRegistry::Entry {
  MetricType type;
  std::variant<std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>,
               std::unique_ptr<HistogramFamily>>
      family;
  const std::string& name() const {
    return std::visit(
        [](const auto& f) -> const std::string& { return f->name(); }, family);
  }
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

absl::Status MetricsRegistry::CheckNew(
    const std::string& name, const std::vector<std::string>& labels) const {
  if (!ValidMetricName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid metric name '", name, "'"));
  }
  std::set<std::string> seen;
  for (const std::string& l : labels) {
    if (!ValidLabelName(l)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": invalid label name '", l, "'"));
    }
    if (!seen.insert(l).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": label '", l, "' repeats"));
    }
  }
  for (const auto& e : entries_) {
    if (e->name() == name) {
      return absl::AlreadyExistsError(
          absl::StrCat("metric ", name, " is already registered"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CounterFamily*> MetricsRegistry::AddCounter(
    const std::string& name, const std::string& help,
    const std::vector<std::string>& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::Status s = CheckNew(name, labels); !s.ok()) return s;
  auto family = std::make_unique<CounterFamily>(name, help, labels);
  CounterFamily* out = family.get();
  entries_.push_back(
      std::make_unique<Entry>(Entry{MetricType::kCounter, std::move(family)}));
  return out;
}

absl::StatusOr<GaugeFamily*> MetricsRegistry::AddGauge(
    const std::string& name, const std::string& help,
    const std::vector<std::string>& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::Status s = CheckNew(name, labels); !s.ok()) return s;
  auto family = std::make_unique<GaugeFamily>(name, help, labels);
  GaugeFamily* out = family.get();
  entries_.push_back(
      std::make_unique<Entry>(Entry{MetricType::kGauge, std::move(family)}));
  return out;
}

absl::StatusOr<HistogramFamily*> MetricsRegistry::AddHistogram(
    const std::string& name, const std::string& help,
    const std::vector<std::string>& labels, const std::vector<double>& bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::Status s = CheckNew(name, labels); !s.ok()) return s;
  if (std::find(labels.begin(), labels.end(), "le") != labels.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("histogram ", name, ": 'le' is reserved"));
  }
  if (bounds.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("histogram ", name, ": no buckets"));
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "histogram ", name, ": bounds must be finite and increasing"));
    }
  }
  auto family = std::make_unique<HistogramFamily>(name, help, labels, bounds);
  HistogramFamily* out = family.get();
  entries_.push_back(std::make_unique<Entry>(
      Entry{MetricType::kHistogram, std::move(family)}));
  return out;
}

std::string MetricsRegistry::Serialize() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& e : entries_) {
    const std::string& name = e->name();
    const std::vector<std::string>& names = std::visit(
        [](const auto& f) -> const std::vector<std::string>& {
          return f->label_names();
        },
        e->family);
    const std::string& help = std::visit(
        [](const auto& f) -> const std::string& { return f->help(); },
        e->family);
    absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ",
                    name, " ", TypeName(e->type), "\n");
    auto print = [&](const std::vector<std::string>& values,
                     const auto& series) {
      absl::StrAppend(&out, name, LabelSet(names, values), " ",
                      FormatValue(series.Value()), "\n");
    };
    switch (e->type) {
      case MetricType::kCounter:
        std::get<std::unique_ptr<CounterFamily>>(e->family)->ForEach(print);
        break;
      case MetricType::kGauge:
        std::get<std::unique_ptr<GaugeFamily>>(e->family)->ForEach(print);
        break;
      case MetricType::kHistogram: {
        const auto& family =
            std::get<std::unique_ptr<HistogramFamily>>(e->family);
        family->ForEach([&](const std::vector<std::string>& values,
                            const Histogram& h) {
          Histogram::Snapshot s = h.Take();
          for (size_t i = 0; i < s.cumulative.size(); ++i) {
            std::string le =
                i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf";
            absl::StrAppend(&out, name, "_bucket",
                            LabelSet(names, values, "le", le), " ",
                            s.cumulative[i], "\n");
          }
          std::string labels = LabelSet(names, values);
          absl::StrAppend(&out, name, "_sum", labels, " ", FormatValue(s.sum),
                          "\n", name, "_count", labels, " ", s.count, "\n");
        });
        break;
      }
    }
  }
  return out;
}

// --- Format helpers ----------------------------------------------------------

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeHelp(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return absl::StrCat(v);
  return std::string(buf, end);
}

}  // namespace vtpm::metrics
