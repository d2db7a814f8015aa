#include "daemon/config_file.h"

#include <set>

namespace stratus {

namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string At(const std::string& file, int line) { return file + ":" + std::to_string(line) + ": "; }

}  // namespace

std::string ConfigErrorAt(const std::string& file, const ConfigEntry& e, const std::string& what) {
  return At(file, e.line) + "key " + e.key + ": " + what;
}

Result<std::vector<ConfigEntry>> ParseConfigText(const std::string& text, const std::string& file) {
  std::vector<ConfigEntry> entries;
  std::set<std::string> seen;
  int number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    number++;
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument(At(file, number) + "expected `key = value`, got `" + line.substr(0, 60) + "`");
    }
    ConfigEntry e{Trim(line.substr(0, eq)), Trim(line.substr(eq + 1)), number};
    if (e.key.empty()) return InvalidArgument(At(file, number) + "a value without a key");
    if (e.key.rfind("--", 0) == 0) e.key = e.key.substr(2);  // tolerate the flag's own spelling
    if (!seen.insert(e.key).second) return InvalidArgument(ConfigErrorAt(file, e, "set twice"));
    if (!e.value.empty() && e.value[0] == '"') {
      size_t close = e.value.find('"', 1);
      if (close == std::string::npos) return InvalidArgument(ConfigErrorAt(file, e, "unterminated quote"));
      std::string rest = Trim(e.value.substr(close + 1));
      if (!rest.empty() && rest[0] != '#') {
        return InvalidArgument(ConfigErrorAt(file, e, "text after the closing quote"));
      }
      e.value = e.value.substr(1, close - 1);
    } else {
      size_t hash = e.value.find(" #");
      if (hash != std::string::npos) e.value = Trim(e.value.substr(0, hash));
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace stratus
