#include "aws/wire.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/ids.h"

namespace stratus::aws {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return strcasecmp(a.c_str(), b.c_str()) < 0;
}

std::string HeaderValue(const Headers& headers, const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; }

}  // namespace

std::string UrlDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(c == '+' && plus_is_space ? ' ' : c);
  }
  return out;
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view s, bool plus_is_space) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t amp = s.find('&', pos);
    if (amp == std::string_view::npos) amp = s.size();
    std::string_view piece = s.substr(pos, amp - pos);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(UrlDecode(piece, plus_is_space), "");
      } else {
        out.emplace_back(UrlDecode(piece.substr(0, eq), plus_is_space),
                         UrlDecode(piece.substr(eq + 1), plus_is_space));
      }
    }
    pos = amp + 1;
  }
  return out;
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
long long DaysFromCivil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

void CivilFromDays(long long z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

// Reads exactly n digits at s[*pos]; returns -1 when they are not there.
long long Digits(std::string_view s, size_t* pos, size_t n) {
  if (*pos + n > s.size()) return -1;
  long long v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  return v;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos < s.size() && s[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

Result<double> ParseIso8601(std::string_view s) {
  size_t p = 0;
  long long y = Digits(s, &p, 4);
  bool basic = p < s.size() && s[p] != '-';  // 20240501T120000Z
  if (!basic && !Expect(s, &p, '-')) return InvalidArgument("bad date");
  long long mo = Digits(s, &p, 2);
  if (!basic && !Expect(s, &p, '-')) return InvalidArgument("bad date");
  long long d = Digits(s, &p, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return InvalidArgument("bad date");
  long long h = 0, mi = 0, sec = 0;
  double frac = 0;
  if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
    ++p;
    h = Digits(s, &p, 2);
    if (!basic && !Expect(s, &p, ':')) return InvalidArgument("bad time");
    mi = Digits(s, &p, 2);
    if (p < s.size() && (s[p] == ':' || (basic && std::isdigit(static_cast<unsigned char>(s[p]))))) {
      if (!basic) ++p;
      sec = Digits(s, &p, 2);
    }
    if (h < 0 || h > 24 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return InvalidArgument("bad time");
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      double scale = 0.1;
      size_t start = p;
      while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
        frac += (s[p] - '0') * scale;
        scale /= 10;
        ++p;
      }
      if (p == start) return InvalidArgument("bad fraction");
    }
  }
  long long offset = 0;
  if (p < s.size()) {
    if (s[p] == 'Z' || s[p] == 'z') {
      ++p;
    } else if (s[p] == '+' || s[p] == '-') {
      int sign = s[p] == '-' ? -1 : 1;
      ++p;
      long long oh = Digits(s, &p, 2);
      Expect(s, &p, ':');
      long long om = p < s.size() ? Digits(s, &p, 2) : 0;
      if (oh < 0 || om < 0) return InvalidArgument("bad offset");
      offset = sign * (oh * 3600 + om * 60);
    }
  }
  if (p != s.size()) return InvalidArgument("trailing characters");
  long long days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return static_cast<double>(days * 86400 + h * 3600 + mi * 60 + sec - offset) + frac;
}

Result<double> ParseRfc822(std::string_view s) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char mon[4] = {0};
  int d = 0, y = 0, h = 0, mi = 0, sec = 0;
  std::string copy(s);
  if (std::sscanf(copy.c_str(), "%*3s, %d %3s %d %d:%d:%d", &d, mon, &y, &h, &mi, &sec) != 6) {
    return InvalidArgument("bad RFC 822 date");
  }
  for (unsigned m = 0; m < 12; ++m) {
    if (std::strcmp(mon, kMonths[m]) == 0) {
      if (d < 1 || d > 31 || h > 24 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0) break;
      return static_cast<double>(DaysFromCivil(y, m + 1, static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + sec);
    }
  }
  return InvalidArgument("bad RFC 822 date");
}

}  // namespace

Result<double> ParseTimestamp(std::string_view text) {
  if (text.empty() || text.size() > 64) return InvalidArgument("invalid timestamp");
  bool numeric = true;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || (i == 0 && c == '-'))) numeric = false;
  }
  // 8 digits alone is a basic-format date (20240501), anything else numeric is epoch seconds.
  if (numeric && text.size() != 8) {
    char* end = nullptr;
    std::string copy(text);
    double v = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || !std::isfinite(v)) return InvalidArgument("invalid timestamp");
    return v;
  }
  if (text.size() > 4 && std::isalpha(static_cast<unsigned char>(text[0]))) return ParseRfc822(text);
  auto r = ParseIso8601(text);
  if (!r.ok()) return InvalidArgument("invalid timestamp '" + std::string(text) + "'");
  return r;
}

