// stratus metrics get|list|put (CloudWatch metrics: GetMetricStatistics, ListMetrics, PutMetricData)
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"

namespace stratus::cli {

namespace {

std::string Dims(const Json& j) {
  std::string out;
  for (const auto& d : j.value("Dimensions", Json::array())) {
    out += (out.empty() ? "" : ",") + d.value("Name", "") + "=" + d.value("Value", "");
  }
  return out.empty() ? kNone : out;
}

// "90s", "5m", "2h", "1d" -> seconds; InvalidArgument otherwise.
Result<int64_t> ParseDuration(const std::string& text) {
  if (text.empty()) return InvalidArgument("--since is empty");
  char* end = nullptr;
  long long n = strtoll(text.c_str(), &end, 10);
  std::string unit(end);
  int64_t mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (n <= 0 || mult == 0) return InvalidArgument("--since " + text + " is not a duration like 90s, 5m, 2h or 1d");
  return n * mult;
}

struct GetArgs {
  std::string ns, name, statistic = "Average", since = "5m", unit;
  std::vector<std::string> dimensions;
  int period = 1;
};

void RegisterGet(CLI::App* noun, CliContext& ctx) {
  auto a = std::make_shared<GetArgs>();
  CLI::App* get = noun->add_subcommand("get", "Statistics of one metric over time (GetMetricStatistics)");
  get->add_option("--namespace", a->ns, "namespace, e.g. AWS/EC2")->required();
  get->add_option("--name", a->name, "metric name, e.g. CPUUtilization")->required();
  get->add_option("--dimension", a->dimensions, "NAME=VALUE; repeatable (the exact dimension set)")
      ->check(KeyValueValidator());
  get->add_option("--statistic", a->statistic, "Average, Sum, Minimum, Maximum, SampleCount or pNN")
      ->default_str("Average");
  get->add_option("--period", a->period, "seconds per datapoint")->default_str("1");
  get->add_option("--since", a->since, "how far back: 90s, 5m, 2h, 1d")->default_str("5m");
  get->add_option("--unit", a->unit, "only samples published with this unit");
  OnSelected(get, ctx, [&ctx, a]() -> int {
    auto since = ParseDuration(a->since);
    if (!since.ok()) return ctx.UsageError(since.status());
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(ctx.now().time_since_epoch()).count();
    ApiRequest r = MakeRequest("GET", "/v1/metrics/statistics");
    r.query = {{"namespace", a->ns}, {"name", a->name}, {"statistic", a->statistic},
               {"period", std::to_string(a->period)}, {"start", std::to_string(now - *since)},
               {"end", std::to_string(now)}};
    for (const auto& d : a->dimensions) r.query.push_back({"dimension", d});
    if (!a->unit.empty()) r.query.push_back({"unit", a->unit});
    std::string stat = a->statistic;
    Columns cols = {{"TIMESTAMP", Field("/Timestamp")},
                    {stat.empty() || stat[0] != 'p' ? stat : stat, [stat](const Json& j) {
                       const Json* v = stat[0] == 'p' && j.contains("ExtendedStatistics")
                                           ? &j["ExtendedStatistics"]
                                           : &j;
                       return v->contains(stat) ? (*v)[stat].dump() : std::string(kNone);
                     }},
                    {"UNIT", Field("/Unit")}};
    return ctx.List(r, "Datapoints", cols);
  });
}

void RegisterList(CLI::App* noun, CliContext& ctx) {
  auto a = std::make_shared<GetArgs>();
  CLI::App* list = noun->add_subcommand("list", "Metrics with recent data (ListMetrics)");
  list->add_option("--namespace", a->ns, "only this namespace");
  list->add_option("--name", a->name, "only this metric name");
  list->add_option("--dimension", a->dimensions, "NAME or NAME=VALUE the metric must have; repeatable");
  OnSelected(list, ctx, [&ctx, a] {
    ApiRequest r = MakeRequest("GET", "/v1/metrics");
    if (!a->ns.empty()) r.query.push_back({"namespace", a->ns});
    if (!a->name.empty()) r.query.push_back({"name", a->name});
    for (const auto& d : a->dimensions) r.query.push_back({"dimension", d});
    Columns cols = {{"NAMESPACE", Field("/Namespace")}, {"NAME", Field("/MetricName")}, {"DIMENSIONS", Dims}};
    return ctx.List(r, "Metrics", cols);
  });
}

struct PutArgs {
  std::string ns, name, unit;
  std::vector<std::string> dimensions;
  double value = 0;
  std::string timestamp;
};

void RegisterPut(CLI::App* noun, CliContext& ctx) {
  auto a = std::make_shared<PutArgs>();
  CLI::App* put = noun->add_subcommand("put", "Publish one value (PutMetricData)");
  put->add_option("--namespace", a->ns, "namespace, e.g. MyApp")->required();
  put->add_option("--name", a->name, "metric name")->required();
  put->add_option("--value", a->value, "the value")->required();
  put->add_option("--dimension", a->dimensions, "NAME=VALUE; repeatable")->check(KeyValueValidator());
  put->add_option("--unit", a->unit, "CloudWatch unit (Percent, Count, Bytes, Seconds, ...)");
  put->add_option("--timestamp", a->timestamp, "ISO 8601 UTC or epoch seconds (default: now)");
  OnSelected(put, ctx, [&ctx, a]() -> int {
    Json datum = {{"MetricName", a->name}, {"Value", a->value}};
    Json dims = Json::array();
    for (const auto& d : a->dimensions) {
      auto kv = ParseKeyValue(d, "--dimension");
      if (!kv.ok()) return ctx.UsageError(kv.status());
      dims.push_back({{"Name", kv->key}, {"Value", kv->value}});
    }
    if (!dims.empty()) datum["Dimensions"] = dims;
    if (!a->unit.empty()) datum["Unit"] = a->unit;
    if (!a->timestamp.empty()) datum["Timestamp"] = a->timestamp;
    return ctx.SendEach({MakeRequest("POST", "/v1/metrics", Json{{"Namespace", a->ns}, {"MetricData", {datum}}})});
  });
}

}  // namespace

void RegisterMetricsCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* noun = AddNoun(root, "metrics", "CloudWatch metrics (instances, load balancers, your own)");
  RegisterGet(noun, ctx);
  RegisterList(noun, ctx);
  RegisterPut(noun, ctx);
}

}  // namespace stratus::cli
