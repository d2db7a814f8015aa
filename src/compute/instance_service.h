// InstanceService: the one business logic for instances, under every API (REST, EC2 query).
//
// It owns the instance records (in memory, written through to the Store before a change is
// acknowledged), validates every request, runs state transitions as EC2 does, and carries them out
// on an InstanceHost in the background. Operations on one instance run one at a time, in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/work_queue.h"
#include "compute/instance.h"
#include "compute/instance_host.h"
#include "image/image_store.h"
#include "store/store.h"

namespace stratus {

inline constexpr char kDefaultInstanceType[] = "t3.micro";

struct RunRequest {
  std::string image;          // id or name; may come from the launch template
  std::string instance_type;  // "": the launch template's, else kDefaultInstanceType
  int count = 1;
  std::string user_data;  // raw bytes
  std::vector<Tag> tags;
  std::map<std::string, std::string> sysctls;
  std::string subnet_id;
  std::vector<std::string> security_group_ids;  // empty: the VPC's default group
  std::string client_token;
  std::string launch_template;                    // id or name; "" launches without one
  std::string launch_template_version = "$Default";  // "$Default" | "$Latest" | "N"
};

struct InstanceServiceOptions {
  std::string host_name = "stratus";
  std::string vpc_id;
  std::vector<std::string> subnet_ids;  // launches without a subnet are spread over these
  int max_count = 100;                  // per RunInstances call
  size_t max_user_data = 16 * 1024;
  std::chrono::seconds terminated_retention{3600};
  size_t workers = 16;
  // Checks an instance type name; NotFound-style error when unknown.
  std::function<Status(const std::string& type)> validate_type;
  // Checks sysctls; InvalidArgument naming the first one that cannot be set per instance.
  std::function<Status(const std::map<std::string, std::string>& sysctls)> validate_sysctls;
  // Launch from a launch template: fills the fields of a request that names one (RunRequest::launch_template)
  // and leaves them empty, from the template's version; NotFound for an unknown template or version. The
  // daemon sets it to scaling::LaunchTemplateService::ApplyTo; unset, such requests are refused.
  std::function<Status(RunRequest& request)> apply_launch_template;
  // The security groups an instance of `vpc_id` gets for the ids it asked for: the VPC's default group when
  // none, else the ids checked (InvalidGroup.NotFound, SecurityGroupsPerInterfaceLimitExceeded). The daemon sets
  // it to vpc::VpcService::ResolveGroups; unset, instances record the ids as given.
  std::function<Result<std::vector<std::string>>(const std::string& vpc_id, const std::vector<std::string>& ids)>
      resolve_security_groups;
};

// One DescribeInstances filter: name ("instance-state-name", "tag:Name", ...) and the values it accepts.
struct InstanceFilter {
  std::string name;
  std::vector<std::string> values;
};

class InstanceService {
 public:
  // `store`, `images` and `host` must outlive the service.
  InstanceService(Store* store, ImageStore* images, InstanceHost* host, InstanceServiceOptions options);
  // Waits for operations in progress; instances keep running.
  ~InstanceService();

  // Loads the records and reconciles them with what the host holds: instances that should run and
  // do are left alone, interrupted transitions are finished, orphans are removed.
  Status Recover();

  // Validates the request (after filling it from its launch template, if it names one), records `count`
  // pending instances and starts them in the background. MissingParameter when neither the request nor its
  // template names an image.
  Result<std::vector<Instance>> Run(const RunRequest& request);

  // Instances matching every filter (AND), in launch order. InvalidArgument for an unknown filter.
  Result<std::vector<Instance>> Describe(const std::vector<InstanceFilter>& filters) const;

  Result<Instance> Get(const std::string& id) const;
  Result<Instance> Stop(const std::string& id, bool force);
  Result<Instance> Start(const std::string& id);
  Result<Instance> Reboot(const std::string& id);
  Result<Instance> Terminate(const std::string& id);
  // Changes the instance type of a stopped instance (IncorrectInstanceState otherwise).
  Result<Instance> ModifyInstanceType(const std::string& id, const std::string& type);
  // Replaces the security groups of an instance in any state but shutting-down or terminated (EC2 changes them
  // on a running instance); the ids are checked as at launch.
  Result<Instance> ModifySecurityGroups(const std::string& id, const std::vector<std::string>& group_ids);
  Result<std::string> ConsoleOutput(const std::string& id) const;
  // Adds or replaces `add`, then removes the keys in `remove`.
  Result<Instance> ChangeTags(const std::string& id, const std::vector<Tag>& add, const std::vector<std::string>& remove);

  // Waits until every instance in `ids` is in one of `states` (or, when `or_terminal`, terminated).
  // Returns the instances; Unavailable on timeout.
  Result<std::vector<Instance>> WaitForState(const std::vector<std::string>& ids, std::vector<InstanceState> states,
                                             std::chrono::milliseconds timeout) const;

  // The non-terminated instance holding `ip`, for the metadata service.
  std::optional<Instance> FindByPrivateIp(const std::string& ip) const;

  // Forgets terminated instances older than the retention. Called periodically.
  void ExpireTerminated();

  // Subscribes to every committed change of an instance record (called without locks held).
  using Listener = std::function<void(const Instance&)>;
  void AddListener(Listener listener);

 private:
  struct Slot;  // an instance's record and the lock that orders its operations

  Result<Instance> Transition(const std::string& id, const char* verb,
                              const std::function<Status(Instance&)>& change, std::function<void(Slot&)> work);
  Status Persist(const Instance& instance);  // requires mu_
  void Publish(const Instance& instance);
  // First boot: attach, boot, running; a failure terminates the instance with the reason.
  void Launch(Slot& slot);
  // Start of a stopped (or interrupted) instance: same address, same root volume; a failure leaves it stopped.
  void BootExisting(Slot& slot);
  Status BootOnHost(const Instance& instance);
  void MarkRunning(Slot& slot);
  void Halt(Slot& slot, bool force);
  void Destroy(Slot& slot, const std::string& reason);
  // Applies `change` to the record, persists it and notifies; used by the background operations.
  void Update(Slot& slot, const std::function<void(Instance&)>& change);
  Result<BootSpec> MakeBootSpec(const Instance& instance) const;
  Instance Snapshot(const Slot& slot) const;
  std::string PickSubnet();

  Store* store_;
  ImageStore* images_;
  InstanceHost* host_;
  InstanceServiceOptions options_;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::unique_ptr<Slot>> slots_;  // GUARDED_BY(mu_); slots are never freed while in use
  std::vector<std::string> order_;                       // GUARDED_BY(mu_): launch order
  std::vector<Listener> listeners_;                      // GUARDED_BY(mu_)
  size_t next_subnet_ = 0;                               // GUARDED_BY(mu_)

  std::unique_ptr<WorkQueue> work_;  // last: destroyed (joined) first
};

}  // namespace stratus
