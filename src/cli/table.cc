#include "cli/table.h"

#include <time.h>

#include <cmath>
#include <cstdio>

namespace stratus::cli {

namespace {

constexpr char kColumnGap[] = "   ";

// Display width of UTF-8 text: code points, not bytes.
size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Cells hold one line: control characters become spaces.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s.empty() ? kNone : s;
}

std::string ScalarText(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number_float()) {
    // 2.0 reads better as 2 (a VCpus count sent as a double).
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15) {
      return std::to_string(static_cast<long long>(d));
    }
  }
  return v.dump();
}

std::string ValueText(const Json& v) {
  if (!v.is_array()) return ScalarText(v);
  std::string out;
  for (const Json& e : v) {
    if (!out.empty()) out += ",";
    out += ScalarText(e);
  }
  return out;
}

const Json* Lookup(const Json& obj, const std::string& pointer) {
  Json::json_pointer ptr(pointer);
  if (!obj.contains(ptr)) return nullptr;
  return &obj.at(ptr);
}

void AppendRow(std::string& out, const std::vector<std::string>& cells,
               const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 < cells.size()) line += std::string(widths[i] - DisplayWidth(cells[i]), ' ') + kColumnGap;
  }
  out += line + "\n";
}

}  // namespace

std::string RenderTable(const Json& items, const Columns& columns) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  for (const Column& c : columns) header.push_back(c.header);
  rows.push_back(std::move(header));
  if (items.is_array()) {
    for (const Json& item : items) {
      std::vector<std::string> row;
      for (const Column& c : columns) row.push_back(OneLine(c.value(item)));
      rows.push_back(std::move(row));
    }
  }
  std::vector<size_t> widths(columns.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  std::string out;
  for (const auto& row : rows) AppendRow(out, row, widths);
  return out;
}

std::string RenderDetails(const Json& item, const Columns& fields) {
  size_t width = 0;
  for (const Column& f : fields) width = std::max(width, DisplayWidth(f.header) + 1);
  std::string out;
  for (const Column& f : fields) {
    std::string label = f.header + ":";
    out += label + std::string(width - DisplayWidth(label), ' ') + "  " + OneLine(f.value(item)) +
           "\n";
  }
  return out;
}

std::function<std::string(const Json&)> Field(std::string pointer) {
  return [pointer = std::move(pointer)](const Json& obj) -> std::string {
    const Json* v = Lookup(obj, pointer);
    if (v == nullptr) return kNone;
    std::string text = ValueText(*v);
    return text.empty() ? kNone : text;
  };
}

std::function<std::string(const Json&)> TagValue(std::string key) {
  return [key = std::move(key)](const Json& obj) -> std::string {
    const Json* tags = Lookup(obj, "/Tags");
    if (tags == nullptr || !tags->is_array()) return kNone;
    for (const Json& t : *tags) {
      if (t.is_object() && t.value("Key", "") == key) {
        std::string v = t.contains("Value") ? ScalarText(t["Value"]) : "";
        return v.empty() ? kNone : v;
      }
    }
    return kNone;
  };
}

std::function<std::string(const Json&)> TagList(std::string pointer) {
  return [pointer = std::move(pointer)](const Json& obj) -> std::string {
    const Json* tags = Lookup(obj, pointer);
    if (tags == nullptr || !tags->is_array()) return kNone;
    std::string out;
    for (const Json& t : *tags) {
      if (!t.is_object()) continue;
      if (!out.empty()) out += ",";
      out += t.value("Key", "") + "=" + (t.contains("Value") ? ScalarText(t["Value"]) : "");
    }
    return out.empty() ? kNone : out;
  };
}

std::function<std::string(const Json&)> MapList(std::string pointer) {
  return [pointer = std::move(pointer)](const Json& obj) -> std::string {
    const Json* map = Lookup(obj, pointer);
    if (map == nullptr || !map->is_object()) return kNone;
    std::string out;
    for (const auto& [k, v] : map->items()) {
      if (!out.empty()) out += ",";
      out += k + "=" + ScalarText(v);
    }
    return out.empty() ? kNone : out;
  };
}

std::function<std::string(const Json&)> AgeOf(std::string pointer, Clock::time_point now) {
  return [pointer = std::move(pointer), now](const Json& obj) -> std::string {
    const Json* v = Lookup(obj, pointer);
    if (v == nullptr || !v->is_string()) return kNone;
    Result<Clock::time_point> t = ParseTimestamp(v->get<std::string>());
    if (!t.ok()) return kNone;
    return FormatAge(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
  };
}

Result<Clock::time_point> ParseTimestamp(const std::string& text) {
  struct tm tm = {};
  int consumed = 0;
  if (sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return InvalidArgument("not an RFC 3339 timestamp: " + text);
  }
  size_t pos = static_cast<size_t>(consumed);
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  }
  if (text.substr(pos) != "Z" && text.substr(pos) != "+00:00") {
    return InvalidArgument("not a UTC timestamp: " + text);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return Clock::from_time_t(timegm(&tm));
}

std::string FormatAge(std::chrono::seconds age) {
  long s = age.count();
  if (s < 0) s = 0;
  long m = s / 60, h = m / 60, d = h / 24;
  auto str = [](long v) { return std::to_string(v); };
  if (s < 120) return str(s) + "s";
  if (m < 10) return s % 60 == 0 ? str(m) + "m" : str(m) + "m" + str(s % 60) + "s";
  if (h < 3) return str(m) + "m";
  if (h < 8) return m % 60 == 0 ? str(h) + "h" : str(h) + "h" + str(m % 60) + "m";
  if (h < 48) return str(h) + "h";
  if (d < 8) return h % 24 == 0 ? str(d) + "d" : str(d) + "d" + str(h % 24) + "h";
  if (d < 365 * 2) return str(d) + "d";
  return str(d / 365) + "y";
}

}  // namespace stratus::cli
