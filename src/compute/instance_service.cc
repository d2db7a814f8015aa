#include "compute/instance_service.h"

#include <algorithm>

#include "common/ids.h"
#include "common/log.h"
#include "common/time_format.h"

namespace stratus {

namespace {

constexpr char kPrefix[] = "instances/";

Status InstanceNotFound(const std::string& id) {
  return NotFound("instance " + id + " does not exist").WithErrorCode("InvalidInstanceID.NotFound");
}

Status IncorrectState(const Instance& i, const std::string& verb) {
  return FailedPrecondition("instance " + i.instance_id + " is " + StateName(i.state) + "; it cannot be " + verb)
      .WithErrorCode("IncorrectInstanceState");
}

bool IsoOlderThan(const std::string& iso, std::chrono::seconds age) {
  tm t{};
  if (iso.size() < 19 || !strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &t)) return false;
  time_t when = timegm(&t);
  return time(nullptr) - when > age.count();
}

bool MatchesFilter(const Instance& i, const InstanceFilter& f) {
  auto any = [&](const std::string& v) { return std::find(f.values.begin(), f.values.end(), v) != f.values.end(); };
  if (f.name == "instance-id") return any(i.instance_id);
  if (f.name == "instance-state-name" || f.name == "state") return any(StateName(i.state));
  if (f.name == "instance-state-code") return any(std::to_string(static_cast<int>(i.state)));
  if (f.name == "image-id") return any(i.image_id);
  if (f.name == "instance-type") return any(i.instance_type);
  if (f.name == "private-ip-address") return any(i.private_ip);
  if (f.name == "private-dns-name") return any(i.PrivateDnsName());
  if (f.name == "subnet-id") return any(i.subnet_id);
  if (f.name == "vpc-id") return any(i.vpc_id);
  if (f.name == "instance.group-id" || f.name == "group-id") {
    return std::any_of(i.security_group_ids.begin(), i.security_group_ids.end(), any);
  }
  if (f.name == "tag-key") {
    for (const auto& t : i.tags) {
      if (any(t.key)) return true;
    }
    return false;
  }
  if (f.name.rfind("tag:", 0) == 0) {
    const std::string* v = i.FindTag(f.name.substr(4));
    return v && any(*v);
  }
  return false;
}

Status ValidateFilter(const InstanceFilter& f) {
  static const char* kKnown[] = {"instance-id", "instance-state-name", "state", "instance-state-code", "image-id",
                                 "instance-type", "private-ip-address", "private-dns-name", "subnet-id", "vpc-id",
                                 "instance.group-id", "group-id", "tag-key"};
  if (f.name.rfind("tag:", 0) == 0 && f.name.size() > 4) return Status::Ok();
  for (const char* k : kKnown) {
    if (f.name == k) return Status::Ok();
  }
  return InvalidArgument("unknown filter " + f.name +
                         "; supported: instance-id, instance-state-name, instance-state-code, image-id, "
                         "instance-type, private-ip-address, private-dns-name, subnet-id, vpc-id, instance.group-id, tag-key, "
                         "tag:KEY")
      .WithErrorCode("InvalidParameterValue");
}

}  // namespace

struct InstanceService::Slot {
  Instance record;  // GUARDED_BY(InstanceService::mu_)
  std::mutex op;    // held by the background operation in progress on this instance
};

InstanceService::InstanceService(Store* store, ImageStore* images, InstanceHost* host, InstanceServiceOptions options)
    : store_(store), images_(images), host_(host), options_(std::move(options)),
      work_(std::make_unique<WorkQueue>(options_.workers)) {}

InstanceService::~InstanceService() { work_.reset(); }

Status InstanceService::Persist(const Instance& instance) {
  auto rev = store_->Put(kPrefix + instance.instance_id, ToStoreJson(instance).dump());
  return rev.ok() ? Status::Ok() : rev.status();
}

void InstanceService::AddListener(Listener listener) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(listener));
}

void InstanceService::Publish(const Instance& instance) {
  std::vector<Listener> listeners;
  {
    std::lock_guard lock(mu_);
    listeners = listeners_;
  }
  for (const auto& l : listeners) l(instance);
}

Instance InstanceService::Snapshot(const Slot& slot) const {
  std::lock_guard lock(mu_);
  return slot.record;
}

