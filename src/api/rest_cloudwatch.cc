#include "api/rest_cloudwatch.h"

#include <chrono>
#include <cmath>
#include <ctime>

#include "api/rest_api.h"
#include "cloudwatch/alarm_manager.h"
#include "metrics/prometheus.h"
#include "metrics/put_metric_data.h"

namespace stratus {

using nlohmann::json;

namespace {

Status Invalid(const std::string& m) { return InvalidArgument(m).WithErrorCode("InvalidParameterValue"); }
Status Missing(const std::string& m) { return InvalidArgument(m).WithErrorCode("MissingParameter"); }

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<json> Body(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    return Invalid("the request body is not valid JSON (note: NaN and Infinity are not JSON numbers)");
  }
  if (!j.is_object()) return Invalid("the request body must be a JSON object");
  return j;
}

std::vector<std::string> Params(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  auto range = req.params.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : "";
}

// "K=V" (exact) or "K" (any value, for ListMetrics).
Result<std::vector<Dimension>> DimensionParams(const httplib::Request& req, bool allow_any) {
  std::vector<Dimension> out;
  for (const auto& p : Params(req, "dimension")) {
    auto eq = p.find('=');
    if (eq == std::string::npos && !allow_any) return Invalid("dimension " + p + " is not NAME=VALUE");
    out.push_back({p.substr(0, eq), eq == std::string::npos ? "" : p.substr(eq + 1)});
  }
  return out;
}

json DimensionsJson(const std::vector<Dimension>& dims) {
  json a = json::array();
  for (const auto& d : dims) a.push_back({{"Name", d.name}, {"Value", d.value}});
  return a;
}

Result<int64_t> IntParam(const httplib::Request& req, const char* name, int64_t dflt) {
  std::string v = Param(req, name);
  if (v.empty()) return dflt;
  char* end = nullptr;
  long long n = strtoll(v.c_str(), &end, 10);
  if (*end != '\0') return Invalid(std::string(name) + " " + v + " is not an integer");
  return static_cast<int64_t>(n);
}

Result<json> GetStatistics(const httplib::Request& req, MetricStore* store, int64_t now_ms) {
  StatisticsQuery q;
  q.namespace_ = Param(req, "namespace");
  q.name = Param(req, "name");
  if (q.namespace_.empty() || q.name.empty()) return Missing("namespace and name are required");
  STRATUS_ASSIGN_OR_RETURN(q.dimensions, DimensionParams(req, false));
  if (!Param(req, "unit").empty()) q.unit = Param(req, "unit");
  q.statistics = Params(req, "statistic");
  if (q.statistics.empty()) q.statistics = {"Average"};
  STRATUS_ASSIGN_OR_RETURN(q.period_s, IntParam(req, "period", 60));
  q.end_ms = now_ms;
  if (!Param(req, "end").empty()) {
    STRATUS_ASSIGN_OR_RETURN(q.end_ms, ParseTimeParam(Param(req, "end")));
  }
  q.start_ms = q.end_ms - 3600 * 1000;
  if (!Param(req, "start").empty()) {
    STRATUS_ASSIGN_OR_RETURN(q.start_ms, ParseTimeParam(Param(req, "start")));
  }
  STRATUS_ASSIGN_OR_RETURN(auto points, store->GetMetricStatistics(q));
  json a = json::array();
  for (const auto& p : points) {
    json d = {{"Timestamp", FormatIso8601(p.timestamp_ms)}, {"Unit", p.unit}};
    for (const auto& [stat, v] : p.values) {
      if (stat.empty() || stat[0] != 'p') {
        d[stat] = v;
      } else {
        d["ExtendedStatistics"][stat] = v;
      }
    }
    a.push_back(std::move(d));
  }
  return json{{"Label", q.name}, {"Datapoints", a}};
}

json ListMetricsJson(const std::vector<MetricIdentity>& metrics) {
  json a = json::array();
  for (const auto& m : metrics) {
    a.push_back({{"Namespace", m.namespace_}, {"MetricName", m.name}, {"Dimensions", DimensionsJson(m.dimensions)}});
  }
  return json{{"Metrics", a}};
}

void MountMetrics(httplib::Server& server, const CloudWatchRoutes& r, std::function<int64_t()> now) {
  MetricStore* store = r.metrics;
  server.Post("/v1/metrics", [store, now](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto data = ParsePutMetricData(*body, now());
    if (!data.ok()) return ReplyJson(res, data.status());
    Status st = store->PutMetricData(std::move(*data));
    if (!st.ok()) {
      return ReplyJson(res, st.code() == Code::kInvalidArgument ? st.WithErrorCode("InvalidParameterValue") : st);
    }
    ReplyJson(res, json::object());
  });
  server.Get("/v1/metrics", [store](const httplib::Request& req, httplib::Response& res) {
    ListMetricsFilter f;
    if (!Param(req, "namespace").empty()) f.namespace_ = Param(req, "namespace");
    if (!Param(req, "name").empty()) f.name = Param(req, "name");
    auto dims = DimensionParams(req, true);
    if (!dims.ok()) return ReplyJson(res, dims.status());
    f.dimensions = *dims;
    ReplyJson(res, ListMetricsJson(store->ListMetrics(f)));
  });
  server.Get("/v1/metrics/statistics", [store, now](const httplib::Request& req, httplib::Response& res) {
    auto out = GetStatistics(req, store, now());
    if (!out.ok() && out.status().code() == Code::kInvalidArgument && out.status().error_code().empty()) {
      return ReplyJson(res, out.status().WithErrorCode("InvalidParameterValue"));
    }
    ReplyJson(res, out);
  });
  server.Get("/metrics", [r, now](const httplib::Request&, httplib::Response& res) {
    // Series that got no sample for 5 minutes (terminated instances) leave the exposition.
    std::string text = FormatLatestValues(r.metrics->Latest(now() - 5 * 60 * 1000));
    if (r.extra_prometheus) {
      auto extra = r.extra_prometheus();
      if (extra.ok()) text += *extra;
    }
    res.set_content(text, kPrometheusContentType);
  });
}

json AlarmsJson(const std::vector<cloudwatch::MetricAlarm>& alarms) {
  json a = json::array();
  for (const auto& x : alarms) a.push_back(cloudwatch::AlarmToJson(x));
  return json{{"MetricAlarms", a}};
}

json HistoryJson(const std::vector<cloudwatch::AlarmHistoryItem>& items) {
  json a = json::array();
  for (const auto& h : items) a.push_back(cloudwatch::HistoryToJson(h));
  return json{{"AlarmHistoryItems", a}};
}

Result<std::vector<std::string>> AlarmNames(const json& body) {
  if (!body.contains("AlarmNames") || !body["AlarmNames"].is_array() || body["AlarmNames"].empty()) {
    return Missing("AlarmNames must be a non-empty list of alarm names");
  }
  std::vector<std::string> names;
  for (const auto& n : body["AlarmNames"]) {
    if (!n.is_string()) return Invalid("AlarmNames must hold strings");
    names.push_back(n.get<std::string>());
  }
  if (names.size() > 100) return Invalid("at most 100 AlarmNames per call");
  return names;
}

void MountAlarmWrites(httplib::Server& server, cloudwatch::AlarmService* alarms) {
  server.Post("/v1/alarms", [alarms](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto alarm = cloudwatch::AlarmFromJson(*body);
    if (!alarm.ok()) return ReplyJson(res, alarm.status());
    auto out = alarms->PutMetricAlarm(std::move(*alarm));
    if (!out.ok()) return ReplyJson(res, out.status());
    ReplyJson(res, json{{"MetricAlarm", cloudwatch::AlarmToJson(*out)}});
  });
  server.Post("/v1/alarms/delete", [alarms](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto names = AlarmNames(*body);
    if (!names.ok()) return ReplyJson(res, names.status());
    Status st = alarms->DeleteAlarms(*names);
    ReplyStatus(res, st);
  });
  server.Delete(R"(/v1/alarms/([^/]+))", [alarms](const httplib::Request& req, httplib::Response& res) {
    Status st = alarms->DeleteAlarms({req.matches[1].str()});
    ReplyStatus(res, st);
  });
  server.Post(R"(/v1/alarms/([^/]+)/state)", [alarms](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    const json& b = *body;
    if (!b.contains("StateValue") || !b["StateValue"].is_string()) return ReplyJson(res, Missing("StateValue is required"));
    if (b.contains("StateReason") && !b["StateReason"].is_string()) {
      return ReplyJson(res, Invalid("StateReason must be a string"));
    }
    Status st = alarms->SetAlarmState(req.matches[1].str(), b["StateValue"].get<std::string>(),
                                      b.value("StateReason", "set by SetAlarmState"));
    ReplyStatus(res, st);
  });
}

void MountAlarmReads(httplib::Server& server, cloudwatch::AlarmService* alarms) {
  server.Get("/v1/alarms", [alarms](const httplib::Request& req, httplib::Response& res) {
    auto out = alarms->DescribeAlarms(Params(req, "name"), Param(req, "state"), Param(req, "prefix"));
    if (!out.ok()) return ReplyJson(res, out.status());
    ReplyJson(res, AlarmsJson(*out));
  });
  server.Get(R"(/v1/alarms/([^/]+))", [alarms](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1].str();
    auto out = alarms->DescribeAlarms({name});
    if (!out.ok()) return ReplyJson(res, out.status());
    if (out->empty()) return ReplyJson(res, NotFound("alarm " + name + " does not exist").WithErrorCode("ResourceNotFound"));
    ReplyJson(res, json{{"MetricAlarm", cloudwatch::AlarmToJson(out->front())}});
  });
  server.Get(R"(/v1/alarms/([^/]+)/history)", [alarms](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1].str();
    auto exists = alarms->DescribeAlarms({name});
    if (exists.ok() && exists->empty()) {
      return ReplyJson(res, NotFound("alarm " + name + " does not exist").WithErrorCode("ResourceNotFound"));
    }
    ReplyJson(res, HistoryJson(alarms->DescribeAlarmHistory(name)));
  });
  server.Get("/v1/alarm-history", [alarms](const httplib::Request&, httplib::Response& res) {
    ReplyJson(res, HistoryJson(alarms->DescribeAlarmHistory("")));
  });
}

}  // namespace

void MountCloudWatchRoutes(httplib::Server& server, CloudWatchRoutes routes) {
  std::function<int64_t()> now = routes.clock ? routes.clock : SystemNowMs;
  MountMetrics(server, routes, now);
  MountAlarmWrites(server, routes.alarms);
  MountAlarmReads(server, routes.alarms);
}

}  // namespace stratus
