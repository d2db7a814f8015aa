#include "common/base64.h"

#include <cctype>
#include <cstdint>

namespace stratus {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// The 6-bit value of `c`, or -1 when `c` is not in the alphabet `decoding` accepts ('=' included: it is not data).
int SextetOf(char c, Base64Decoding decoding) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (decoding == Base64Decoding::kLenient && c == '-') return 62;
  if (decoding == Base64Decoding::kLenient && c == '_') return 63;
  return -1;
}

// Strict form checks made before decoding, so that a wrong length is named as such.
Status CheckStrictForm(std::string_view text) {
  size_t chars = 0, padding = 0;
  for (char c : text) {
    if (IsSpace(c)) continue;
    ++chars;
    if (c == '=') ++padding;
  }
  if (chars % 4 != 0) return InvalidArgument("invalid base64: length is not a multiple of 4");
  if (padding > 2) return InvalidArgument("invalid base64");
  return Status::Ok();
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text, Base64Decoding decoding) {
  const bool strict = decoding == Base64Decoding::kStrict;
  if (strict) STRATUS_RETURN_IF_ERROR(CheckStrictForm(text));
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (IsSpace(c)) continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    int v = SextetOf(c, decoding);
    if (v < 0) return InvalidArgument(strict ? "invalid base64" : "invalid base64 character");
    if (padding) return InvalidArgument(strict ? "invalid base64" : "base64 data after padding");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace stratus
