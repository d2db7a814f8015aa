#include "aws/handler_util.h"

#include <algorithm>
#include <ctime>

namespace stratus::aws {

AwsError ParamError(const std::string& service, const std::string& message) {
  bool query = service == "elasticloadbalancing" || service == "autoscaling";
  return AwsError{query ? "ValidationError" : "InvalidParameterValue", message, 400};
}

AwsError MissingParam(const std::string& service, const std::string& name) {
  bool query = service == "elasticloadbalancing" || service == "autoscaling";
  return AwsError{query ? "ValidationError" : "MissingParameter",
                  "The request must contain the parameter " + name, 400};
}

std::string Str(const json& j, const char* name, const std::string& def) {
  if (!j.is_object()) return def;
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return def;
  return it->get<std::string>();
}

std::vector<std::string> StrList(const json& j, const char* name) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  auto it = j.find(name);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::optional<int64_t> OptInt(const json& j, const char* name) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(name);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}

std::optional<double> OptNum(const json& j, const char* name) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(name);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<bool> OptBool(const json& j, const char* name) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(name);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::vector<Tag> TagsOf(const json& list) {
  std::vector<Tag> tags;
  if (!list.is_array()) return tags;
  for (const auto& t : list) tags.push_back({Str(t, "Key"), Str(t, "Value")});
  return tags;
}

std::vector<Tag> TagSpecTags(const json& input, const std::string& resource_type) {
  std::vector<Tag> tags;
  auto it = input.find("TagSpecifications");
  if (it == input.end() || !it->is_array()) return tags;
  for (const auto& spec : *it) {
    std::string type = Str(spec, "ResourceType");
    if (!type.empty() && type != resource_type) continue;
    for (auto& t : TagsOf(spec.value("Tags", json::array()))) tags.push_back(std::move(t));
  }
  return tags;
}

json TagList(const std::vector<Tag>& tags) {
  json a = json::array();
  for (const auto& t : tags) a.push_back({{"Key", t.key}, {"Value", t.value}});
  return a;
}

json DropEmpty(json j) {
  if (j.is_object()) {
    json out = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it->is_string() && it->get_ref<const std::string&>().empty()) continue;
      out[it.key()] = DropEmpty(std::move(it.value()));
    }
    return out;
  }
  if (j.is_array()) {
    for (auto& v : j) v = DropEmpty(std::move(v));
  }
  return j;
}

namespace {
bool GlobFrom(const std::string& pattern, const std::string& text, size_t p, size_t t) {
  for (; p < pattern.size(); ++p, ++t) {
    if (pattern[p] == '*') {
      for (size_t k = t; k <= text.size(); ++k) {
        if (GlobFrom(pattern, text, p + 1, k)) return true;
      }
      return false;
    }
    if (t >= text.size() || (pattern[p] != '?' && pattern[p] != text[t])) return false;
  }
  return t == text.size();
}
}  // namespace

bool Glob(const std::string& pattern, const std::string& text) { return GlobFrom(pattern, text, 0, 0); }

bool AnyGlob(const std::vector<std::string>& patterns, const std::string& text) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return Glob(p, text); });
}

bool FilterAccepts(const json& in, const std::string& name, const std::string& value) {
  for (const auto& f : in.value("Filters", json::array())) {
    if (Str(f, "Name") == name && !AnyGlob(StrList(f, "Values"), value)) return false;
  }
  return true;
}

std::string IsoSeconds(double epoch_seconds) {
  time_t t = static_cast<time_t>(epoch_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace stratus::aws