void InstanceService::Update(Slot& slot, const std::function<void(Instance&)>& change) {
  Instance updated;
  {
    std::lock_guard lock(mu_);
    updated = slot.record;
    change(updated);
    updated.state_time = NowIso8601();
    Status st = Persist(updated);
    if (!st.ok()) {
      // The host already changed; keep memory truthful and retry persisting on the next change.
      LogError("cannot persist instance", {{"instance", updated.instance_id}, {"error", st.ToString()}});
    }
    slot.record = updated;
  }
  changed_.notify_all();
  LogInfo("instance state", {{"instance", updated.instance_id}, {"state", StateName(updated.state)},
                             {"reason", updated.state_reason}});
  Publish(updated);
}

std::string InstanceService::PickSubnet() {
  if (options_.subnet_ids.empty()) return "";
  return options_.subnet_ids[next_subnet_++ % options_.subnet_ids.size()];
}

Result<std::vector<Instance>> InstanceService::Run(const RunRequest& request) {
  RunRequest req = request;
  if (!req.launch_template.empty()) {
    if (!options_.apply_launch_template) {
      return InvalidArgument("launch templates are not available in this stratusd").WithErrorCode("InvalidParameterValue");
    }
    STRATUS_RETURN_IF_ERROR(options_.apply_launch_template(req));
  }
  if (req.image.empty()) {
    return InvalidArgument("The request must contain the parameter ImageId").WithErrorCode("MissingParameter");
  }
  if (req.instance_type.empty()) req.instance_type = kDefaultInstanceType;
  if (req.count < 1) return InvalidArgument("count must be at least 1").WithErrorCode("InvalidParameterValue");
  if (req.count > options_.max_count) {
    return ResourceExhausted("count " + std::to_string(req.count) + " is above this host's limit of " +
                             std::to_string(options_.max_count) + " instances per launch")
        .WithErrorCode("InstanceLimitExceeded");
  }
  if (req.user_data.size() > options_.max_user_data) {
    return InvalidArgument("user data is " + std::to_string(req.user_data.size()) + " bytes; the limit is " +
                           std::to_string(options_.max_user_data) + " bytes (16 KiB)")
        .WithErrorCode("InvalidParameterValue");
  }
  auto image = images_->Find(req.image);
  if (!image.ok()) return image.status().WithErrorCode("InvalidAMIID.NotFound");
  if (image->state != "available") {
    return FailedPrecondition("image " + image->image_id + " is " + image->state).WithErrorCode("InvalidAMIID.Unavailable");
  }
  if (options_.validate_type) {
    Status st = options_.validate_type(req.instance_type);
    if (!st.ok()) return st.WithErrorCode("InvalidParameterValue");
  }
  std::map<std::string, std::string> sysctls;
  for (const auto& [k, v] : image->config.sysctls) sysctls[k] = v;
  for (const auto& [k, v] : req.sysctls) sysctls[k] = v;
  if (options_.validate_sysctls) {
    Status st = options_.validate_sysctls(sysctls);
    if (!st.ok()) return st.WithErrorCode("InvalidParameterValue");
  }
  if (!req.subnet_id.empty() &&
      std::find(options_.subnet_ids.begin(), options_.subnet_ids.end(), req.subnet_id) == options_.subnet_ids.end()) {
    return NotFound("subnet " + req.subnet_id + " does not exist").WithErrorCode("InvalidSubnetID.NotFound");
  }
  std::vector<std::string> groups = req.security_group_ids;
  if (options_.resolve_security_groups) {
    STRATUS_ASSIGN_OR_RETURN(groups, options_.resolve_security_groups(options_.vpc_id, req.security_group_ids));
  }
  std::vector<Instance> created;
  std::vector<Slot*> slots;
  {
    std::lock_guard lock(mu_);
    if (!req.client_token.empty()) {
      for (const auto& id : order_) {
        const Instance& i = slots_[id]->record;
        if (i.client_token == req.client_token) created.push_back(i);
      }
      if (!created.empty()) return created;
    }
    std::vector<TxnOp> ops;
    std::string now = NowIso8601();
    for (int n = 0; n < req.count; n++) {
      Instance i;
      i.instance_id = NewId("i");
      i.image_id = image->image_id;
      i.instance_type = req.instance_type;
      i.host = options_.host_name;
      i.vpc_id = options_.vpc_id;
      i.subnet_id = req.subnet_id.empty() ? PickSubnet() : req.subnet_id;
      i.security_group_ids = groups;
      i.state = InstanceState::kPending;
      i.launch_time = now;
      i.state_time = now;
      i.tags = req.tags;
      i.sysctls = sysctls;
      i.user_data = req.user_data;
      i.client_token = req.client_token;
      ops.push_back({TxnOp::Type::kPut, kPrefix + i.instance_id, ToStoreJson(i).dump(), kMustNotExist});
      created.push_back(std::move(i));
    }
    auto rev = store_->Commit(ops);
    if (!rev.ok()) return rev.status();
    for (const auto& i : created) {
      auto slot = std::make_unique<Slot>();
      slot->record = i;
      slots.push_back(slot.get());
      slots_[i.instance_id] = std::move(slot);
      order_.push_back(i.instance_id);
    }
  }
  for (Slot* slot : slots) {
    LogInfo("instance state", {{"instance", slot->record.instance_id}, {"state", "pending"}});
    work_->Submit([this, slot] {
      std::lock_guard op(slot->op);
      Launch(*slot);
    });
  }
  for (const auto& i : created) Publish(i);
  return created;
}

