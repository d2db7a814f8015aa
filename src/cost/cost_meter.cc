#include "cost/cost_meter.h"

#include <algorithm>

#include "metrics/metric.h"  // FormatIso8601

namespace stratus::cost {

namespace {

const char* KindName(int kind) {
  static const char* names[] = {"instance", "load-balancer", "image"};
  return names[kind];
}

Tags Sorted(Tags tags) {
  std::sort(tags.begin(), tags.end());
  return tags;
}

const std::string* FindTag(const Tags& tags, const std::string& key) {
  for (const auto& [k, v] : tags) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace

Status ValidateGrouping(const std::string& by) {
  if (by == "kind" || by == "type" || by == "group" || by == "state") return Status::Ok();
  if (by.rfind("tag:", 0) == 0 && by.size() > 4) return Status::Ok();
  return InvalidArgument("cannot group cost by \"" + by + "\": use kind, type, group, state or tag:KEY");
}

CostMeter::CostMeter(PriceList prices, CostMeterOptions options) : prices_(std::move(prices)), options_(options) {}

int CostMeter::Intern(Attrs attrs) {
  attrs.tags = Sorted(std::move(attrs.tags));
  // A unit separator cannot appear in names the APIs accept, so the joined key is unambiguous enough
  // for interning (a collision would only merge two lines of a report).
  std::string key = std::to_string(static_cast<int>(attrs.kind)) + '\x1f' + attrs.type + '\x1f' + attrs.state + '\x1f' + attrs.group;
  for (const auto& [k, v] : attrs.tags) key += '\x1f' + k + '\x1e' + v;
  auto [it, added] = attrs_index_.emplace(std::move(key), static_cast<int>(attrs_.size()));
  if (added) attrs_.push_back(std::move(attrs));
  return it->second;
}

double CostMeter::RateOf(const Attrs& a, double gib) const {
  switch (a.kind) {
    case Kind::kInstance:
      return a.state == "running" ? prices_.InstanceHour(a.type) : 0;  // EC2 bills running instances only
    case Kind::kLoadBalancer:
      return prices_.load_balancer_hour;
    case Kind::kImage:
      return gib * prices_.image_gib_month / kHoursPerMonth;
  }
  return 0;
}

void CostMeter::Record(const Inventory& inventory, int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::vector<std::pair<int, double>> current;
  current.reserve(inventory.instances.size() + inventory.load_balancers.size() + inventory.images.size());
  for (const auto& i : inventory.instances) {
    current.emplace_back(Intern({Kind::kInstance, i.type, i.state, i.group, i.tags}), 0);
  }
  for (const auto& lb : inventory.load_balancers) {
    current.emplace_back(Intern({Kind::kLoadBalancer, lb.name, "active", "", lb.tags}), 0);
  }
  for (const auto& im : inventory.images) {
    current.emplace_back(Intern({Kind::kImage, im.name, "available", "", im.tags}), im.bytes / kBytesPerGiB);
  }
  if (last_ms_ && now_ms > last_ms_) {
    double seconds = std::min(now_ms - last_ms_, options_.max_gap_ms) / 1000.0;
    auto& bucket = minutes_[last_ms_ - last_ms_ % options_.minute_ms];  // the bucket the interval began in
    for (const auto& [id, gib] : current) {
      Usage& u = bucket[id];
      const Attrs& a = attrs_[id];
      if (a.kind == Kind::kImage) {
        u.gib_seconds += gib * seconds;
      } else {
        u.seconds += seconds;
      }
      u.cost += RateOf(a, gib) * seconds / 3600;
    }
  }
  if (!last_ms_ || now_ms > last_ms_) last_ms_ = now_ms;
  current_ = std::move(current);
  Compact(now_ms);
}

void CostMeter::Compact(int64_t now_ms) {
  while (!minutes_.empty() && minutes_.begin()->first < now_ms - options_.fine_for_ms) {
    auto node = minutes_.extract(minutes_.begin());
    auto& hour = hours_[node.key() - node.key() % options_.hour_ms];
    for (const auto& [id, u] : node.mapped()) {
      Usage& h = hour[id];
      h.seconds += u.seconds;
      h.gib_seconds += u.gib_seconds;
      h.cost += u.cost;
    }
  }
  while (!hours_.empty() && hours_.begin()->first < now_ms - options_.retention_ms) hours_.erase(hours_.begin());
}

bool CostMeter::Matches(const Attrs& a, const CostQuery& q) {
  if (!q.group_filter.empty() && a.group != q.group_filter) return false;
  for (const auto& [k, v] : q.tag_filter) {
    const std::string* have = FindTag(a.tags, k);
    if (!have || *have != v) return false;
  }
  return true;
}

std::string CostMeter::KeyOf(const Attrs& a, const std::string& by) {
  if (by == "kind") return KindName(static_cast<int>(a.kind));
  if (by == "type") return a.kind == Kind::kInstance ? a.type : KindName(static_cast<int>(a.kind));
  if (by == "state") return a.state;
  if (by == "group") return a.group.empty() ? "(no group)" : a.group;
  const std::string* v = FindTag(a.tags, by.substr(4));  // tag:KEY
  return v ? *v : "(untagged)";
}

Result<CostReport> CostMeter::Report(const CostQuery& q, int64_t now_ms) const {
  STRATUS_RETURN_IF_ERROR(ValidateGrouping(q.by));
  CostReport r;
  r.until_ms = q.until_ms ? q.until_ms : now_ms;
  std::lock_guard lock(mu_);
  r.since_ms = q.since_ms;
  if (!r.since_ms) {
    r.since_ms = !hours_.empty() ? hours_.begin()->first : !minutes_.empty() ? minutes_.begin()->first : r.until_ms;
  }
  std::vector<int8_t> match(attrs_.size());
  for (size_t i = 0; i < attrs_.size(); ++i) match[i] = Matches(attrs_[i], q);
  std::map<std::string, CostLine> lines;
  auto add = [&](const Buckets& buckets, int64_t length) {
    // A bucket counts when its start is in [since rounded down to the bucket, until).
    for (auto it = buckets.lower_bound(r.since_ms - r.since_ms % length); it != buckets.end() && it->first < r.until_ms; ++it) {
      CostPoint p{it->first, length, 0, 0};
      for (const auto& [id, u] : it->second) {
        if (!match[id]) continue;
        const Attrs& a = attrs_[id];
        CostLine& line = lines[KeyOf(a, q.by)];
        line.cost += u.cost;
        if (a.kind == Kind::kInstance) line.instance_seconds[a.state] += u.seconds;
        if (a.kind == Kind::kLoadBalancer) line.load_balancer_hours += u.seconds / 3600;
        if (a.kind == Kind::kImage) line.image_gib_months += u.gib_seconds / 3600 / kHoursPerMonth;
        p.cost += u.cost;
      }
      p.rate_per_hour = p.cost / (length / 3600'000.0);
      r.total += p.cost;
      r.series.push_back(p);
    }
  };
  add(hours_, options_.hour_ms);
  add(minutes_, options_.minute_ms);
  for (const auto& [id, gib] : current_) {
    if (match[id]) r.rate_per_hour += RateOf(attrs_[id], gib);
  }
  for (auto& [key, line] : lines) {
    line.key = key;
    r.lines.push_back(std::move(line));
  }
  std::stable_sort(r.lines.begin(), r.lines.end(), [](const CostLine& a, const CostLine& b) { return a.cost > b.cost; });
  return r;
}

nlohmann::json ToJson(const CostReport& r) {
  auto iso = FormatIso8601;
  nlohmann::json j = {{"Since", iso(r.since_ms)}, {"Until", iso(r.until_ms)}, {"Currency", "USD"},
                      {"Total", r.total}, {"RatePerHour", r.rate_per_hour}};
  j["Lines"] = nlohmann::json::array();
  for (const auto& l : r.lines) {
    nlohmann::json line = {{"Key", l.key}, {"Cost", l.cost}};
    if (!l.instance_seconds.empty()) line["InstanceSeconds"] = l.instance_seconds;
    if (l.load_balancer_hours) line["LoadBalancerHours"] = l.load_balancer_hours;
    if (l.image_gib_months) line["ImageGiBMonths"] = l.image_gib_months;
    j["Lines"].push_back(std::move(line));
  }
  j["Series"] = nlohmann::json::array();
  for (const auto& p : r.series) {
    j["Series"].push_back({{"Timestamp", iso(p.time_ms)}, {"Seconds", p.length_ms / 1000}, {"Cost", p.cost},
                           {"RatePerHour", p.rate_per_hour}});
  }
  return j;
}

}  // namespace stratus::cost
