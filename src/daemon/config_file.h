// /etc/stratus/stratusd.conf: every stratusd flag as `key = value` (the long flag without its dashes), one a
// line, `#` comments. The command line wins over the file. A malformed file is refused with the file, the
// line and the key (docs/operations.md).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace stratus {

constexpr char kDefaultConfigFile[] = "/etc/stratus/stratusd.conf";

struct ConfigEntry {
  std::string key;    // "state-dir"
  std::string value;  // unquoted
  int line = 0;       // 1-based
};

// Parses the text of a config file: blank lines and lines starting with '#' are skipped, a value may be
// quoted with "..." (for spaces or '#'), a trailing " # comment" after an unquoted value is dropped.
// InvalidArgument("FILE:LINE: ...") for a line without '=', an empty or repeated key, an unterminated quote.
Result<std::vector<ConfigEntry>> ParseConfigText(const std::string& text, const std::string& file);

// "FILE:LINE: key KEY: what" — the one shape of every config error.
std::string ConfigErrorAt(const std::string& file, const ConfigEntry& e, const std::string& what);

}  // namespace stratus
