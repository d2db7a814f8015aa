#include "metrics/metric.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace stratus {
namespace {

constexpr std::array<std::string_view, 27> kUnits = {
    "Seconds",          "Microseconds",      "Milliseconds",     "Bytes",           "Kilobytes",
    "Megabytes",        "Gigabytes",         "Terabytes",        "Bits",            "Kilobits",
    "Megabits",         "Gigabits",          "Terabits",         "Percent",         "Count",
    "Bytes/Second",     "Kilobytes/Second",  "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
    "Bits/Second",      "Kilobits/Second",   "Megabits/Second",  "Gigabits/Second", "Terabits/Second",
    "Count/Second",     "None",
};

// Checks a name's length; builds the message (and the field path) only on failure.
template <typename FieldFn>
Status CheckName(std::string_view value, size_t max, FieldFn field) {
  if (!value.empty() && value.size() <= max) return Status::Ok();
  if (value.empty()) return InvalidArgument(field() + " must not be empty");
  return InvalidArgument(field() + " is " + std::to_string(value.size()) + " characters long; the maximum is " +
                         std::to_string(max));
}

}  // namespace

bool IsValidUnit(std::string_view unit) {
  return std::find(kUnits.begin(), kUnits.end(), unit) != kUnits.end();
}

Status NormalizeIdentity(MetricIdentity* id, std::string_view what) {
  auto w = [&](const char* field) { return std::string(what) + field; };
  STRATUS_RETURN_IF_ERROR(CheckName(id->namespace_, kMaxNameLength, [&] { return w(".Namespace"); }));
  STRATUS_RETURN_IF_ERROR(CheckName(id->name, kMaxNameLength, [&] { return w(".MetricName"); }));
  if (id->unit.empty()) id->unit = "None";
  if (!IsValidUnit(id->unit)) {
    return InvalidArgument("the value " + id->unit + " for parameter " + w(".Unit") + " is not a CloudWatch unit");
  }
  if (id->dimensions.size() > kMaxDimensions) {
    return InvalidArgument(std::string(what) + " has " + std::to_string(id->dimensions.size()) +
                           " dimensions; the maximum is " + std::to_string(kMaxDimensions));
  }
  for (size_t i = 0; i < id->dimensions.size(); ++i) {
    auto d = [&](const char* field) { return w(".Dimensions.member.") + std::to_string(i + 1) + field; };
    STRATUS_RETURN_IF_ERROR(CheckName(id->dimensions[i].name, kMaxNameLength, [&] { return d(".Name"); }));
    STRATUS_RETURN_IF_ERROR(
        CheckName(id->dimensions[i].value, kMaxDimensionValueLength, [&] { return d(".Value"); }));
  }
  auto by_name = [](const Dimension& a, const Dimension& b) { return a.name < b.name; };
  if (!std::is_sorted(id->dimensions.begin(), id->dimensions.end(), by_name)) {
    std::sort(id->dimensions.begin(), id->dimensions.end(), by_name);
  }
  for (size_t i = 1; i < id->dimensions.size(); ++i) {
    if (id->dimensions[i].name == id->dimensions[i - 1].name) {
      return InvalidArgument(std::string(what) + " has the dimension " + id->dimensions[i].name + " twice");
    }
  }
  return Status::Ok();
}

Result<Statistic> ParseStatistic(std::string_view s) {
  static const std::pair<std::string_view, Statistic::Kind> kStandard[] = {
      {"SampleCount", Statistic::Kind::kSampleCount}, {"Sum", Statistic::Kind::kSum},
      {"Average", Statistic::Kind::kAverage},         {"Minimum", Statistic::Kind::kMinimum},
      {"Maximum", Statistic::Kind::kMaximum},
  };
  for (const auto& [name, kind] : kStandard) {
    if (s == name) return Statistic{kind, 0, std::string(s)};
  }
  auto bad = [&] {
    return InvalidArgument("statistic " + std::string(s) +
                           " is not one of SampleCount, Sum, Average, Minimum, Maximum or pNN(.NN)");
  };
  if (s.size() < 2 || s[0] != 'p') return bad();
  std::string_view num = s.substr(1);
  size_t dot = num.find('.');
  std::string_view whole = num.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : num.substr(dot + 1);
  if (whole.empty() || whole.size() > 3 || (dot != std::string_view::npos && (frac.empty() || frac.size() > 10))) {
    return bad();
  }
  for (char c : whole) if (c < '0' || c > '9') return bad();
  for (char c : frac) if (c < '0' || c > '9') return bad();
  double p = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), p);
  if (ec != std::errc() || ptr != num.data() + num.size() || p < 0 || p > 100) return bad();
  return Statistic{Statistic::Kind::kPercentile, p, std::string(s)};
}

std::string FormatIso8601(int64_t timestamp_ms) {
  time_t secs = static_cast<time_t>(timestamp_ms >= 0 ? timestamp_ms / 1000 : (timestamp_ms - 999) / 1000);
  int ms = static_cast<int>(timestamp_ms - static_cast<int64_t>(secs) * 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[96];
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  }
  return buf;
}

}  // namespace stratus
