#include "cost/cost_service.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"

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

namespace {
constexpr uint8_t kSnapshotRecord = 1;  // the whole meter: replaces the state
constexpr uint8_t kChargeRecord = 2;    // one Record()'s journal entry

std::string Framed(uint8_t type, const nlohmann::json& j) {
  std::string out;
  MetricLog::Frame(&out, type, j.dump());
  return out;
}
}  // namespace

Status CostService::Load(const std::string& dir) {
  std::lock_guard lock(record_mu_);
  uint64_t dropped = 0;
  size_t replayed = 0;
  Status failed = Status::Ok();
  auto log = MetricLog::Open(
      dir,
      [&](uint8_t type, std::string_view payload) {
        if (!failed.ok()) return;
        auto j = nlohmann::json::parse(payload, nullptr, false);
        if (type == kSnapshotRecord) {
          failed = j.is_discarded() ? InvalidArgument("unreadable cost snapshot") : meter_.Restore(j);
        } else if (type == kChargeRecord) {
          failed = j.is_discarded() ? InvalidArgument("unreadable cost journal entry") : meter_.Apply(j);
        }
        replayed += failed.ok();
      },
      &dropped);
  if (!log.ok()) return log.status();
  if (!failed.ok()) LogError("cost usage: replay stopped", {{"dir", dir}, {"replayed", std::to_string(replayed)}, {"error", failed.ToString()}});
  if (dropped) LogWarn("cost usage: a torn journal tail was skipped", {{"dir", dir}, {"bytes", std::to_string(dropped)}});
  log_ = std::move(log).value();
  STRATUS_RETURN_IF_ERROR(log_->Rotate(Framed(kSnapshotRecord, meter_.Snapshot())));
  meter_.SetJournal([this](const nlohmann::json& entry) { Journal(entry); });
  return Status::Ok();
}

void CostService::Journal(const nlohmann::json& entry) {
  // Under the meter's lock, before the charge is visible: a report never shows unjournaled usage.
  Status st = log_->Append(Framed(kChargeRecord, entry));
  if (!st.ok()) LogError("cost usage: journal write failed", {{"error", st.ToString()}});
}

void CostService::RecordNow() {
  std::lock_guard lock(record_mu_);
  auto start = std::chrono::steady_clock::now();
  meter_.Record(inventory_(), Now());
  last_pass_us_ = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  if (log_ && log_->active_size() > std::max<uint64_t>(options_.compact_min_bytes, 4 * log_->snapshot_size())) {
    Status st = log_->Rotate(Framed(kSnapshotRecord, meter_.Snapshot()));
    if (!st.ok()) LogError("cost usage: snapshot failed", {{"error", st.ToString()}});
  }
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
