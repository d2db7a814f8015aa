#include "api/rest_cost.h"

#include <cctype>
#include <chrono>
#include <cstdlib>

#include "api/rest_api.h"

namespace stratus {

Result<int64_t> ParseSinceParam(const std::string& param, const std::string& text, int64_t now_ms) {
  auto bad = [&] {
    return InvalidArgument(param + "=" + text + " is not a duration like 90s, 5m, 2h or 1d, nor epoch seconds")
        .WithErrorCode("InvalidParameterValue");
  };
  if (text.empty() || text.size() > 20 || !isdigit(static_cast<unsigned char>(text[0]))) return bad();
  char* end = nullptr;
  long long n = strtoll(text.c_str(), &end, 10);
  std::string unit(end);
  if (unit.empty() && n > 1'000'000'000LL) return n * 1000;  // an instant
  int64_t mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (n <= 0 || mult == 0 || n > 366LL * 86400) return bad();
  return now_ms - n * mult * 1000;
}

void MountCostRoutes(httplib::Server& server, cost::CostService* service) {
  server.Get("/v1/cost", [service](const httplib::Request& req, httplib::Response& res) {
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    cost::CostQuery q;
    if (req.has_param("by")) q.by = req.get_param_value("by");
    if (req.has_param("group")) q.group_filter = req.get_param_value("group");
    for (const char* name : {"since", "until"}) {
      if (!req.has_param(name)) continue;
      auto at = ParseSinceParam(name, req.get_param_value(name), now);
      if (!at.ok()) return ReplyJson(res, at.status());
      (std::string(name) == "since" ? q.since_ms : q.until_ms) = *at;
    }
    for (size_t k = 0; k < req.get_param_value_count("filter"); ++k) {
      std::string f = req.get_param_value("filter", k);
      auto eq = f.find('=');
      if (f.rfind("tag:", 0) != 0 || eq == std::string::npos || eq == 4) {
        return ReplyJson(res, InvalidArgument("filter " + f + ": only tag:KEY=VALUE filters cost")
                                  .WithErrorCode("InvalidParameterValue"));
      }
      q.tag_filter.emplace_back(f.substr(4, eq - 4), f.substr(eq + 1));
    }
    auto report = service->Report(q);
    if (!report.ok()) return ReplyJson(res, report.status().WithErrorCode("InvalidParameterValue"));
    ReplyJson(res, cost::ToJson(*report));
  });
  server.Get("/v1/prices", [service](const httplib::Request&, httplib::Response& res) {
    const cost::PriceList& p = service->prices();
    ReplyJson(res, nlohmann::json{{"Currency", "USD"}, {"InstanceHour", p.instance_hour},
                                  {"LoadBalancerHour", p.load_balancer_hour}, {"ImageGiBMonth", p.image_gib_month}});
  });
}

}  // namespace stratus
