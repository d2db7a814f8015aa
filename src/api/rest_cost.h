// REST route of the cost meter (docs/cost.md): GET /v1/cost?by=&since=&until=&filter=tag:K=V&group=.
#pragma once

#include <httplib.h>

#include "cost/cost_service.h"

namespace stratus {

void MountCostRoutes(httplib::Server& server, cost::CostService* service);

// "90s", "5m", "2h", "1d" as milliseconds, or epoch seconds (a number above 10^9) as an instant:
// returns the instant in ms relative to `now_ms`. InvalidArgument naming `param` otherwise.
Result<int64_t> ParseSinceParam(const std::string& param, const std::string& text, int64_t now_ms);

}  // namespace stratus