Result<BootSpec> InstanceService::MakeBootSpec(const Instance& instance) const {
  auto image = images_->Find(instance.image_id);
  if (!image.ok()) return image.status().WithContext("instance " + instance.instance_id);
  BootSpec spec{instance, *image, images_->LayerDirsTopFirst(*image)};
  return spec;
}

void InstanceService::Launch(Slot& slot) {
  Instance i = Snapshot(slot);
  if (i.state != InstanceState::kPending) return;  // terminated before it started
  auto net = host_->AttachNetwork(i.instance_id, i.subnet_id, i.private_ip);
  if (!net.ok()) {
    Destroy(slot, "Server.InternalError: network: " + net.status().message());
    return;
  }
  {
    // The address rides with the "running" (or "terminated") write: one fsync less per launch. A
    // crash before it leaves a durable pending record, and the relaunch finds the address through
    // AttachNetwork (the namespace keeps it).
    std::lock_guard lock(mu_);
    slot.record.private_ip = net->private_ip;
    slot.record.mac = net->mac;
  }
  Status st = BootOnHost(Snapshot(slot));
  if (!st.ok()) {
    Destroy(slot, "Server.InternalError: " + st.message());
    return;
  }
  MarkRunning(slot);
}

void InstanceService::BootExisting(Slot& slot) {
  Instance i = Snapshot(slot);
  auto net = host_->AttachNetwork(i.instance_id, i.subnet_id, i.private_ip);
  Status st = net.ok() ? BootOnHost(i) : net.status().WithContext("network");
  if (!st.ok()) {
    // The root volume stays: the user can start it again once the cause is fixed.
    Status halt = host_->Halt(i.instance_id, true);
    (void)halt;
    Update(slot, [&](Instance& r) {
      r.state = InstanceState::kStopped;
      r.state_reason = "Server.InternalError: " + st.message();
    });
    return;
  }
  MarkRunning(slot);
}

Status InstanceService::BootOnHost(const Instance& instance) {
  auto spec = MakeBootSpec(instance);
  Status st = spec.ok() ? host_->Boot(*spec) : spec.status();
  if (!st.ok()) LogError("instance failed to boot", {{"instance", instance.instance_id}, {"error", st.ToString()}});
  return st;
}

void InstanceService::MarkRunning(Slot& slot) {
  Update(slot, [](Instance& r) {
    if (r.state == InstanceState::kPending || r.state == InstanceState::kRunning) {
      r.state = InstanceState::kRunning;
      r.state_reason = "";
    }
  });
}

void InstanceService::Halt(Slot& slot, bool force) {
  Status st = host_->Halt(Snapshot(slot).instance_id, force);
  if (!st.ok()) LogError("stop failed", {{"instance", slot.record.instance_id}, {"error", st.ToString()}});
  Update(slot, [](Instance& r) {
    if (r.state == InstanceState::kStopping) r.state = InstanceState::kStopped;
  });
}

