// CostMeter: what the cloud costs, metered from what exists each second.
//
// Every Record() charges the time since the previous one to the resources that exist now:
// instance-seconds by type and state (only "running" is billed, as on EC2: pending, stopping and
// stopped instances cost nothing), load-balancer-seconds, and image byte-seconds. Usage is kept in
// one-minute buckets for the last hour and one-hour buckets for a week, keyed by the resource's attributes (kind, type, state, group,
// tags), so that every instance of an Auto Scaling group with the same tags shares one entry and a
// report can be grouped by any of them after the fact. Gaps longer than max_gap_ms (a stopped
// daemon) are charged as max_gap_ms. Durable through a journal (SetJournal, Snapshot, Restore,
// Apply): CostService keeps it on disk so a restart keeps the usage.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "cost/prices.h"

namespace stratus::cost {

using Tags = std::vector<std::pair<std::string, std::string>>;

struct MeteredInstance {
  std::string instance_id;
  std::string type;   // "t3.micro"
  std::string state;  // EC2 state name: "running", "stopped", ...
  std::string group;  // its Auto Scaling group, "" when none
  Tags tags;
};

struct MeteredLoadBalancer {
  std::string name;
  Tags tags;
};

struct MeteredImage {
  std::string name;
  int64_t bytes = 0;  // stored bytes of its layers
  Tags tags;
};

// What exists at one moment.
struct Inventory {
  std::vector<MeteredInstance> instances;
  std::vector<MeteredLoadBalancer> load_balancers;
  std::vector<MeteredImage> images;
};

struct CostQuery {
  // How lines are grouped: "kind" (instance / load-balancer / image), "type", "group", "state",
  // or "tag:KEY".
  std::string by = "kind";
  int64_t since_ms = 0;  // 0: the oldest kept
  int64_t until_ms = 0;  // 0: now
  Tags tag_filter;       // only resources carrying every one of these tags
  std::string group_filter;
};

struct CostLine {
  std::string key;
  double cost = 0;                            // USD
  std::map<std::string, double> instance_seconds;  // by state
  double load_balancer_hours = 0;
  double image_gib_months = 0;
};

struct CostPoint {
  int64_t time_ms = 0;     // bucket start
  int64_t length_ms = 0;   // a minute for the last hour, an hour before
  double cost = 0;         // USD charged in the bucket
  double rate_per_hour = 0;  // cost / the bucket's length in hours
};

struct CostReport {
  int64_t since_ms = 0, until_ms = 0;
  double total = 0;
  double rate_per_hour = 0;  // what what exists now (matching the filter) costs per hour
  std::vector<CostLine> lines;  // most expensive first
  std::vector<CostPoint> series;
};

struct CostMeterOptions {
  int64_t minute_ms = 60'000;         // fine buckets
  int64_t fine_for_ms = 3600'000;      // minute buckets older than this are merged into hours
  int64_t hour_ms = 3600'000;
  int64_t retention_ms = 7 * 24 * 3600'000LL;
  int64_t max_gap_ms = 5'000;  // a longer gap between records is charged as this long
};

// Keys a report can group by; InvalidArgument for another.
Status ValidateGrouping(const std::string& by);

class CostMeter {
 public:
  explicit CostMeter(PriceList prices, CostMeterOptions options = {});

  // Charges [previous record, now_ms) to what `inventory` holds. The first call only sets the start.
  void Record(const Inventory& inventory, int64_t now_ms);

  // Usage and cost in [since, until) grouped as asked. `now_ms` is used when until_ms is 0.
  Result<CostReport> Report(const CostQuery& query, int64_t now_ms) const;

  // The hourly price of one instance of `type`.
  double InstanceHourPrice(const std::string& type) const { return prices_.InstanceHour(type); }
  const PriceList& prices() const { return prices_; }

  // Durability. Every Record() first hands `journal` one entry (JSON: the attribute sets it added and
  // the usage and cost it charges), under the meter's lock and before reports can see the charge, so
  // whatever a report showed was journaled first. Costs are journaled, not recomputed, so a replay
  // keeps the prices of the time.
  void SetJournal(std::function<void(const nlohmann::json& entry)> journal);
  // The whole state (attribute sets, buckets, last record), for a snapshot of the journal.
  nlohmann::json Snapshot() const;
  // Replaces the state by a Snapshot(); InvalidArgument when it is malformed (then the state is empty).
  Status Restore(const nlohmann::json& snapshot);
  // Replays one journal entry on the state; InvalidArgument when it is malformed or does not follow.
  Status Apply(const nlohmann::json& entry);

 private:
  enum class Kind { kInstance, kLoadBalancer, kImage };
  struct Attrs {
    Kind kind;
    std::string type, state, group;  // type: instance type, load balancer or image name
    Tags tags;  // sorted
  };
  struct Usage {
    double seconds = 0;       // instance / load balancer seconds
    double gib_seconds = 0;   // images
    double cost = 0;
  };

  // One Record's effect, as journaled.
  struct Charge {
    int64_t now_ms = 0;
    int64_t bucket_ms = 0;  // the minute bucket charged
    double seconds = 0;     // 0: nothing charged (first record, or the clock did not move)
    size_t first_new_attrs = 0;  // attrs_ from here on were added by this record
    struct Item {
      int id;
      double gib;
      double cost;
    };
    std::vector<Item> items;  // everything that exists now
  };
  void ApplyLocked(const Charge& c);  // requires mu_
  nlohmann::json ChargeJson(const Charge& c) const;  // requires mu_
  int Intern(Attrs attrs);  // requires mu_
  void InternJson(const nlohmann::json& sets);  // requires mu_
  void ClearLocked();  // requires mu_
  void Compact(int64_t now_ms);  // requires mu_
  static bool Matches(const Attrs& a, const CostQuery& q);
  static std::string KeyOf(const Attrs& a, const std::string& by);
  double RateOf(const Attrs& a, double gib) const;

  const PriceList prices_;
  const CostMeterOptions options_;

  mutable std::mutex mu_;
  int64_t last_ms_ = 0;                                     // GUARDED_BY(mu_)
  std::vector<Attrs> attrs_;                                // GUARDED_BY(mu_): interned attribute sets
  std::map<std::string, int> attrs_index_;                  // GUARDED_BY(mu_)
  using Buckets = std::map<int64_t, std::map<int, Usage>>;  // bucket start -> attrs -> usage
  Buckets minutes_;                                         // GUARDED_BY(mu_)
  Buckets hours_;                                           // GUARDED_BY(mu_)
  std::vector<std::pair<int, double>> current_;             // GUARDED_BY(mu_): (attrs, GiB) of the last record
  std::function<void(const nlohmann::json&)> journal_;      // GUARDED_BY(mu_)
};

// The report as the REST API returns it.
nlohmann::json ToJson(const CostReport& report);

}  // namespace stratus::cost
