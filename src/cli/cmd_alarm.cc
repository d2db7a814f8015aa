// stratus alarm create|list|show|delete|set-state|history (CloudWatch metric alarms)
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"

namespace stratus::cli {

namespace {

Columns AlarmColumns() {
  return {{"NAME", Field("/AlarmName")},
          {"STATE", Field("/StateValue")},
          {"METRIC", [](const Json& j) { return j.value("Namespace", "") + " " + j.value("MetricName", ""); }},
          {"CONDITION", [](const Json& j) {
             std::string stat = j.value("Statistic", "");
             if (stat.empty()) stat = j.value("ExtendedStatistic", "");
             return stat + " " + j.value("ComparisonOperator", "") + " " + j["Threshold"].dump() + " for " +
                    std::to_string(j.value("DatapointsToAlarm", 0) ? j.value("DatapointsToAlarm", 0)
                                                                   : j.value("EvaluationPeriods", 1)) +
                    "/" + std::to_string(j.value("EvaluationPeriods", 1)) + " x " +
                    std::to_string(j.value("Period", 60)) + "s";
           }}};
}

Columns AlarmDetails() {
  Columns c = AlarmColumns();
  c.push_back({"DIMENSIONS", [](const Json& j) {
                 std::string out;
                 for (const auto& d : j.value("Dimensions", Json::array())) {
                   out += (out.empty() ? "" : ",") + d.value("Name", "") + "=" + d.value("Value", "");
                 }
                 return out.empty() ? std::string(kNone) : out;
               }});
  c.push_back({"MISSING DATA", Field("/TreatMissingData")});
  c.push_back({"REASON", Field("/StateReason")});
  c.push_back({"UPDATED", Field("/StateUpdatedTimestamp")});
  c.push_back({"ALARM ACTIONS", Field("/AlarmActions")});
  c.push_back({"OK ACTIONS", Field("/OKActions")});
  return c;
}

struct CreateArgs {
  std::string name, ns, metric, statistic = "Average", op = "GreaterThanThreshold", missing = "missing",
                                description, unit;
  std::vector<std::string> dimensions, alarm_actions, ok_actions;
  double threshold = 0;
  int period = 60, evaluation_periods = 1, datapoints = 0;
};

void RegisterCreate(CLI::App* noun, CliContext& ctx) {
  auto a = std::make_shared<CreateArgs>();
  CLI::App* create = noun->add_subcommand("create", "Create or replace an alarm (PutMetricAlarm)");
  create->add_option("NAME", a->name, "alarm name")->required();
  create->add_option("--namespace", a->ns, "namespace, e.g. AWS/EC2")->required();
  create->add_option("--metric", a->metric, "metric name, e.g. CPUUtilization")->required();
  create->add_option("--dimension", a->dimensions, "NAME=VALUE; repeatable")->check(KeyValueValidator());
  create->add_option("--statistic", a->statistic, "Average, Sum, Minimum, Maximum, SampleCount or pNN")
      ->default_str("Average");
  create->add_option("--threshold", a->threshold, "threshold")->required();
  create->add_option("--comparison", a->op, "GreaterThanThreshold, GreaterThanOrEqualToThreshold, "
                                            "LessThanThreshold, LessThanOrEqualToThreshold")
      ->default_str("GreaterThanThreshold");
  create->add_option("--period", a->period, "seconds per datapoint")->default_str("60");
  create->add_option("--evaluation-periods", a->evaluation_periods, "N")->default_str("1");
  create->add_option("--datapoints-to-alarm", a->datapoints, "M (default N)");
  create->add_option("--treat-missing-data", a->missing, "missing, ignore, breaching, notBreaching")
      ->default_str("missing");
  create->add_option("--alarm-action", a->alarm_actions, "ARN run in ALARM; repeatable");
  create->add_option("--ok-action", a->ok_actions, "ARN run on OK; repeatable");
  create->add_option("--description", a->description, "description");
  create->add_option("--unit", a->unit, "only samples published with this unit");
  OnSelected(create, ctx, [&ctx, a]() -> int {
    Json dims = Json::array();
    for (const auto& d : a->dimensions) {
      auto kv = ParseKeyValue(d, "--dimension");
      if (!kv.ok()) return ctx.UsageError(kv.status());
      dims.push_back({{"Name", kv->key}, {"Value", kv->value}});
    }
    bool percentile = !a->statistic.empty() && a->statistic[0] == 'p';
    Json body = {{"AlarmName", a->name}, {"Namespace", a->ns}, {"MetricName", a->metric}, {"Dimensions", dims},
                 {percentile ? "ExtendedStatistic" : "Statistic", a->statistic}, {"Threshold", a->threshold},
                 {"ComparisonOperator", a->op}, {"Period", a->period},
                 {"EvaluationPeriods", a->evaluation_periods}, {"DatapointsToAlarm", a->datapoints},
                 {"TreatMissingData", a->missing}, {"AlarmActions", a->alarm_actions},
                 {"OKActions", a->ok_actions}, {"AlarmDescription", a->description}};
    if (!a->unit.empty()) body["Unit"] = a->unit;
    return ctx.ShowEach({MakeRequest("POST", "/v1/alarms", body)}, "MetricAlarm", AlarmColumns());
  });
}

void RegisterReads(CLI::App* noun, CliContext& ctx) {
  auto state = std::make_shared<std::string>();
  auto prefix = std::make_shared<std::string>();
  CLI::App* list = noun->add_subcommand("list", "List alarms (DescribeAlarms)");
  list->add_option("--state", *state, "OK, ALARM or INSUFFICIENT_DATA");
  list->add_option("--prefix", *prefix, "alarm name prefix");
  OnSelected(list, ctx, [&ctx, state, prefix] {
    ApiRequest r = MakeRequest("GET", "/v1/alarms");
    if (!state->empty()) r.query.push_back({"state", *state});
    if (!prefix->empty()) r.query.push_back({"prefix", *prefix});
    return ctx.List(r, "MetricAlarms", AlarmColumns());
  });

  AddShowEach(noun, ctx,
              {"show", "Show alarms with their state reason", "NAME", "alarm names",
               [](const std::string& n) { return MakeRequest("GET", "/v1/alarms/" + n); }},
              "MetricAlarm", AlarmDetails);

  auto hname = std::make_shared<std::string>();
  CLI::App* history = noun->add_subcommand("history", "State changes of an alarm, newest first");
  history->add_option("NAME", *hname, "alarm name")->required();
  OnSelected(history, ctx, [&ctx, hname] {
    Columns cols = {{"TIMESTAMP", Field("/Timestamp")}, {"TYPE", Field("/HistoryItemType")},
                    {"SUMMARY", Field("/HistorySummary")}};
    return ctx.List(MakeRequest("GET", "/v1/alarms/" + *hname + "/history"), "AlarmHistoryItems", cols);
  });
}

void RegisterWrites(CLI::App* noun, CliContext& ctx) {
  auto names = std::make_shared<std::vector<std::string>>();
  CLI::App* del = noun->add_subcommand("delete", "Delete alarms (all or none)");
  del->add_option("NAME", *names, "alarm names")->required();
  OnSelected(del, ctx, [&ctx, names] {
    return ctx.SendEach({MakeRequest("POST", "/v1/alarms/delete", Json{{"AlarmNames", *names}})});
  });

  auto set = std::make_shared<std::array<std::string, 3>>();
  CLI::App* set_state = noun->add_subcommand("set-state", "Set an alarm's state until its next evaluation");
  set_state->add_option("NAME", (*set)[0], "alarm name")->required();
  set_state->add_option("STATE", (*set)[1], "OK, ALARM or INSUFFICIENT_DATA")->required();
  set_state->add_option("--reason", (*set)[2], "state reason")->default_str("set by stratus alarm set-state");
  OnSelected(set_state, ctx, [&ctx, set] {
    Json body = {{"StateValue", (*set)[1]},
                 {"StateReason", (*set)[2].empty() ? "set by stratus alarm set-state" : (*set)[2]}};
    return ctx.SendEach({MakeRequest("POST", "/v1/alarms/" + (*set)[0] + "/state", body)});
  });
}

}  // namespace

void RegisterAlarmCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* noun = AddNoun(root, "alarm", "CloudWatch metric alarms");
  RegisterCreate(noun, ctx);
  RegisterReads(noun, ctx);
  RegisterWrites(noun, ctx);
}

}  // namespace stratus::cli