void InstanceService::Destroy(Slot& slot, const std::string& reason) {
  std::string id = Snapshot(slot).instance_id;
  Status st = host_->Destroy(id);
  if (!st.ok()) LogError("terminate: runtime cleanup failed", {{"instance", id}, {"error", st.ToString()}});
  Status net = host_->DetachNetwork(id);
  if (!net.ok()) LogError("terminate: network cleanup failed", {{"instance", id}, {"error", net.ToString()}});
  Update(slot, [&](Instance& r) {
    r.state = InstanceState::kTerminated;
    if (!reason.empty()) r.state_reason = reason;
    // The address went back to the subnet: a terminated instance shows none, as on EC2, and a
    // private-ip-address filter finds only the instance that holds it now.
    r.private_ip.clear();
    r.mac.clear();
  });
}

Result<Instance> InstanceService::Transition(const std::string& id, const char* verb,
                                             const std::function<Status(Instance&)>& change,
                                             std::function<void(Slot&)> work) {
  Slot* slot;
  Instance updated;
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    auto it = slots_.find(id);
    if (it == slots_.end()) return InstanceNotFound(id);
    slot = it->second.get();
    updated = slot->record;
    Status st = change(updated);
    if (!st.ok()) return st;
    if (updated.state == slot->record.state && updated.instance_type == slot->record.instance_type &&
        updated.security_group_ids == slot->record.security_group_ids) {
      work = nullptr;  // already there: EC2 answers with the current state and does nothing
    } else {
      if (updated.state != slot->record.state) updated.state_time = NowIso8601();
      STRATUS_RETURN_IF_ERROR(Persist(updated));
      slot->record = updated;
      changed = true;
    }
  }
  changed_.notify_all();
  // Listeners hear of every committed change, a state's or not (new security groups reach the firewall here).
  if (changed) Publish(updated);
  if (work) {
    LogInfo("instance state", {{"instance", id}, {"state", StateName(updated.state)}, {"verb", verb}});
    work_->Submit([slot, work = std::move(work)] {
      std::lock_guard op(slot->op);
      work(*slot);
    });
  }
  return updated;
}

Result<Instance> InstanceService::Stop(const std::string& id, bool force) {
  return Transition(
      id, "stop",
      [](Instance& i) -> Status {
        if (i.state == InstanceState::kStopped || i.state == InstanceState::kStopping) return Status::Ok();
        if (i.state != InstanceState::kRunning) return IncorrectState(i, "stopped");
        i.state = InstanceState::kStopping;
        i.state_reason = "Client.UserInitiatedShutdown: User initiated shutdown";
        return Status::Ok();
      },
      [this, force](Slot& s) { Halt(s, force); });
}

Result<Instance> InstanceService::Start(const std::string& id) {
  return Transition(
      id, "start",
      [](Instance& i) -> Status {
        if (i.state == InstanceState::kRunning || i.state == InstanceState::kPending) return Status::Ok();
        if (i.state != InstanceState::kStopped) return IncorrectState(i, "started");
        i.state = InstanceState::kPending;
        i.state_reason = "";
        i.launch_time = NowIso8601();
        return Status::Ok();
      },
      [this](Slot& s) { BootExisting(s); });
}

Result<Instance> InstanceService::Reboot(const std::string& id) {
  // A reboot keeps the state "running" on EC2; the work is a halt and a boot on the host.
  auto current = Get(id);
  if (!current.ok()) return current.status();
  if (current->state != InstanceState::kRunning) return IncorrectState(*current, "rebooted");
  Slot* slot;
  {
    std::lock_guard lock(mu_);
    slot = slots_[id].get();
  }
  work_->Submit([this, slot] {
    std::lock_guard op(slot->op);
    Instance i = Snapshot(*slot);
    if (i.state != InstanceState::kRunning) return;
    Status st = host_->Halt(i.instance_id, false);
    auto spec = MakeBootSpec(i);
    if (st.ok()) st = spec.ok() ? host_->Boot(*spec) : spec.status();
    if (!st.ok()) LogError("reboot failed", {{"instance", i.instance_id}, {"error", st.ToString()}});
  });
  return current;
}

