// CostService: the cost meter of stratusd. A thread takes an inventory of what exists every second
// and records it in a CostMeter; reports and prices are read from any thread (the REST API, the
// Auto Scaling budget check). The inventory is a function so tests feed their own.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "cost/cost_meter.h"

namespace stratus::cost {

struct CostServiceOptions {
  int interval_ms = 1000;
  std::function<int64_t()> clock;  // ms since the epoch; default: the system clock
  CostMeterOptions meter;
};

class CostService {
 public:
  CostService(PriceList prices, std::function<Inventory()> inventory, CostServiceOptions options = {});
  ~CostService();
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

  CostMeter meter_;
  std::function<Inventory()> inventory_;
  CostServiceOptions options_;
  std::atomic<int64_t> last_pass_us_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace stratus::cost
