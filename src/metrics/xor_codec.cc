#include "metrics/xor_codec.h"

#include <cstdint>
#include <cstring>

namespace stratus {
namespace {

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

double FromBits(uint64_t b) {
  double v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  ~BitWriter() {
    if (used_) out_->push_back(static_cast<char>(cur_));
  }
  // Writes the low `n` bits of v, most significant first (n <= 64).
  void Write(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) {
      cur_ = static_cast<uint8_t>((cur_ << 1) | ((v >> i) & 1));
      if (++used_ == 8) {
        out_->push_back(static_cast<char>(cur_));
        cur_ = 0;
        used_ = 0;
      }
    }
  }
  // Pads the last byte: its bits go to the top, as the reader expects.
  void Finish() {
    if (used_) Write(0, 8 - used_);
  }

 private:
  std::string* out_;
  uint8_t cur_ = 0;
  int used_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::string_view in) : in_(in) {}
  // Reads n bits (n <= 64) most significant first; false past the end.
  bool Read(int n, uint64_t* v) {
    if (pos_ + static_cast<size_t>(n) > in_.size() * 8) return false;
    uint64_t r = 0;
    for (int i = 0; i < n; ++i, ++pos_) {
      r = (r << 1) | ((static_cast<uint8_t>(in_[pos_ / 8]) >> (7 - pos_ % 8)) & 1);
    }
    *v = r;
    return true;
  }
  size_t bytes_used() const { return (pos_ + 7) / 8; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

void XorEncode(const double* values, size_t n, std::string* out) {
  if (n == 0) return;
  BitWriter w(out);
  uint64_t prev = Bits(values[0]);
  w.Write(prev, 64);
  int lead = -1, trail = 0;  // the window of the last written XOR; none yet
  for (size_t i = 1; i < n; ++i) {
    uint64_t cur = Bits(values[i]);
    uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w.Write(0, 1);
      continue;
    }
    int l = __builtin_clzll(x), t = __builtin_ctzll(x);
    if (l > 31) l = 31;  // 5 bits of leading-zero count
    if (lead >= 0 && l >= lead && t >= trail) {
      w.Write(0b10, 2);  // fits the previous window
      w.Write(x >> trail, 64 - lead - trail);
      continue;
    }
    lead = l;
    trail = t;
    int meaningful = 64 - lead - trail;  // 1..64; 64 is written as 0 in 6 bits
    w.Write(0b11, 2);
    w.Write(static_cast<uint64_t>(lead), 5);
    w.Write(static_cast<uint64_t>(meaningful & 63), 6);
    w.Write(x >> trail, meaningful);
  }
  w.Finish();
}

bool XorDecode(std::string_view in, size_t n, double* values, size_t* used) {
  *used = 0;
  if (n == 0) return true;
  BitReader r(in);
  uint64_t prev;
  if (!r.Read(64, &prev)) return false;
  values[0] = FromBits(prev);
  int lead = -1, trail = 0;
  for (size_t i = 1; i < n; ++i) {
    uint64_t bit;
    if (!r.Read(1, &bit)) return false;
    if (bit == 0) {
      values[i] = FromBits(prev);
      continue;
    }
    if (!r.Read(1, &bit)) return false;
    if (bit == 1) {
      uint64_t l, m;
      if (!r.Read(5, &l) || !r.Read(6, &m)) return false;
      int meaningful = m == 0 ? 64 : static_cast<int>(m);
      lead = static_cast<int>(l);
      trail = 64 - lead - meaningful;
      if (trail < 0) return false;
    } else if (lead < 0) {
      return false;  // "same window" before any window: corrupt
    }
    uint64_t x;
    if (!r.Read(64 - lead - trail, &x)) return false;
    prev ^= x << trail;
    values[i] = FromBits(prev);
  }
  *used = r.bytes_used();
  return true;
}

}  // namespace stratus