Result<Instance> InstanceService::Terminate(const std::string& id) {
  return Transition(
      id, "terminate",
      [](Instance& i) -> Status {
        if (i.state == InstanceState::kTerminated || i.state == InstanceState::kShuttingDown) return Status::Ok();
        i.state = InstanceState::kShuttingDown;
        i.state_reason = "Client.UserInitiatedShutdown: User initiated shutdown";
        return Status::Ok();
      },
      [this](Slot& s) { Destroy(s, ""); });
}

Result<Instance> InstanceService::ModifyInstanceType(const std::string& id, const std::string& type) {
  if (options_.validate_type) {
    Status st = options_.validate_type(type);
    if (!st.ok()) return st.WithErrorCode("InvalidParameterValue");
  }
  return Transition(
      id, "modify",
      [&](Instance& i) -> Status {
        if (i.state != InstanceState::kStopped) return IncorrectState(i, "modified (stop it first)");
        i.instance_type = type;
        return Status::Ok();
      },
      nullptr);
}

Result<Instance> InstanceService::ModifySecurityGroups(const std::string& id, const std::vector<std::string>& group_ids) {
  if (group_ids.empty()) {
    return InvalidArgument("give at least one security group").WithErrorCode("MissingParameter");
  }
  std::vector<std::string> groups = group_ids;
  if (options_.resolve_security_groups) {
    STRATUS_ASSIGN_OR_RETURN(groups, options_.resolve_security_groups(options_.vpc_id, group_ids));
  }
  return Transition(
      id, "modify",
      [&](Instance& i) -> Status {
        if (i.state == InstanceState::kTerminated || i.state == InstanceState::kShuttingDown) {
          return IncorrectState(i, "given other security groups");
        }
        i.security_group_ids = groups;
        return Status::Ok();
      },
      nullptr);
}

Result<Instance> InstanceService::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = slots_.find(id);
  if (it == slots_.end()) return InstanceNotFound(id);
  return it->second->record;
}

Result<std::vector<Instance>> InstanceService::Describe(const std::vector<InstanceFilter>& filters) const {
  for (const auto& f : filters) STRATUS_RETURN_IF_ERROR(ValidateFilter(f));
  std::lock_guard lock(mu_);
  std::vector<Instance> out;
  for (const auto& id : order_) {
    const Instance& i = slots_.at(id)->record;
    bool all = true;
    for (const auto& f : filters) all = all && MatchesFilter(i, f);
    if (all) out.push_back(i);
  }
  return out;
}

Result<std::string> InstanceService::ConsoleOutput(const std::string& id) const {
  STRATUS_RETURN_IF_ERROR(Get(id).status());
  auto out = host_->ConsoleOutput(id);
  if (!out.ok() && out.status().code() == Code::kNotFound) return std::string();
  return out;
}

Result<Instance> InstanceService::ChangeTags(const std::string& id, const std::vector<Tag>& add,
                                             const std::vector<std::string>& remove) {
  Instance updated;
  {
    std::lock_guard lock(mu_);
    auto it = slots_.find(id);
    if (it == slots_.end()) return InstanceNotFound(id);
    updated = it->second->record;
    for (const auto& t : add) {
      auto pos = std::find_if(updated.tags.begin(), updated.tags.end(), [&](const Tag& x) { return x.key == t.key; });
      if (pos != updated.tags.end()) pos->value = t.value; else updated.tags.push_back(t);
    }
    for (const auto& k : remove) {
      std::erase_if(updated.tags, [&](const Tag& x) { return x.key == k; });
    }
    if (updated.tags.size() > 50) return InvalidArgument("an instance can have at most 50 tags").WithErrorCode("TagLimitExceeded");
    STRATUS_RETURN_IF_ERROR(Persist(updated));
    it->second->record = updated;
  }
  Publish(updated);
  return updated;
}

Result<std::vector<Instance>> InstanceService::WaitForState(const std::vector<std::string>& ids,
                                                            std::vector<InstanceState> states,
                                                            std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  for (const auto& id : ids) {
    if (!slots_.count(id)) return InstanceNotFound(id);
  }
  auto done = [&] {
    for (const auto& id : ids) {
      InstanceState s = slots_.at(id)->record.state;
      if (std::find(states.begin(), states.end(), s) == states.end()) return false;
    }
    return true;
  };
  if (!changed_.wait_for(lock, timeout, done)) {
    return Unavailable("timed out after " + std::to_string(timeout.count()) + " ms waiting for instances");
  }
  std::vector<Instance> out;
  for (const auto& id : ids) out.push_back(slots_.at(id)->record);
  return out;
}

