// CostService: the cost meter of stratusd. A thread takes an inventory of what exists every second
// and records it in a CostMeter; reports and prices are read from any thread (the REST API, the
// Auto Scaling budget check). The inventory is a function so tests feed their own.
//
// With a directory (Load), usage survives restarts and crashes: every record is appended to a
// journal and fdatasync'ed before a report can include it (the metric store's append-only files,
// MetricLog), and the journal is replaced by a snapshot of the meter once it outgrows four times
// the last snapshot (and compact_min_bytes), so the files stay within a small multiple of
// what the meter keeps in memory (a week of hourly buckets).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "cost/cost_meter.h"
#include "metrics/metric_log.h"

namespace stratus::cost {

struct CostServiceOptions {
  int interval_ms = 1000;
  std::function<int64_t()> clock;  // ms since the epoch; default: the system clock
  CostMeterOptions meter;
  uint64_t compact_min_bytes = 1 << 20;  // the journal is never compacted below this size
};

class CostService {
 public:
  CostService(PriceList prices, std::function<Inventory()> inventory, CostServiceOptions options = {});
  ~CostService();

  // Replays the usage kept in `dir` (created when missing) and journals every record there from now
  // on. Call before Start(). A torn tail (a crash mid-write) is skipped; an entry that cannot be
  // replayed is logged and ends the replay there.
  Status Load(const std::string& dir);
  CostService(const CostService&) = delete;
  CostService& operator=(const CostService&) = delete;

  // Starts the metering thread; the destructor joins it.
  void Start();
  // Takes one inventory and records it now (the thread does this every interval; tests call it).
  void RecordNow();

  Result<CostReport> Report(const CostQuery& query) const { return meter_.Report(query, Now()); }
  double InstanceHourPrice(const std::string& type) const { return meter_.InstanceHourPrice(type); }
  const PriceList& prices() const { return meter_.prices(); }
  // Duration of the last inventory + record pass, in microseconds (the meter's overhead, for the benchmark).
  int64_t last_pass_us() const { return last_pass_us_.load(); }

 private:
  int64_t Now() const;
  void Loop();
  void Journal(const nlohmann::json& entry);  // the meter's journal callback

  CostMeter meter_;
  std::function<Inventory()> inventory_;
  CostServiceOptions options_;
  std::atomic<int64_t> last_pass_us_{0};
  std::mutex record_mu_;               // one record (and its journal write and compaction) at a time
  std::unique_ptr<MetricLog> log_;     // GUARDED_BY(record_mu_); null: memory only
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace stratus::cost
