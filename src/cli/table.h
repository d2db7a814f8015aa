// Rendering API objects for people: aligned tables (`kubectl get` style) and key/value details.
//
// A view of a resource is a list of Columns, each a header and a function from the object's JSON
// to the cell text; the helpers below build the common ones, so a new noun's table is a few lines
// in cli/views.cc.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus::cli {

using Json = nlohmann::json;
using Clock = std::chrono::system_clock;

// Text shown for a missing or empty value.
inline constexpr char kNone[] = "-";

struct Column {
  std::string header;                             // "PRIVATE IP"; for details, the label
  std::function<std::string(const Json&)> value;  // the cell text for one object
};
using Columns = std::vector<Column>;

// A table: the headers, then one row per element of the array `items`, columns separated by
// three spaces and padded to the widest cell, no trailing blanks; a header only when `items` is
// empty or not an array.
std::string RenderTable(const Json& items, const Columns& columns);

// One object as "Label:  value" lines, the values aligned.
std::string RenderDetails(const Json& item, const Columns& fields);

// Cell text of the value at `pointer` ("/State/Name"): strings as they are, numbers and booleans
// printed, arrays of scalars joined with ",", kNone when missing, null or empty.
std::function<std::string(const Json&)> Field(std::string pointer);

// The value of the tag `key` in the object's "Tags": [{Key, Value}], kNone when absent.
std::function<std::string(const Json&)> TagValue(std::string key);

// All tags as "k1=v1,k2=v2" in the order given, kNone when there are none.
std::function<std::string(const Json&)> TagList(std::string pointer = "/Tags");

// A JSON object's members as "k1=v1,k2=v2", kNone when empty or missing.
std::function<std::string(const Json&)> MapList(std::string pointer);

// The age ("45s", "7m", "3h", "12d") of the timestamp at `pointer` relative to `now`.
std::function<std::string(const Json&)> AgeOf(std::string pointer, Clock::time_point now);

// Parses an RFC 3339 UTC timestamp ("2026-11-27T05:30:00Z", fractional seconds allowed).
Result<Clock::time_point> ParseTimestamp(const std::string& text);

// A duration the way kubectl shows ages: "45s" (under 2 minutes), "3m20s" (under 10 minutes),
// "42m" (under 3 hours), "5h10m"
// (under 8 hours), "20h", "3d4h" (under 8 days), "120d", "2y". Negative durations show as "0s".
std::string FormatAge(std::chrono::seconds age);

}  // namespace stratus::cli
