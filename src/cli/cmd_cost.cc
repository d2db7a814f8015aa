// stratus cost [--by kind|type|group|state|tag:KEY] [--since 24h] [--filter tag:K=V] [--group NAME]
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"

namespace stratus::cli {

namespace {

struct CostArgs {
  std::string by = "kind", since = "24h", group;
  std::vector<std::string> filters;
};

std::string Dollars(double v) {
  char buf[64];
  snprintf(buf, sizeof buf, "$%.6f", v);
  return buf;
}

std::string Hours(const Json& line, const char* state) {
  const Json& s = line.value("InstanceSeconds", Json::object());
  if (!s.contains(state)) return std::string(kNone);
  char buf[64];
  snprintf(buf, sizeof buf, "%.3f", s[state].get<double>() / 3600);
  return buf;
}

}  // namespace

void RegisterCostCommand(CLI::App& root, CliContext& ctx) {
  auto a = std::make_shared<CostArgs>();
  CLI::App* cost = root.add_subcommand("cost", "What the cloud cost over a window, and costs per hour now");
  cost->add_option("--by", a->by, "group lines by kind, type, group, state or tag:KEY")->default_str("kind");
  cost->add_option("--since", a->since, "how far back: 90s, 5m, 2h, 1d")->default_str("24h");
  cost->add_option("--filter", a->filters, "only resources with this tag: tag:KEY=VALUE; repeatable");
  cost->add_option("--group", a->group, "only this auto scaling group");
  OnSelected(cost, ctx, [&ctx, a]() -> int {
    ApiRequest r = MakeRequest("GET", "/v1/cost");
    r.query = {{"by", a->by}, {"since", a->since}};
    for (const auto& f : a->filters) r.query.push_back({"filter", f});
    if (!a->group.empty()) r.query.push_back({"group", a->group});
    Result<Json> response = ctx.Call(r);
    if (!response.ok()) return ctx.Failure(response.status());
    if (ctx.json_output()) {
      ctx.PrintJson(*response);
      return kExitOk;
    }
    Columns cols = {{"KEY", Field("/Key")},
                    {"COST", [](const Json& j) { return Dollars(j.value("Cost", 0.0)); }},
                    {"RUNNING-HOURS", [](const Json& j) { return Hours(j, "running"); }},
                    {"STOPPED-HOURS", [](const Json& j) { return Hours(j, "stopped"); }}};
    ctx.out() << RenderTable(response->value("Lines", Json::array()), cols);
    ctx.out() << "TOTAL " << Dollars(response->value("Total", 0.0)) << " since " << response->value("Since", "")
              << "; now " << Dollars(response->value("RatePerHour", 0.0)) << " per hour\n";
    return kExitOk;
  });
}

}  // namespace stratus::cli
