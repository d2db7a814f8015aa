#include "cost/cost_service.h"

#include <chrono>

namespace stratus::cost {

CostService::CostService(PriceList prices, std::function<Inventory()> inventory, CostServiceOptions options)
    : meter_(std::move(prices), options.meter), inventory_(std::move(inventory)), options_(std::move(options)) {}

CostService::~CostService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t CostService::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void CostService::Start() {
  RecordNow();  // the meter starts from now
  thread_ = std::thread([this] { Loop(); });
}

void CostService::RecordNow() {
  auto start = std::chrono::steady_clock::now();
  meter_.Record(inventory_(), Now());
  last_pass_us_ = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
}

void CostService::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    RecordNow();
    lock.lock();
  }
}

}  // namespace stratus::cost
