#include "metrics/prometheus.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace stratus {
namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer the shortest form that reads back exactly.
  for (int prec = 1; prec < 17; ++prec) {
    char s[64];
    std::snprintf(s, sizeof s, "%.*g", prec, v);
    if (std::strtod(s, nullptr) == v) return s;
  }
  return buf;
}

void AppendEscaped(std::string* out, std::string_view s, bool quotes) {
  for (char c : s) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && quotes) {
      *out += "\\\"";
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

std::string PrometheusName(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isupper(c)) {
      // A word starts at an upper-case letter after a lower-case one, or before a lower-case one
      // after a capital or digit: "CPUUtilization" -> "cpu_utilization", "2XX" -> "2xx".
      unsigned char prev = i > 0 ? static_cast<unsigned char>(s[i - 1]) : 0;
      bool prev_lower = std::islower(prev);
      bool run_end = (std::isupper(prev) || std::isdigit(prev)) && i + 1 < s.size() &&
                     std::islower(static_cast<unsigned char>(s[i + 1]));
      if ((prev_lower || run_end) && !out.empty() && out.back() != '_') out.push_back('_');
      out.push_back(static_cast<char>(std::tolower(c)));
    } else if (std::isalnum(c) || c == '_') {
      out.push_back(static_cast<char>(c));
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(out.begin(), '_');
  return out;
}

std::string FormatPrometheus(const std::vector<PromFamily>& families) {
  std::string out;
  for (const PromFamily& f : families) {
    out += "# HELP " + f.name + " ";
    AppendEscaped(&out, f.help, false);
    out += "\n# TYPE " + f.name + " " + f.type + "\n";
    for (const PromSample& s : f.samples) {
      out += f.name;
      if (!s.labels.empty()) {
        out.push_back('{');
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out.push_back(',');
          out += s.labels[i].first + "=\"";
          AppendEscaped(&out, s.labels[i].second, true);
          out.push_back('"');
        }
        out.push_back('}');
      }
      out += " " + FormatValue(s.value);
      if (s.timestamp_ms) out += " " + std::to_string(*s.timestamp_ms);
      out.push_back('\n');
    }
  }
  return out;
}

std::string FormatLatestValues(const std::vector<LatestValue>& latest, bool with_timestamps) {
  std::map<std::string, PromFamily> families;
  for (const LatestValue& lv : latest) {
    const MetricIdentity& m = lv.metric;
    std::string name = "stratus_" + PrometheusName(m.namespace_) + "_" + PrometheusName(m.name);
    PromFamily& f = families[name];
    if (f.name.empty()) {
      f.name = name;
      f.help = "CloudWatch metric " + m.namespace_ + " " + m.name + " (newest sample)";
    }
    PromSample s;
    std::set<std::string> used;
    for (const Dimension& d : m.dimensions) {
      std::string label = PrometheusName(d.name);
      while (label.rfind("__", 0) == 0) label.erase(0, 1);  // "__" is reserved
      while (!used.insert(label).second) label += "_";
      s.labels.emplace_back(label, d.value);
    }
    if (m.unit != "None") {
      std::string label = "unit";
      while (!used.insert(label).second) label += "_";
      s.labels.emplace_back(label, m.unit);
    }
    s.value = lv.value;
    if (with_timestamps) s.timestamp_ms = lv.timestamp_ms;
    f.samples.push_back(std::move(s));
  }
  std::vector<PromFamily> out;
  for (auto& [name, f] : families) {
    std::sort(f.samples.begin(), f.samples.end(),
              [](const PromSample& a, const PromSample& b) { return a.labels < b.labels; });
    out.push_back(std::move(f));
  }
  return FormatPrometheus(out);
}

}  // namespace stratus
