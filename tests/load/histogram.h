// Load testing: a lock-free latency histogram with ~1% relative precision.
#ifndef VTPM_TESTS_LOAD_HISTOGRAM_H_
#define VTPM_TESTS_LOAD_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

namespace vtpm::load {

// Logarithmic buckets (ratio 1.01) from 1 microsecond to about 6 hours.
// Record() may be called from any thread concurrently with anything else.
class LatencyHistogram {
 public:
  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Adds one sample of `micros` microseconds (values below 1 count as 1).
  void Record(double micros);
  // Samples recorded.
  uint64_t count() const;
  // The value (microseconds, upper bound of its bucket, so at most 1% high)
  // below which a fraction `p` (0..1) of the samples lie; 0 when empty.
  double Percentile(double p) const;
  // Mean of the samples (exact), 0 when empty.
  double Mean() const;
  double Max() const;

 private:
  static constexpr int kBuckets = 2400;
  std::array<std::atomic<uint64_t>, kBuckets> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
  std::atomic<uint64_t> max_micros_{0};
};

}  // namespace vtpm::load

#endif  // VTPM_TESTS_LOAD_HISTOGRAM_H_
