#include "metrics/sketch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace stratus {
namespace {

constexpr int32_t kOffset = 1 << 20;  // keeps positive keys > 0 and negative keys < 0
constexpr double kZero = 1e-9;
const double kLogGamma = std::log(LogSketch::kGamma);

uint32_t SaturatingAdd(uint32_t a, uint32_t b) {
  uint64_t s = uint64_t{a} + b;
  return s > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                   : static_cast<uint32_t>(s);
}

}  // namespace

int32_t LogSketch::KeyOf(double v) {
  double a = std::fabs(v);
  if (a < kZero) return 0;
  // Bucket i holds (gamma^(i-1), gamma^i]; |i| stays far below kOffset for any finite double.
  int32_t i = static_cast<int32_t>(std::ceil(std::log(a) / kLogGamma));
  return v > 0 ? i + kOffset : -(i + kOffset);
}

double LogSketch::ValueOf(int32_t key) {
  if (key == 0) return 0;
  int32_t i = (key > 0 ? key : -key) - kOffset;
  // Midpoint (in relative terms) of (gamma^(i-1), gamma^i].
  double v = 2 * std::pow(kGamma, i) / (kGamma + 1);
  return key > 0 ? v : -v;
}

void LogSketch::Add(double v, uint32_t count) {
  if (count == 0) return;
  int32_t key = KeyOf(v);
  total_ += count;
  if (!bins_.empty() && bins_.back().first == key) {
    bins_.back().second = SaturatingAdd(bins_.back().second, count);
    return;
  }
  auto it = std::lower_bound(bins_.begin(), bins_.end(), std::make_pair(key, uint32_t{0}));
  if (it != bins_.end() && it->first == key) {
    it->second = SaturatingAdd(it->second, count);
  } else {
    bins_.insert(it, {key, count});
  }
}

void LogSketch::Merge(const LogSketch& other) {
  if (other.bins_.empty()) return;
  std::vector<std::pair<int32_t, uint32_t>> out;
  out.reserve(bins_.size() + other.bins_.size());
  auto a = bins_.cbegin();
  auto b = other.bins_.cbegin();
  while (a != bins_.cend() || b != other.bins_.cend()) {
    if (b == other.bins_.end() || (a != bins_.end() && a->first < b->first)) {
      out.push_back(*a++);
    } else if (a == bins_.end() || b->first < a->first) {
      out.push_back(*b++);
    } else {
      out.emplace_back(a->first, SaturatingAdd(a->second, b->second));
      ++a;
      ++b;
    }
  }
  bins_ = std::move(out);
  total_ += other.total_;
}

double LogSketch::Quantile(double q) const {
  if (total_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (const auto& [key, n] : bins_) {
    seen += n;
    if (seen >= rank) return ValueOf(key);
  }
  return ValueOf(bins_.back().first);
}

void LogSketch::SetBins(std::vector<std::pair<int32_t, uint32_t>> bins) {
  bins_ = std::move(bins);
  std::sort(bins_.begin(), bins_.end());
  total_ = 0;
  for (const auto& b : bins_) total_ += b.second;
}

}  // namespace stratus