std::optional<Instance> InstanceService::FindByPrivateIp(const std::string& ip) const {
  std::lock_guard lock(mu_);
  for (const auto& [id, slot] : slots_) {
    if (slot->record.private_ip == ip && slot->record.state != InstanceState::kTerminated) return slot->record;
  }
  return std::nullopt;
}

void InstanceService::ExpireTerminated() {
  std::lock_guard lock(mu_);
  for (auto it = order_.begin(); it != order_.end();) {
    Slot* slot = slots_[*it].get();
    if (slot->record.state == InstanceState::kTerminated && IsoOlderThan(slot->record.state_time, options_.terminated_retention) &&
        slot->op.try_lock()) {
      slot->op.unlock();
      Status st = store_->Delete(kPrefix + *it);
      if (!st.ok() && st.code() != Code::kNotFound) {
        ++it;
        continue;
      }
      slots_.erase(*it);
      it = order_.erase(it);
    } else {
      ++it;
    }
  }
}

Status InstanceService::Recover() {
  STRATUS_ASSIGN_OR_RETURN(auto kvs, store_->List(kPrefix));
  std::vector<Instance> records;
  for (const auto& kv : kvs) {
    auto i = InstanceFromStoreJson(nlohmann::json::parse(kv.value, nullptr, false));
    if (!i.ok()) return i.status().WithContext(kv.key);
    records.push_back(std::move(*i));
  }
  std::sort(records.begin(), records.end(), [](const Instance& a, const Instance& b) {
    return a.launch_time < b.launch_time;
  });
  STRATUS_ASSIGN_OR_RETURN(HostInventory inv, host_->Inventory());
  std::vector<std::pair<Slot*, std::function<void(Slot&)>>> todo;
  {
    std::lock_guard lock(mu_);
    for (auto& i : records) {
      auto slot = std::make_unique<Slot>();
      slot->record = i;
      Slot* s = slot.get();
      slots_[i.instance_id] = std::move(slot);
      order_.push_back(i.instance_id);
      bool running = inv.running.count(i.instance_id) > 0;
      switch (i.state) {
        case InstanceState::kRunning:
          if (!running) todo.push_back({s, [this](Slot& x) { BootExisting(x); }});
          break;
        case InstanceState::kPending:
          todo.push_back({s, [this](Slot& x) { Launch(x); }});
          break;
        case InstanceState::kStopping:
          todo.push_back({s, [this](Slot& x) { Halt(x, false); }});
          break;
        case InstanceState::kStopped:
          if (running) todo.push_back({s, [this](Slot& x) { Halt(x, false); }});
          break;
        case InstanceState::kShuttingDown:
          todo.push_back({s, [this](Slot& x) { Destroy(x, ""); }});
          break;
        case InstanceState::kTerminated:
          if (inv.present.count(i.instance_id) || inv.attached.count(i.instance_id)) {
            todo.push_back({s, [this](Slot& x) { Destroy(x, ""); }});
          }
          break;
      }
    }
  }
  // Orphans: host resources no record owns (a launch interrupted before its record was written).
  std::set<std::string> orphans;
  for (const auto& set : {inv.present, inv.attached}) {
    for (const auto& id : set) {
      if (!slots_.count(id)) orphans.insert(id);
    }
  }
  for (const auto& id : orphans) {
    LogWarn("removing orphaned instance resources", {{"instance", id}});
    Status a = host_->Destroy(id);
    Status b = host_->DetachNetwork(id);
    if (!a.ok() || !b.ok()) LogError("orphan cleanup failed", {{"instance", id}, {"error", a.ok() ? b.ToString() : a.ToString()}});
  }
  LogInfo("recovered instances", {{"records", std::to_string(records.size())},
                                  {"running", std::to_string(inv.running.size())},
                                  {"actions", std::to_string(todo.size())}, {"orphans", std::to_string(orphans.size())}});
  for (auto& [slot, fn] : todo) {
    work_->Submit([slot, fn = std::move(fn)] {
      std::lock_guard op(slot->op);
      fn(*slot);
    });
  }
  return Status::Ok();
}

}  // namespace stratus
