#include "common/ids.h"

#include <sys/random.h>

#include <cctype>

namespace stratus {

std::string RandomHex(size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string bytes((n + 1) / 2, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t r = getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (r > 0) got += static_cast<size_t>(r);
  }
  std::string out;
  out.reserve(n);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  out.resize(n);
  return out;
}

std::string NewId(std::string_view prefix) {
  std::string id(prefix);
  id += '-';
  id += RandomHex(17);
  return id;
}

bool IsValidId(std::string_view id, std::string_view prefix) {
  if (id.size() <= prefix.size() + 1 || id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '-') {
    return false;
  }
  std::string_view hex = id.substr(prefix.size() + 1);
  if (hex.size() != 8 && hex.size() != 17) return false;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace stratus
