// HostNetwork's pool: namespaces connected to their subnet ahead of demand, so that Attach is a
// rename (a bind mount and a lease file rewrite, ~1 ms) instead of a CNI ADD (tens of ms).
//
// An entry is an ordinary attachment whose container id and namespace name are "pool-<hex>"
// (<name>-pool-<hex>): ListAttached ignores it, its lease is in host-local's store under that id,
// its veth is bound in the anti-spoofing sets. Claiming it names the namespace after the instance,
// hands the lease to the instance id, and unmounts the pool name.
#include <fcntl.h>

#include <algorithm>

#include "common/fd.h"
#include "common/ids.h"
#include "common/log.h"
#include "net/host_network.h"
#include "net/netns.h"

namespace stratus::net {
namespace {

constexpr const char* kPoolPrefix = "pool-";
constexpr auto kRetryAfterFailure = std::chrono::seconds(1);
// A pooled CNI ADD takes tens of milliseconds; past this a PoolPause goes ahead without waiting.
constexpr auto kFillWait = std::chrono::seconds(10);

}  // namespace

void HostNetwork::StartPool() {
  if (config_.pool_size <= 0) return;
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (pool_thread_.joinable()) return;
  pool_stopping_ = false;
  pool_thread_ = std::thread([this] { PoolLoop(); });
}

void HostNetwork::StopPool() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_stopping_ = true;
  }
  pool_cv_.notify_all();
  if (pool_thread_.joinable()) pool_thread_.join();
  std::map<std::string, std::deque<PoolEntry>> entries;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    entries.swap(pool_);
  }
  for (const auto& [subnet, queue] : entries) {
    for (const PoolEntry& e : queue) DestroyPoolEntry(e);
  }
}

void HostNetwork::PoolLoop() {
  std::unique_lock<std::mutex> lock(pool_mu_);
  while (!pool_stopping_) {
    // Fill the emptiest subnet first, so a burst on one subnet does not starve the others.
    const Subnet* need = nullptr;
    size_t least = static_cast<size_t>(config_.pool_size);
    for (const Subnet& s : subnets_) {
      size_t have = pool_[s.spec.subnet_id].size();
      if (have < least) {
        least = have;
        need = &s;
      }
    }
    if (need == nullptr || pool_pauses_ > 0) {
      pool_cv_.wait(lock);
      continue;
    }
    pool_filling_ = true;
    lock.unlock();
    Result<PoolEntry> e = MakePoolEntry(*need);
    lock.lock();
    pool_filling_ = false;
    pool_cv_.notify_all();
    if (!e.ok()) {
      LogWarn("cannot prepare a pooled namespace",
              {{"subnet", need->spec.subnet_id}, {"error", e.status().ToString()}});
      pool_cv_.wait_for(lock, kRetryAfterFailure, [this] { return pool_stopping_; });
      continue;
    }
    pool_[need->spec.subnet_id].push_back(std::move(*e));
  }
}

HostNetwork::PoolPause::PoolPause(HostNetwork* hn) : hn_(hn) {
  std::unique_lock<std::mutex> lock(hn_->pool_mu_);
  hn_->pool_pauses_++;
  hn_->pool_cv_.wait_for(lock, kFillWait, [this] { return !hn_->pool_filling_; });
}

HostNetwork::PoolPause::~PoolPause() {
  {
    std::lock_guard<std::mutex> lock(hn_->pool_mu_);
    hn_->pool_pauses_--;
  }
  hn_->pool_cv_.notify_all();
}

bool HostNetwork::EvictPooledAddress(const std::string& ip) {
  std::optional<PoolEntry> evicted;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    for (auto& [subnet, queue] : pool_) {
      auto it = std::find_if(queue.begin(), queue.end(), [&](const PoolEntry& e) { return e.attachment.ip == ip; });
      if (it == queue.end()) continue;
      evicted = std::move(*it);
      queue.erase(it);
      break;
    }
  }
  if (!evicted) return false;
  LogInfo("pooled namespace gives up a requested address", {{"ip", ip}, {"pool_id", evicted->pool_id}});
  DestroyPoolEntry(*evicted);
  return true;
}