namespace {

void SplitEpoch(double epoch, long long* secs, int* millis, int* y, unsigned* mo, unsigned* d, int* hms) {
  double fl = std::floor(epoch);
  *secs = static_cast<long long>(fl);
  *millis = static_cast<int>(std::lround((epoch - fl) * 1000));
  if (*millis >= 1000) {
    *millis -= 1000;
    ++*secs;
  }
  long long days = *secs >= 0 ? *secs / 86400 : (*secs - 86399) / 86400;
  *hms = static_cast<int>(*secs - days * 86400);
  CivilFromDays(days, y, mo, d);
}

}  // namespace

std::string FormatIso8601(double epoch_seconds) {
  long long secs;
  int millis, y, hms;
  unsigned mo, d;
  SplitEpoch(epoch_seconds, &secs, &millis, &y, &mo, &d, &hms);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, mo, d, hms / 3600, hms / 60 % 60, hms % 60,
                millis);
  return buf;
}

std::string FormatRfc822(double epoch_seconds) {
  static const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  long long secs;
  int millis, y, hms;
  unsigned mo, d;
  SplitEpoch(epoch_seconds, &secs, &millis, &y, &mo, &d, &hms);
  long long days = (secs - hms) / 86400;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[((days % 7) + 7) % 7], d, kMonths[mo - 1],
                y, hms / 3600, hms / 60 % 60, hms % 60);
  return buf;
}

std::string FormatAmzDate(long long epoch_seconds) {
  long long secs;
  int millis, y, hms;
  unsigned mo, d;
  SplitEpoch(static_cast<double>(epoch_seconds), &secs, &millis, &y, &mo, &d, &hms);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", y, mo, d, hms / 3600, hms / 60 % 60, hms % 60);
  return buf;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') break;  // not representable in XML 1.0
        out.push_back(c);
    }
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

Result<std::string> GunzipBody(std::string_view data, size_t max_bytes) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Internal("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      return InvalidArgument("decompressed request body is too large");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated input
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return InvalidArgument("request body is not valid gzip");
  return out;
}

namespace {

// Raw deflate of `data` at level 9 (what Python's gzip module and zlib's gzip wrapper both produce).
std::string DeflateRaw(std::string_view data) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&zs, data.size()) + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "";
}

void PutLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::vector<std::string> PythonGzipCandidates(std::string_view plain, long long mtime_hint) {
  std::string deflated = DeflateRaw(plain);
  if (deflated.empty() && !plain.empty()) return {};
  uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(plain.data()), static_cast<uInt>(plain.size())));
  std::string trailer;
  PutLe32(&trailer, crc);
  PutLe32(&trailer, static_cast<uint32_t>(plain.size()));
  std::vector<std::string> out;
  auto add = [&](uint32_t mtime, char os) {
    std::string gz("\x1f\x8b\x08\x00", 4);
    PutLe32(&gz, mtime);
    gz.push_back('\x02');  // XFL: maximum compression
    gz.push_back(os);
    out.push_back(gz + deflated + trailer);
  };
  for (long long m = mtime_hint; m >= mtime_hint - 2 && m >= 0; --m) add(static_cast<uint32_t>(m), '\xff');
  add(0, '\x03');
  return out;
}

std::string NewRequestId() {
  std::string h = RandomHex(32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

}  // namespace stratus::aws
