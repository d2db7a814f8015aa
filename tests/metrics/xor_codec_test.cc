#include "metrics/xor_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace stratus {
namespace {

// Bit-for-bit equality (NaN payloads and -0.0 included).
bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::string RoundTrip(const std::vector<double>& in) {
  std::string enc;
  XorEncode(in.data(), in.size(), &enc);
  std::vector<double> out(in.size());
  size_t used = 0;
  EXPECT_TRUE(XorDecode(enc, in.size(), out.data(), &used));
  EXPECT_EQ(used, enc.size());
  for (size_t i = 0; i < in.size(); ++i) EXPECT_TRUE(SameBits(in[i], out[i])) << i << ": " << in[i] << " " << out[i];
  return enc;
}

TEST(XorCodecTest, ExactForEveryKindOfValue) {
  std::mt19937_64 rng(7);
  std::vector<double> mixed = {0.0, -0.0, 1.0, 1.0, 1.0, 42.5, 1e308, -1e-308, std::numeric_limits<double>::denorm_min(),
                               std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(), 3.0};
  for (int i = 0; i < 48; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    mixed.push_back(v);
  }
  RoundTrip(mixed);
  RoundTrip({123.25});
  RoundTrip({});
  std::vector<double> counters;  // a byte counter of an idle interface: mostly unchanged
  for (int i = 0; i < 60; ++i) counters.push_back(1e6 + (i % 10 == 0 ? i * 64 : 0));
  RoundTrip(counters);
}

TEST(XorCodecTest, SmallForSteadySeries) {
  std::vector<double> constant(60, 17.0), memory, percent;
  for (int i = 0; i < 60; ++i) memory.push_back(4096.0 * (3000 + (i / 20)));  // changes twice a minute
  for (int i = 0; i < 60; ++i) percent.push_back(0.25 * (i % 4));              // a few distinct levels
  EXPECT_LE(RoundTrip(constant).size(), 8u + 8u);  // 64 bits, then one bit per sample
  EXPECT_LE(RoundTrip(memory).size(), 32u);      // two changes
  EXPECT_LE(RoundTrip(percent).size(), 60u * 8 / 2);  // at most half of raw
}

TEST(XorCodecTest, TruncatedInputIsRefused) {
  std::vector<double> v;
  for (int i = 0; i < 60; ++i) v.push_back(i * 1.1);
  std::string enc;
  XorEncode(v.data(), v.size(), &enc);
  std::vector<double> out(v.size());
  size_t used = 0;
  for (size_t cut = 0; cut < enc.size(); cut += 7) {
    EXPECT_FALSE(XorDecode(std::string_view(enc).substr(0, cut), v.size(), out.data(), &used)) << cut;
  }
}

}  // namespace
}  // namespace stratus