Result<HostNetwork::PoolEntry> HostNetwork::MakePoolEntry(const Subnet& subnet) {
  PoolEntry e;
  e.pool_id = kPoolPrefix + RandomHex(12);
  const std::string ns = NetnsName(e.pool_id);
  STRATUS_RETURN_IF_ERROR(CreateNetns(ns));
  NetnsGuard guard(ns);
  Result<Attachment> a = AddToNamespace(e.pool_id, ns, subnet, "");
  if (!a.ok()) {
    Status rel = ReleaseHostLocalLeases(IpamDir(subnet), config_.name, e.pool_id, "eth0");
    if (!rel.ok()) LogWarn("release pooled address", {{"error", rel.ToString()}});
    return a.status();
  }
  guard.Release();
  e.attachment = std::move(*a);
  e.attachment.instance_id.clear();
  e.attachment.netns_path.clear();
  return e;
}

void HostNetwork::DestroyPoolEntry(const PoolEntry& e) {
  UnbindLater(e.attachment.host_veth, e.attachment.ip);
  Status nb = WithdrawAddress(e.attachment.ip);
  if (!nb.ok()) LogWarn("remove neighbour entry", {{"ip", e.attachment.ip}, {"error", nb.ToString()}});
  Status rel = ReleaseLeases(e.pool_id, e.attachment.ip);
  Status del = DeleteNetns(NetnsName(e.pool_id));
  if (!rel.ok() || !del.ok())
    LogWarn("cannot remove pooled namespace",
            {{"pool_id", e.pool_id}, {"error", rel.ok() ? del.ToString() : rel.ToString()}});
}

Status HostNetwork::ClaimPoolEntry(const PoolEntry& e, const std::string& instance_id) {
  const std::string pool_path = NetnsPath(NetnsName(e.pool_id));
  UniqueFd fd(open(pool_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return NotFound("pooled namespace " + pool_path + " is gone");
  // Published when the entry was made; again now, whatever the host learnt while it waited.
  STRATUS_RETURN_IF_ERROR(PublishAddress(pool_path, "eth0", e.attachment.ip, true, e.attachment.mac).status());
  STRATUS_RETURN_IF_ERROR(NameNetns(fd.get(), NetnsName(instance_id)));
  const Subnet* subnet = SubnetOf(e.attachment.ip);
  if (subnet == nullptr) return Internal("pooled address " + e.attachment.ip + " is in no subnet");
  Status st = ReassignHostLocalLease(IpamDir(*subnet), config_.name, e.attachment.ip, e.pool_id, instance_id,
                                     "eth0");
  if (!st.ok()) {
    Status undo = DeleteNetns(NetnsName(instance_id));
    if (!undo.ok()) LogWarn("undo pooled namespace claim", {{"error", undo.ToString()}});
    return st;
  }
  // The namespace lives on under the instance's name.
  return DeleteNetns(NetnsName(e.pool_id));
}

std::optional<Attachment> HostNetwork::TakeFromPool(const std::string& instance_id,
                                                    const std::string& subnet_id) {
  PoolEntry e;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    auto it = pool_.find(subnet_id);
    if (it == pool_.end() || it->second.empty()) return std::nullopt;
    e = std::move(it->second.front());
    it->second.pop_front();
  }
  pool_cv_.notify_all();  // refill
  Status st = ClaimPoolEntry(e, instance_id);
  if (!st.ok()) {
    LogWarn("pooled namespace unusable, attaching without it",
            {{"instance", instance_id}, {"error", st.ToString()}});
    DestroyPoolEntry(e);
    return std::nullopt;
  }
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_hits_++;
  }
  Attachment a = e.attachment;
  a.instance_id = instance_id;
  a.netns_path = NetnsPath(NetnsName(instance_id));
  return a;
}

void HostNetwork::RemovePoolNamespaces() {
  Result<std::vector<std::string>> names = ListNetns(config_.name + "-" + kPoolPrefix);
  if (!names.ok()) return;
  for (const std::string& n : *names) {
    std::string pool_id = n.substr(config_.name.size() + 1);
    Status rel = ReleaseLeases(pool_id);
    Status del = DeleteNetns(n);
    if (!rel.ok() || !del.ok())
      LogWarn("cannot remove stale pooled namespace",
              {{"netns", n}, {"error", rel.ok() ? del.ToString() : rel.ToString()}});
  }
}

bool HostNetwork::WaitForPoolForTest(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(pool_mu_);
  return pool_cv_.wait_for(lock, timeout, [this] {
    for (const Subnet& s : subnets_) {
      auto it = pool_.find(s.spec.subnet_id);
      if (it == pool_.end() || it->second.size() < static_cast<size_t>(config_.pool_size)) return false;
    }
    return true;
  });
}

size_t HostNetwork::PoolHitsForTest() {
  std::lock_guard<std::mutex> lock(pool_mu_);
  return pool_hits_;
}

}  // namespace stratus::net
