#include "cost/cost_meter.h"

#include <algorithm>
#include <stdexcept>

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
  Charge c;
  c.now_ms = now_ms;
  c.first_new_attrs = attrs_.size();
  c.items.reserve(inventory.instances.size() + inventory.load_balancers.size() + inventory.images.size());
  for (const auto& i : inventory.instances) {
    c.items.push_back({Intern({Kind::kInstance, i.type, i.state, i.group, i.tags}), 0, 0});
  }
  for (const auto& lb : inventory.load_balancers) {
    c.items.push_back({Intern({Kind::kLoadBalancer, lb.name, "active", "", lb.tags}), 0, 0});
  }
  for (const auto& im : inventory.images) {
    c.items.push_back({Intern({Kind::kImage, im.name, "available", "", im.tags}), im.bytes / kBytesPerGiB, 0});
  }
  if (last_ms_ && now_ms > last_ms_) {
    c.seconds = std::min(now_ms - last_ms_, options_.max_gap_ms) / 1000.0;
    c.bucket_ms = last_ms_ - last_ms_ % options_.minute_ms;  // the bucket the interval began in
    for (auto& item : c.items) item.cost = RateOf(attrs_[item.id], item.gib) * c.seconds / 3600;
  }
  if (journal_) journal_(ChargeJson(c));
  ApplyLocked(c);
}

void CostMeter::ApplyLocked(const Charge& c) {
  std::vector<std::pair<int, double>> current;
  current.reserve(c.items.size());
  if (c.seconds > 0) {
    auto& bucket = minutes_[c.bucket_ms];
    for (const auto& item : c.items) {
      Usage& u = bucket[item.id];
      if (attrs_[item.id].kind == Kind::kImage) {
        u.gib_seconds += item.gib * c.seconds;
      } else {
        u.seconds += c.seconds;
      }
      u.cost += item.cost;
    }
  }
  for (const auto& item : c.items) current.emplace_back(item.id, item.gib);
  if (!last_ms_ || c.now_ms > last_ms_) last_ms_ = c.now_ms;
  current_ = std::move(current);
  Compact(c.now_ms);
}

// Journal entry: {"t": now, "b": bucket, "s": seconds, "n": first new id, "a": [new attribute sets],
// "u": [[id, GiB, cost], ...]}. An attribute set: [kind, type, state, group, [[key, value], ...]].
namespace {

nlohmann::json AttrsJson(int kind, const std::string& type, const std::string& state, const std::string& group,
                         const Tags& tags) {
  return nlohmann::json::array({kind, type, state, group, tags});
}

}  // namespace

// Interns the journaled attribute sets in order; throws when one is malformed or a duplicate (its id
// would not be the next one).
void CostMeter::InternJson(const nlohmann::json& sets) {
  for (const auto& a : sets) {
    int kind = a.at(0);
    if (kind < 0 || kind > static_cast<int>(Kind::kImage)) throw std::out_of_range("resource kind");
    size_t id = attrs_.size();
    if (static_cast<size_t>(Intern({static_cast<Kind>(kind), a.at(1), a.at(2), a.at(3), a.at(4).get<Tags>()})) != id) {
      throw std::invalid_argument("duplicate attribute set");
    }
  }
}

nlohmann::json CostMeter::ChargeJson(const Charge& c) const {
  nlohmann::json added = nlohmann::json::array();
  for (size_t i = c.first_new_attrs; i < attrs_.size(); ++i) {
    const Attrs& a = attrs_[i];
    added.push_back(AttrsJson(static_cast<int>(a.kind), a.type, a.state, a.group, a.tags));
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& item : c.items) items.push_back({item.id, item.gib, item.cost});
  return {{"t", c.now_ms}, {"b", c.bucket_ms}, {"s", c.seconds}, {"n", c.first_new_attrs}, {"a", added}, {"u", items}};
}

void CostMeter::SetJournal(std::function<void(const nlohmann::json& entry)> journal) {
  std::lock_guard lock(mu_);
  journal_ = std::move(journal);
}

nlohmann::json CostMeter::Snapshot() const {
  std::lock_guard lock(mu_);
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& a : attrs_) attrs.push_back(AttrsJson(static_cast<int>(a.kind), a.type, a.state, a.group, a.tags));
  auto buckets = [](const Buckets& b) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [start, usage] : b) {
      nlohmann::json u = nlohmann::json::array();
      for (const auto& [id, x] : usage) u.push_back({id, x.seconds, x.gib_seconds, x.cost});
      out.push_back({start, u});
    }
    return out;
  };
  return {{"last", last_ms_}, {"attrs", attrs}, {"minutes", buckets(minutes_)}, {"hours", buckets(hours_)},
          {"current", current_}};
}

void CostMeter::ClearLocked() {
  attrs_.clear();
  attrs_index_.clear();
  minutes_.clear();
  hours_.clear();
  current_.clear();
  last_ms_ = 0;
}

Status CostMeter::Restore(const nlohmann::json& j) {
  std::lock_guard lock(mu_);
  ClearLocked();
  try {
    InternJson(j.at("attrs"));
    auto buckets = [&](const nlohmann::json& in, Buckets* out) {
      for (const auto& b : in) {
        auto& bucket = (*out)[b.at(0).get<int64_t>()];
        for (const auto& u : b.at(1)) {
          int id = u.at(0);
          if (id < 0 || static_cast<size_t>(id) >= attrs_.size()) throw std::out_of_range("attribute set id");
          bucket[id] = {u.at(1).get<double>(), u.at(2).get<double>(), u.at(3).get<double>()};
        }
      }
    };
    buckets(j.at("minutes"), &minutes_);
    buckets(j.at("hours"), &hours_);
    for (const auto& c : j.at("current")) {
      int id = c.at(0);
      if (id < 0 || static_cast<size_t>(id) >= attrs_.size()) throw std::out_of_range("attribute set id");
      current_.emplace_back(id, c.at(1).get<double>());
    }
    last_ms_ = j.at("last");
  } catch (const std::exception& e) {
    ClearLocked();
    return InvalidArgument(std::string("malformed cost snapshot: ") + e.what());
  }
  return Status::Ok();
}

Status CostMeter::Apply(const nlohmann::json& j) {
  std::lock_guard lock(mu_);
  try {
    Charge c;
    c.now_ms = j.at("t");
    c.bucket_ms = j.at("b");
    c.seconds = j.at("s");
    c.first_new_attrs = j.at("n");
    if (c.first_new_attrs != attrs_.size()) return InvalidArgument("cost journal entry does not follow the state");
    // Validate before changing anything.
    const auto& added = j.at("a");
    size_t known = attrs_.size() + added.size();
    for (const auto& u : j.at("u")) {
      int id = u.at(0);
      if (id < 0 || static_cast<size_t>(id) >= known) return InvalidArgument("cost journal entry names an unknown attribute set");
      c.items.push_back({id, u.at(1).get<double>(), u.at(2).get<double>()});
    }
    InternJson(added);
    ApplyLocked(c);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed cost journal entry: ") + e.what());
  }
  return Status::Ok();
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
