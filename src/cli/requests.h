// Command-line values -> ApiRequest, one function per API call of docs/api.md.
//
// Everything a command checks locally (KEY=VALUE syntax, duplicate keys, the user-data size) is
// checked here, so the command files only wire flags to these functions. Functions that can
// reject their input return InvalidArgument with a message naming the bad value.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.h"
#include "common/status.h"

namespace stratus::cli {

// The decoded size limit of user data (docs/api.md).
inline constexpr size_t kMaxUserDataBytes = 16 * 1024;

struct KeyValue {
  std::string key;
  std::string value;
};

// Splits "KEY=VALUE" at the first '='. The value may be empty ("KEY="), the key may not.
// `what` names the flag in the message ("" for none): ParseKeyValue("x", "--tag") fails with
// `--tag "x": expected KEY=VALUE`.
Result<KeyValue> ParseKeyValue(const std::string& text, std::string_view what);

// Checks the syntax of an instance filter: NAME=VALUE with NAME like state, instance-id, tag-key
// or tag:KEY (other names pass when they look like a name; the daemon judges them). `what`
// prefixes the message as for ParseKeyValue.
Status ValidateInstanceFilter(const std::string& text, std::string_view what);

// A request with an optional JSON body: the common shape of every call below.
ApiRequest MakeRequest(std::string method, std::string path, std::optional<Json> body = std::nullopt);

// One request per id: make(id) for each of `ids`, in order.
std::vector<ApiRequest> RequestsForIds(const std::vector<std::string>& ids,
                                       const std::function<ApiRequest(const std::string&)>& make);

// ---- images
ApiRequest ListImagesRequest();
ApiRequest ShowImageRequest(const std::string& id_or_name);

// ---- instances
struct LaunchArgs {
  std::string image;                  // id or name
  std::string instance_type;          // "" = the daemon's default
  int count = 1;
  std::string user_data_file;         // "" = none; read and base64-encoded here
  std::vector<std::string> tags;      // "KEY=VALUE"
  std::vector<std::string> sysctls;   // "KEY=VALUE"
  std::string subnet;                 // "" = the default subnet
  std::vector<std::string> security_groups;  // ids; none = the VPC's default group
  bool wait = false;
};

// POST /v1/instances. Fails when a tag or sysctl is not KEY=VALUE, a key repeats, the count is
// below 1, or the user-data file cannot be read or is larger than kMaxUserDataBytes.
Result<ApiRequest> LaunchRequest(const LaunchArgs& args);

// GET /v1/instances with one filter= parameter per filter, in order. Fails on a bad filter.
Result<ApiRequest> ListInstancesRequest(const std::vector<std::string>& filters);

ApiRequest ShowInstanceRequest(const std::string& id);

// POST /v1/instances/{id}/{action} for action stop, start, reboot or terminate, with the body
// {"Wait": wait} (and "Force": force for stop).
ApiRequest InstanceActionRequest(const std::string& id, std::string_view action, bool wait,
                                 bool force);

// PATCH /v1/instances/{id} {"InstanceType": type}.
// (The type of a stopped instance, or the security groups of any instance: exactly one of the two.)
Result<ApiRequest> ModifyInstanceRequest(const std::string& id, const std::string& instance_type,
                                         const std::vector<std::string>& security_groups = {});

// GET /v1/instances/{id}/console.
ApiRequest ConsoleRequest(const std::string& id);

// POST /v1/instances/{id}/tags with the KEY=VALUE pairs. Fails on bad syntax, a repeated key or
// an empty list.
Result<ApiRequest> TagInstanceRequest(const std::string& id, const std::vector<std::string>& tags);

// DELETE /v1/instances/{id}/tags?key=KEY.
ApiRequest UntagInstanceRequest(const std::string& id, const std::string& key);

// ---- instance types, networks, the daemon
ApiRequest ListInstanceTypesRequest();
ApiRequest ListVpcsRequest();
ApiRequest ListSubnetsRequest();

// ---- VPCs, subnets, security groups (docs/network.md)
// POST /v1/vpcs {"CidrBlock", "Tags"}. Fails on a bad or repeated tag.
Result<ApiRequest> CreateVpcRequest(const std::string& cidr, const std::vector<std::string>& tags);

struct SubnetArgs {
  std::string vpc;
  std::string cidr;
  std::string zone;                // "" = the daemon picks one
  bool public_ip_on_launch = false;
  std::vector<std::string> tags;   // "KEY=VALUE"
};
// POST /v1/subnets. Fails on a bad or repeated tag.
Result<ApiRequest> CreateSubnetRequest(const SubnetArgs& args);

struct GroupArgs {
  std::string name;
  std::string description;
  std::string vpc;                 // "" = the default VPC
  std::vector<std::string> tags;   // "KEY=VALUE"
};
// POST /v1/security-groups. Fails on a bad or repeated tag.
Result<ApiRequest> CreateGroupRequest(const GroupArgs& args);

// One rule change of `stratus sg authorize|revoke`.
struct RuleArgs {
  std::string group;                        // id, or a name of the default VPC
  bool egress = false;
  std::string protocol = "tcp";             // tcp, udp, icmp, all
  std::string ports;                        // "80", "8000-8080"; icmp: "TYPE" or "TYPE-CODE"; "" = all
  std::vector<std::string> cidrs;           // sources (destinations for --egress)
  std::vector<std::string> source_groups;   // group ids
  std::vector<std::string> rule_ids;        // revoke only: "sgr-..."
};
// POST /v1/security-groups/{group}/authorize or /revoke ({"Direction", "IpPermissions", "SecurityGroupRuleIds"}).
// Fails on a malformed --port, or when neither a source nor (for revoke) a rule id is given.
Result<ApiRequest> RuleChangeRequest(const RuleArgs& args, bool authorize);
ApiRequest HealthRequest();

// ---- volumes
struct VolumeArgs {
  int64_t size_gib = 0;          // GiB; 0 = unset (modify)
  std::string type;              // gp3 | io2 | st1; "" = the daemon's default (create) or unchanged (modify)
  std::string zone;              // "" = the default zone
  int64_t iops = 0, throughput = 0;  // 0 = the type's default (create) or unchanged (modify)
  bool encrypted = false;
  std::string snapshot_id;       // create: the snapshot it starts from ("" = empty)
  std::vector<std::string> tags;  // "KEY=VALUE"
};

// POST /v1/volumes. Fails for a size below 1 or a tag that is not KEY=VALUE or repeats.
Result<ApiRequest> CreateVolumeCliRequest(const VolumeArgs& args);
// GET /v1/volumes?filter=... (DescribeVolumes' filter names: status, volume-type, attachment.instance-id, tag:KEY).
Result<ApiRequest> ListVolumesRequest(const std::vector<std::string>& filters);
ApiRequest ShowVolumeRequest(const std::string& id);
ApiRequest DeleteVolumeRequest(const std::string& id);
// PATCH /v1/volumes/{id} with the fields set in `args`; fails when none is.
Result<ApiRequest> ModifyVolumeCliRequest(const std::string& id, const VolumeArgs& args);
Result<ApiRequest> TagVolumeRequest(const std::string& id, const std::vector<std::string>& tags);
ApiRequest UntagVolumeRequest(const std::string& id, const std::string& key);
// POST /v1/volumes/{id}/attach {InstanceId, Device}.
ApiRequest AttachVolumeRequest(const std::string& id, const std::string& instance_id, const std::string& device);
// POST /v1/volumes/{id}/detach {Force}.
ApiRequest DetachVolumeRequest(const std::string& id, bool force);

struct SnapshotArgs {
  std::string volume_id;  // create: the volume; copy: the source snapshot
  std::string description;
  std::vector<std::string> tags;  // "KEY=VALUE"
};
// POST /v1/snapshots {VolumeId, Description, Tags}.
Result<ApiRequest> CreateSnapshotCliRequest(const SnapshotArgs& args);
// POST /v1/snapshots/{id}/copy {Description, Tags}.
Result<ApiRequest> CopySnapshotCliRequest(const SnapshotArgs& args);
// GET /v1/snapshots?filter=... (DescribeSnapshots' filter names: volume-id, status, tag:KEY, ...).
Result<ApiRequest> ListSnapshotsRequest(const std::vector<std::string>& filters);
ApiRequest ShowSnapshotRequest(const std::string& id);
ApiRequest DeleteSnapshotRequest(const std::string& id);
Result<ApiRequest> TagSnapshotRequest(const std::string& id, const std::vector<std::string>& tags);
ApiRequest UntagSnapshotRequest(const std::string& id, const std::string& key);

}  // namespace stratus::cli
