#include "tests/load/histogram.h"

#include <algorithm>
#include <cmath>

namespace vtpm::load {
namespace {

const double kLogRatio = std::log(1.01);

}  // namespace

LatencyHistogram::LatencyHistogram() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
}

void LatencyHistogram::Record(double micros) {
  if (!(micros >= 1.0)) micros = 1.0;  // also catches NaN
  int idx = static_cast<int>(std::log(micros) / kLogRatio);
  idx = std::clamp(idx, 0, kBuckets - 1);
  buckets_[idx].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  uint64_t v = static_cast<uint64_t>(micros);
  sum_micros_.fetch_add(v, std::memory_order_relaxed);
  uint64_t prev = max_micros_.load(std::memory_order_relaxed);
  while (v > prev && !max_micros_.compare_exchange_weak(
                         prev, v, std::memory_order_relaxed)) {
  }
}

uint64_t LatencyHistogram::count() const {
  return count_.load(std::memory_order_relaxed);
}

double LatencyHistogram::Percentile(double p) const {
  uint64_t total = 0;
  for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(p * total));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      return std::min(std::exp((i + 1) * kLogRatio), Max());
    }
  }
  return Max();
}

double LatencyHistogram::Mean() const {
  uint64_t n = count();
  return n == 0 ? 0 : static_cast<double>(sum_micros_.load()) / n;
}

double LatencyHistogram::Max() const {
  return static_cast<double>(max_micros_.load(std::memory_order_relaxed));
}

}  // namespace vtpm::load
