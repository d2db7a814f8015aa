#include "metrics/put_metric_data.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <utility>

namespace stratus {

using nlohmann::json;

namespace {

Status Invalid(const std::string& m) { return InvalidArgument(m).WithErrorCode("InvalidParameterValue"); }
Status Missing(const std::string& m) { return InvalidArgument(m).WithErrorCode("MissingParameter"); }

Result<std::vector<Dimension>> ParseDimensions(const json& j, const std::string& what) {
  std::vector<Dimension> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return Invalid(what + " must be a list of {\"Name\": ..., \"Value\": ...}");
  for (size_t i = 0; i < j.size(); i++) {
    const json& d = j[i];
    if (!d.is_object() || !d.contains("Name") || !d["Name"].is_string() || !d.contains("Value") ||
        !d["Value"].is_string()) {
      return Invalid(what + "[" + std::to_string(i) + "] needs a string Name and a string Value");
    }
    out.push_back({d["Name"].get<std::string>(), d["Value"].get<std::string>()});
  }
  return out;
}

Result<double> FiniteNumber(const json& j, const std::string& what) {
  if (!j.is_number()) return Invalid(what + " must be a number");
  double v = j.get<double>();
  if (!std::isfinite(v)) return Invalid(what + " must be a finite number");
  return v;
}

Result<std::vector<double>> NumberList(const json& j, const std::string& what) {
  if (!j.is_array()) return Invalid(what + " must be a list of numbers");
  std::vector<double> out;
  for (size_t i = 0; i < j.size(); i++) {
    STRATUS_ASSIGN_OR_RETURN(double v, FiniteNumber(j[i], what + "[" + std::to_string(i) + "]"));
    out.push_back(v);
  }
  return out;
}

Result<StatisticSet> ParseStatisticSet(const json& j, const std::string& what) {
  if (!j.is_object()) return Invalid(what + " must be an object with SampleCount, Sum, Minimum and Maximum");
  StatisticSet s;
  std::pair<const char*, double*> fields[] = {
      {"SampleCount", &s.sample_count}, {"Sum", &s.sum}, {"Minimum", &s.minimum}, {"Maximum", &s.maximum}};
  for (auto& [name, out] : fields) {
    if (!j.contains(name)) return Missing(what + "." + name + " is required");
    STRATUS_ASSIGN_OR_RETURN(*out, FiniteNumber(j[name], what + "." + name));
  }
  return s;
}

Result<MetricDatum> ParseDatum(const json& d, const std::string& ns, int64_t now_ms, const std::string& what) {
  if (!d.is_object()) return Invalid(what + " must be an object");
  MetricDatum m;
  m.metric.namespace_ = ns;
  if (!d.contains("MetricName") || !d["MetricName"].is_string()) return Missing(what + ".MetricName is required");
  m.metric.name = d["MetricName"].get<std::string>();
  STRATUS_ASSIGN_OR_RETURN(m.metric.dimensions,
                           ParseDimensions(d.value("Dimensions", json()), what + ".Dimensions"));
  if (d.contains("Unit")) {
    if (!d["Unit"].is_string()) return Invalid(what + ".Unit must be a string");
    m.metric.unit = d["Unit"].get<std::string>();
  }
  m.timestamp_ms = now_ms;
  if (d.contains("Timestamp")) {
    const json& t = d["Timestamp"];
    if (t.is_number()) {
      STRATUS_ASSIGN_OR_RETURN(double secs, FiniteNumber(t, what + ".Timestamp"));
      m.timestamp_ms = std::llround(secs * 1000);
    } else if (t.is_string()) {
      STRATUS_ASSIGN_OR_RETURN(m.timestamp_ms, ParseTimeParam(t.get<std::string>()));
    } else {
      return Invalid(what + ".Timestamp must be ISO 8601 text or epoch seconds");
    }
  }
  int given = 0;
  if (d.contains("Value")) {
    ++given;
    STRATUS_ASSIGN_OR_RETURN(double v, FiniteNumber(d["Value"], what + ".Value"));
    m.value = v;
  }
  if (d.contains("StatisticValues")) {
    ++given;
    STRATUS_ASSIGN_OR_RETURN(m.statistics, ParseStatisticSet(d["StatisticValues"], what + ".StatisticValues"));
  }
  if (d.contains("Values")) {
    ++given;
    STRATUS_ASSIGN_OR_RETURN(m.values, NumberList(d["Values"], what + ".Values"));
    if (d.contains("Counts")) {
      STRATUS_ASSIGN_OR_RETURN(m.counts, NumberList(d["Counts"], what + ".Counts"));
    }
  }
  if (given != 1) return Invalid(what + " needs exactly one of Value, StatisticValues and Values");
  return m;
}

}  // namespace

Result<int64_t> ParseTimeParam(const std::string& text) {
  if (text.empty()) return Invalid("empty time");
  char* end = nullptr;
  double secs = strtod(text.c_str(), &end);
  if (*end == '\0' && std::isfinite(secs)) return static_cast<int64_t>(secs * 1000);
  tm t{};
  int consumed = 0;
  if (sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min,
             &t.tm_sec, &consumed) != 6) {
    return Invalid("time " + text + " is not ISO 8601 (2026-11-27T05:30:00Z) or epoch seconds");
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  int64_t ms = static_cast<int64_t>(timegm(&t)) * 1000;
  const char* rest = text.c_str() + consumed;
  if (*rest == '.') {
    double frac = strtod(rest, &end);
    ms += static_cast<int64_t>(frac * 1000);
    rest = end;
  }
  if (std::string(rest) != "Z" && std::string(rest) != "+00:00") {
    return Invalid("time " + text + " must be UTC (end with Z)");
  }
  return ms;
}

Result<std::vector<MetricDatum>> ParsePutMetricData(const json& body, int64_t now_ms) {
  if (!body.contains("Namespace") || !body["Namespace"].is_string()) return Missing("Namespace is required");
  std::string ns = body["Namespace"].get<std::string>();
  if (!body.contains("MetricData") || !body["MetricData"].is_array() || body["MetricData"].empty()) {
    return Missing("MetricData must be a non-empty list");
  }
  const json& data = body["MetricData"];
  if (data.size() > kMaxDatumsPerRequest) {
    return Invalid("MetricData has " + std::to_string(data.size()) + " members; at most 1000 per request");
  }
  std::vector<MetricDatum> out;
  for (size_t i = 0; i < data.size(); i++) {
    STRATUS_ASSIGN_OR_RETURN(MetricDatum d, ParseDatum(data[i], ns, now_ms, "MetricData[" + std::to_string(i) + "]"));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace stratus
