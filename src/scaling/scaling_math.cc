#include "scaling/scaling_math.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <map>
#include <sstream>

namespace stratus::scaling {

int TargetTrackingCapacity(int current, double metric, double target) {
  if (current <= 0 || target <= 0 || !std::isfinite(metric)) return std::max(current, 0);
  double raw = current * metric / target;
  // A hair of tolerance so 2 * 50 / 50 stays 2 and not 3 through rounding.
  return std::max(0, static_cast<int>(std::ceil(raw - 1e-9)));
}

std::optional<int> ScaleOutCapacity(int counted, std::optional<double> window_average, double target, int desired) {
  if (!window_average || !(*window_average > target)) return std::nullopt;
  int want = TargetTrackingCapacity(counted, *window_average, target);
  if (want <= desired) return std::nullopt;
  return want;
}

namespace {

// Negative when a should be terminated before b under `policy`; 0 when the policy does not decide.
int ComparePolicy(const std::string& policy, const AsgInstance& a, const AsgInstance& b) {
  auto cmp = [](int64_t x, int64_t y) { return x < y ? -1 : (x > y ? 1 : 0); };
  if (policy == "OldestInstance") return cmp(a.launched_ms, b.launched_ms);
  if (policy == "NewestInstance") return -cmp(a.launched_ms, b.launched_ms);
  if (policy == "OldestLaunchTemplate" || policy == "OldestLaunchConfiguration") {
    return cmp(a.launch_template_version, b.launch_template_version);
  }
  return 0;
}

bool TerminateFirst(const AsgInstance& a, const AsgInstance& b, const std::vector<std::string>& policies,
                    int64_t prefer_version) {
  if (prefer_version > 0) {
    bool a_old = a.launch_template_version != prefer_version;
    bool b_old = b.launch_template_version != prefer_version;
    if (a_old != b_old) return a_old;
  }
  for (const auto& p : policies) {
    int c = ComparePolicy(p, a, b);
    if (c) return c < 0;
  }
  // Default: oldest launch template, then the instance closest to its next billing hour (here: the oldest).
  for (const char* p : {"OldestLaunchTemplate", "OldestInstance"}) {
    int c = ComparePolicy(p, a, b);
    if (c) return c < 0;
  }
  return a.instance_id < b.instance_id;
}

}  // namespace

std::vector<std::string> ChooseInstancesToTerminate(const std::vector<AsgInstance>& candidates,
                                                    const std::vector<AsgInstance>& all_in_group,
                                                    const std::vector<std::string>& policies, int count,
                                                    int64_t prefer_version) {
  std::map<std::string, int> per_subnet;
  for (const auto& i : all_in_group) per_subnet[i.subnet_id]++;
  std::vector<AsgInstance> pool = candidates;
  std::vector<std::string> chosen;
  while (static_cast<int>(chosen.size()) < count && !pool.empty()) {
    // Instances on an old version go first during a refresh, whatever their subnet.
    bool any_old = prefer_version > 0 && std::any_of(pool.begin(), pool.end(), [&](const AsgInstance& i) {
                     return i.launch_template_version != prefer_version;
                   });
    int most = -1;
    for (const auto& i : pool) {
      if (any_old && i.launch_template_version == prefer_version) continue;
      most = std::max(most, per_subnet[i.subnet_id]);
    }
    auto best = pool.end();
    for (auto it = pool.begin(); it != pool.end(); ++it) {
      if (any_old && it->launch_template_version == prefer_version) continue;
      if (per_subnet[it->subnet_id] != most) continue;
      if (best == pool.end() || TerminateFirst(*it, *best, policies, prefer_version)) best = it;
    }
    chosen.push_back(best->instance_id);
    per_subnet[best->subnet_id]--;
    pool.erase(best);
  }
  return chosen;
}

int ApplyAdjustment(const std::string& type, int adjustment, int current, int min_magnitude) {
  if (type == "ExactCapacity") return std::max(0, adjustment);
  if (type == "PercentChangeInCapacity") {
    double delta = current * adjustment / 100.0;
    // AWS rounds toward zero for values beyond +-1 and to +-1 between 0 and 1.
    int d = static_cast<int>(delta);
    if (d == 0 && adjustment != 0) d = adjustment > 0 ? 1 : -1;
    if (min_magnitude > 0 && std::abs(d) < min_magnitude) d = d > 0 ? min_magnitude : -min_magnitude;
    return std::max(0, current + d);
  }
  return std::max(0, current + adjustment);
}

std::optional<int> StepAdjustmentFor(const std::vector<StepAdjustment>& steps, double metric, double threshold) {
  double diff = metric - threshold;
  for (const auto& s : steps) {
    // AWS: lower bound inclusive, upper bound exclusive... except for a breach below the threshold,
    // where the upper bound is inclusive. Treat both inclusive at the threshold itself.
    bool above_lower = !s.lower_bound || diff >= *s.lower_bound;
    bool below_upper = !s.upper_bound || diff < *s.upper_bound || (diff <= 0 && diff <= *s.upper_bound);
    if (above_lower && below_upper) return s.scaling_adjustment;
  }
  return std::nullopt;
}

namespace {

// Parses one cron field into `bits` (index lo..hi).
Status ParseCronField(const std::string& field, int lo, int hi, std::vector<bool>& bits, bool& any) {
  bits.assign(hi + 1, false);
  any = field == "*" || field == "?";
  std::stringstream ss(field);
  std::string part;
  while (std::getline(ss, part, ',')) {
    int step = 1;
    auto slash = part.find('/');
    if (slash != std::string::npos) {
      step = atoi(part.c_str() + slash + 1);
      part = part.substr(0, slash);
      if (step < 1) return InvalidArgument("cron step must be at least 1");
    }
    int a = lo, b = hi;
    if (part != "*" && part != "?") {
      char* end = nullptr;
      a = static_cast<int>(strtol(part.c_str(), &end, 10));
      if (end == part.c_str()) return InvalidArgument("cron field '" + field + "' is not a number, range or *");
      b = slash != std::string::npos ? hi : a;
      if (*end == '-') b = static_cast<int>(strtol(end + 1, &end, 10));
      if (*end != '\0') return InvalidArgument("cron field '" + field + "' is malformed");
    }
    if (a < lo || b > hi || a > b) {
      return InvalidArgument("cron field '" + field + "' is outside " + std::to_string(lo) + "-" + std::to_string(hi));
    }
    for (int v = a; v <= b; v += step) bits[v] = true;
  }
  return Status::Ok();
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(const std::string& text) {
  std::stringstream ss(text);
  std::vector<std::string> f;
  for (std::string x; ss >> x;) f.push_back(x);
  if (f.size() != 5) {
    return InvalidArgument("Recurrence '" + text + "' must have 5 fields: minute hour day-of-month month day-of-week")
        .WithErrorCode("ValidationError");
  }
  CronSchedule c;
  bool unused;
  Status st = ParseCronField(f[0], 0, 59, c.minute_, unused);
  if (st.ok()) st = ParseCronField(f[1], 0, 23, c.hour_, unused);
  if (st.ok()) st = ParseCronField(f[2], 1, 31, c.mday_, c.mday_any_);
  if (st.ok()) st = ParseCronField(f[3], 1, 12, c.month_, unused);
  if (st.ok()) {
    std::string wd = f[4] == "7" ? "0" : f[4];
    st = ParseCronField(wd, 0, 7, c.wday_, c.wday_any_);
    if (st.ok() && c.wday_[7]) c.wday_[0] = true;
  }
  if (!st.ok()) return st.WithContext("Recurrence").WithErrorCode("ValidationError");
  return c;
}

int64_t CronSchedule::Next(int64_t after_ms, int utc_offset_s) const {
  time_t t = static_cast<time_t>(after_ms / 1000 + utc_offset_s);
  t = t - t % 60 + 60;
  // Bounded: at most about five years of minutes are inspected, hour by hour when the hour fails.
  for (int guard = 0; guard < 5 * 366 * 24 * 60; ++guard) {
    struct tm tm;
    gmtime_r(&t, &tm);
    bool day_ok;
    bool md = mday_[tm.tm_mday], wd = wday_[tm.tm_wday];
    if (mday_any_ || wday_any_) day_ok = md && wd;
    else day_ok = md || wd;  // cron: either day field matches when both are restricted
    if (!month_[tm.tm_mon + 1] || !day_ok) {
      t += 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60);
      continue;
    }
    if (!hour_[tm.tm_hour]) {
      t += 3600 - tm.tm_min * 60;
      continue;
    }
    if (minute_[tm.tm_min]) return (static_cast<int64_t>(t) - utc_offset_s) * 1000;
    t += 60;
  }
  return 0;
}

RefreshStep PlanRefresh(int desired, int min_healthy_percentage, int ready_in_service, int active, int old_remaining) {
  RefreshStep step;
  if (old_remaining <= 0) return step;
  int min_healthy = (desired * min_healthy_percentage + 99) / 100;
  int spare = ready_in_service - min_healthy;
  if (spare > 0) {
    step.terminate_now = std::min(spare, old_remaining);
    return step;
  }
  // Nothing may go yet. If the instances warming up will not make room either, run one more.
  if (active <= min_healthy) step.surge = 1;
  return step;
}

std::vector<GroupMetric> GroupMetrics(const AutoScalingGroup& g) {
  int in_service = 0, pending = 0, terminating = 0;
  for (const auto& i : g.instances) {
    if (i.lifecycle_state == "InService") in_service++;
    else if (i.lifecycle_state.rfind("Pending", 0) == 0) pending++;
    else if (i.lifecycle_state.rfind("Terminating", 0) == 0) terminating++;
  }
  return {{"GroupMinSize", double(g.min_size)},
          {"GroupMaxSize", double(g.max_size)},
          {"GroupDesiredCapacity", double(g.desired_capacity)},
          {"GroupInServiceInstances", double(in_service)},
          {"GroupPendingInstances", double(pending)},
          {"GroupTerminatingInstances", double(terminating)},
          {"GroupTotalInstances", double(in_service + pending + terminating)}};
}

}  // namespace stratus::scaling
