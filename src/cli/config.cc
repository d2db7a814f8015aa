#include "cli/config.h"

#include <cstdlib>

#include "common/files.h"

namespace stratus::cli {

namespace {

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// The trimmed contents of `path`, or "" when it cannot be read.
std::string ReadToken(const std::string& path) {
  Result<std::string> data = ReadFile(path);
  return data.ok() ? Trim(*data) : std::string();
}

std::optional<std::string> NonEmptyEnv(const ConfigSources& sources, const std::string& name) {
  if (!sources.getenv) return std::nullopt;
  std::optional<std::string> v = sources.getenv(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

}  // namespace

ConfigSources ConfigSources::FromProcess() {
  ConfigSources s;
  s.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  return s;
}

std::string DefaultEndpoint(const ConfigSources& sources) {
  return NonEmptyEnv(sources, "STRATUS_ENDPOINT").value_or(kDefaultEndpoint);
}

std::string DefaultToken(const ConfigSources& sources) {
  if (auto token = NonEmptyEnv(sources, "STRATUS_TOKEN")) return Trim(*token);
  if (auto dir = NonEmptyEnv(sources, "STRATUS_STATE_DIR")) {
    std::string token = ReadToken(*dir + "/api-token");
    if (!token.empty()) return token;
  }
  return ReadToken(sources.system_token_file);
}

}  // namespace stratus::cli
