// LogSketch: a mergeable quantile sketch with bounded relative error (DDSketch-style).
//
// Values go into logarithmic buckets of ratio kGamma = 1.02: a quantile is reported as its bucket's
// midpoint, within 1% (relative) of a value actually at that rank. |v| < 1e-9 counts as zero.
// Memory is one 8-byte bin per distinct bucket, so a minute of 1-per-second samples costs at most
// 60 bins.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stratus {

class LogSketch {
 public:
  static constexpr double kGamma = 1.02;
  static constexpr double kRelativeError = (kGamma - 1) / (kGamma + 1);  // 0.99%

  // Adds `count` copies of v (v finite).
  void Add(double v, uint32_t count = 1);
  // Adds every bin of `other`.
  void Merge(const LogSketch& other);
  // The value at rank ceil(q * n) (nearest rank), q in [0, 1]. 0 when empty.
  double Quantile(double q) const;
  uint64_t count() const { return total_; }
  bool empty() const { return total_ == 0; }

  // Bins as (key, count), sorted by key; key order is value order. For persistence.
  const std::vector<std::pair<int32_t, uint32_t>>& bins() const { return bins_; }
  void SetBins(std::vector<std::pair<int32_t, uint32_t>> bins);

 private:
  static int32_t KeyOf(double v);
  static double ValueOf(int32_t key);

  std::vector<std::pair<int32_t, uint32_t>> bins_;
  uint64_t total_ = 0;
};

}  // namespace stratus
