// Where the CLI finds stratusd and its token when the command line does not say.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace stratus::cli {

inline constexpr char kDefaultEndpoint[] = "http://127.0.0.1:7600";
inline constexpr char kSystemTokenFile[] = "/var/lib/stratus/api-token";

// The environment the defaults are read from; tests substitute their own.
struct ConfigSources {
  // Returns the value of an environment variable, nullopt when unset. Defaults to getenv(3).
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // The token file of a system-wide daemon.
  std::string system_token_file = kSystemTokenFile;

  // The process's real environment.
  static ConfigSources FromProcess();
};

// $STRATUS_ENDPOINT when set and not empty, else http://127.0.0.1:7600.
std::string DefaultEndpoint(const ConfigSources& sources);

// The API token when --token was not given: $STRATUS_TOKEN; else, when $STRATUS_STATE_DIR is set,
// the contents of $STRATUS_STATE_DIR/api-token (that daemon is the one meant); else the contents
// of /var/lib/stratus/api-token when readable. Surrounding whitespace is dropped. Returns "" when
// none is found: the request then goes without a token (the unix socket needs none).
std::string DefaultToken(const ConfigSources& sources);

}  // namespace stratus::cli
