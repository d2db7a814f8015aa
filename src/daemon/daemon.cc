#include "daemon/daemon.h"
#include "daemon/security_groups.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>

#include <httplib.h>

#include "api/http_errors.h"
#include "api/rest_admin.h"
#include "api/rest_api.h"
#include "api/rest_cloudwatch.h"
#include "api/rest_console.h"
#include "api/rest_certificates.h"
#include "api/rest_cost.h"
#include "api/rest_images.h"
#include "api/rest_lb.h"
#include "api/rest_scaling.h"
#include "api/rest_network.h"
#include "api/rest_volumes.h"
#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/handler.h"
#include "aws/httplib_adapter.h"
#include "cloudwatch/alarm_manager.h"
#include "cloudwatch/collector.h"
#include "common/files.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/process_tools.h"
#include "compute/instance_runtime.h"
#include "compute/instance_service.h"
#include "compute/instance_types.h"
#include "compute/mount_namespace.h"
#include "compute/oci_spec.h"
#include "cost/cost_service.h"
#include "cost/inventory.h"
#include "daemon/backup.h"
#include "daemon/collector_sources.h"
#include "daemon/daemon_mounts.h"
#include "daemon/disk_usage.h"
#include "daemon/instance_directory.h"
#include "daemon/local_instance_host.h"
#include "daemon/scaling_ports.h"
#include "daemon/service_rules.h"
#include "daemon/vpc.h"
#include "elb/data_plane.h"
#include "elb/load_balancer_service.h"
#include "image/builtin_images.h"
#include "image/image_service.h"
#include "image/image_store.h"
#include "net/host_network.h"
#include "net/metadata_service.h"
#include "scaling/auto_scaling_service.h"
#include "store/sqlite_store.h"
#include "volume/local_volume_host.h"
#include "volume/volume_pool.h"
#include "volume/volume_service.h"
#include "stratus_version.h"

namespace stratus {

namespace {

constexpr char kVersion[] = STRATUS_VERSION;

Result<std::pair<std::string, int>> SplitHostPort(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--listen " + listen + " is not HOST:PORT");
  int port = atoi(listen.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return InvalidArgument("--listen " + listen + ": bad port");
  return std::make_pair(listen.substr(0, colon), port);
}

// Beside stratusd in a build directory (build/bin); PREFIX/lib/stratus when installed (PREFIX/sbin/stratusd).
std::string DefaultLibDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "/usr/lib/stratus";
  if (std::filesystem::exists(exe.parent_path() / "stratus-init", ec)) return exe.parent_path().string();
  return (exe.parent_path().parent_path() / "lib" / "stratus").string();
}

// The OCI runtime is a separate program: say at start, not at the first launch, that it is missing.
Status CheckRuntimeInstalled(const std::string& runtime) {
  if (!FindInPath(runtime).empty()) return Status::Ok();
  return FailedPrecondition("--runtime " + runtime + ": " + runtime + " is not installed (not in PATH); install it (apt install " +
                            runtime + ") or use --runtime runc");
}

// The bearer token for the REST API on TCP, created on first start (readable by root only).
Result<std::string> LoadOrCreateApiToken(const std::string& state_dir) {
  std::string path = state_dir + "/api-token";
  auto existing = ReadFile(path);
  if (existing.ok() && !existing->empty()) return *existing;
  std::string token = RandomHex(40);
  STRATUS_RETURN_IF_ERROR(WriteFileAtomic(path, token, 0600));
  return token;
}

Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > 10) return InvalidArgument("--name must be 1 to 10 characters");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return InvalidArgument("--name " + name + ": only lowercase letters and digits (it prefixes bridge names)");
    }
  }
  return Status::Ok();
}

std::string LbSocketPath(const DaemonOptions& o) { return o.state_dir + "/lb.sock"; }

RuntimeOptions MakeRuntimeOptions(const DaemonOptions& o) {
  RuntimeOptions r;
  r.name = o.name;
  r.runc_root = "/run/" + o.name + "/runc";
  r.init_binary_path = o.lib_dir + "/stratus-init";
  r.console_relay_binary = o.lib_dir + "/stratus-console-relay";
  r.console_cap_bytes = o.console_log_cap;
  return r;
}

}  // namespace

struct Daemon::Parts {
  UniqueFd state_lock;  // STATE_DIR/stratusd.lock, held while this stratusd runs (daemon/backup.h)
  StorePtr store;
  VpcInfo vpc;
  std::unique_ptr<ImageStore> images;
  InstanceTypeTable types;
  std::unique_ptr<vpc::VpcService> vpcs;  // VPCs, subnets and security groups (docs/network.md)
  std::unique_ptr<net::HostNetwork> network;
  std::unique_ptr<vpc::SecurityGroupFirewall> firewall;  // security groups in nftables (daemon/security_groups.h)
  std::unique_ptr<InstanceRuntime> runtime;
  std::unique_ptr<LocalInstanceHost> host;
  std::unique_ptr<InstanceService> instances;
  std::unique_ptr<VolumePool> volume_pool;        // volumes and snapshots (docs/volumes.md)
  std::unique_ptr<LocalVolumeHost> volume_host;
  std::unique_ptr<VolumeService> volumes;
  std::unique_ptr<InstanceBuildRuntime> build_runtime;
  std::unique_ptr<ImageService> image_service;
  std::unique_ptr<ServiceInstanceDirectory> directory;
  std::unique_ptr<net::MetadataService> metadata;
  std::unique_ptr<elb::LbProcess> lb_process;
  std::unique_ptr<elb::LoadBalancerService> elb;
  std::unique_ptr<elb::CertificateService> certificates;  // ACM (docs/lb.md)
  MetricStorePtr metric_store;                      // CloudWatch (docs/cloudwatch.md)
  std::unique_ptr<cloudwatch::AlarmManager> alarms;
  std::unique_ptr<cloudwatch::Collector> collector;
  std::unique_ptr<cost::CostService> cost;  // the cost meter (docs/cost.md)
  std::unique_ptr<scaling::MetricReader> asg_metrics;
  std::unique_ptr<scaling::LaunchTemplateService> templates;
  std::unique_ptr<scaling::InstancePort> asg_instances;
  std::unique_ptr<scaling::TargetGroupPort> asg_target_groups;
  std::unique_ptr<scaling::AutoScalingService> asg;
  std::unique_ptr<RestScaling> rest_scaling;
  std::unique_ptr<RestApi> rest;
  std::unique_ptr<aws::StratusAwsHandler> aws_handler;  // the AWS API (docs/aws-compat.md)
  std::unique_ptr<aws::AwsEndpoint> aws_endpoint;
  httplib::Server server;
  std::thread server_thread;
  std::string token;

  std::mutex mu;
  std::condition_variable cv;
  bool shutdown = false;  // GUARDED_BY(mu)
};

// The AWS endpoint over the services, with the key of STATE_DIR/credentials (created on first start).
Status Daemon::StartAwsEndpoint(Parts& p, const DaemonOptions& o) {
  STRATUS_ASSIGN_OR_RETURN(auto creds, aws::LoadOrCreateAwsCredentials(o.state_dir + "/credentials"));
  aws::AwsServices as;
  as.instances = p.instances.get();
  as.images = p.images.get();
  as.image_service = p.image_service.get();
  as.types = &p.types;
  as.vpc = p.vpc;
  as.vpcs = p.vpcs.get();
  as.templates = p.templates.get();
  as.elb = p.elb.get();
  as.certificates = p.certificates.get();
  as.autoscaling = p.asg.get();
  as.region = o.region;
  as.metrics = p.metric_store.get();
  as.alarms = p.alarms.get();
  as.volumes = p.volumes.get();
  p.aws_handler = std::make_unique<aws::StratusAwsHandler>(as);
  aws::AwsEndpointOptions eo;
  eo.region = o.region;
  eo.account_id = "000000000000";  // the account the ELB and Auto Scaling ARNs carry
  STRATUS_ASSIGN_OR_RETURN(p.aws_endpoint, aws::AwsEndpoint::Create(aws::LookupFor(creds), p.aws_handler.get(), eo));
  return Status::Ok();
}

// The metric store under STATE_DIR/metrics, the alarm service over it and the 1-second collector.
Status Daemon::StartCloudWatch(Parts& p, const DaemonOptions& o) {
  MetricStoreOptions mo;
  mo.dir = o.state_dir + "/metrics";
  STRATUS_ASSIGN_OR_RETURN(p.metric_store, OpenMetricStore(mo));
  cloudwatch::AlarmManagerOptions ao;
  ao.region = o.region;
  p.alarms = std::make_unique<cloudwatch::AlarmManager>(p.store.get(), p.metric_store.get(), ao);
  STRATUS_RETURN_IF_ERROR(p.alarms->Start());
  p.collector = std::make_unique<cloudwatch::Collector>(
      p.metric_store.get(),
      cloudwatch::MakeDaemonCollectorSources(p.instances.get(), p.runtime.get(), p.network.get(), &p.types, p.elb.get()),
      cloudwatch::CollectorOptions{});
  p.collector->Start();
  return Status::Ok();
}

// Volumes and snapshots in the volume pool at STATE_DIR/volumes (made by the first volume), in the zones of the VPC's subnets (a subnet without one is in REGION + "a",
// as the EC2 API shows it).
Status Daemon::StartVolumes(Parts& p, const DaemonOptions& o) {
  VolumeServiceOptions vo;
  for (const auto& sn : p.vpc.subnets) {
    std::string zone = sn.availability_zone.empty() ? o.region + "a" : sn.availability_zone;
    if (std::find(vo.zones.begin(), vo.zones.end(), zone) == vo.zones.end()) vo.zones.push_back(zone);
  }
  if (vo.zones.empty()) vo.zones.push_back(o.region + "a");
  vo.find_instance = [&p, region = o.region](const std::string& id) -> Result<VolumeInstance> {
    STRATUS_ASSIGN_OR_RETURN(Instance i, p.instances->Get(id));
    VolumeInstance vi{i.instance_id, StateName(i.state), region + "a"};
    for (const auto& sn : p.vpc.subnets) {
      if (sn.subnet_id == i.subnet_id && !sn.availability_zone.empty()) vi.availability_zone = sn.availability_zone;
    }
    return vi;
  };
  auto instance_pid = [runtime = p.runtime.get()](const std::string& id) -> Result<int> {
    STRATUS_ASSIGN_OR_RETURN(RuntimeState st, runtime->State(id));
    if (st.status != InstanceStatus::kRunning || st.pid <= 0) return NotFound("instance " + id + " is not running");
    return st.pid;
  };
  vo.region = o.region;
  vo.owner_id = "000000000000";  // the account the EC2 API shows (as for ELB and Auto Scaling ARNs)
  p.volume_pool = std::make_unique<VolumePool>(o.state_dir + "/volume-pool.xfs", o.state_dir + "/volumes");
  STRATUS_RETURN_IF_ERROR(p.volume_pool->Open());
  p.volume_host = std::make_unique<LocalVolumeHost>(
      o.state_dir + "/volumes", instance_pid, [pool = p.volume_pool.get()](uint64_t bytes) { return pool->EnsureFree(bytes); });
  p.volumes = std::make_unique<VolumeService>(p.store.get(), p.volume_host.get(), vo);
  STRATUS_RETURN_IF_ERROR(p.volumes->Load());
  // Volumes follow their instance: mounted whenever it (re)starts, released when it is terminated.
  p.instances->AddListener([volumes = p.volumes.get()](const Instance& i) {
    if (i.state == InstanceState::kRunning) volumes->OnInstanceRunning(i.instance_id);
    if (i.state == InstanceState::kTerminated) volumes->OnInstanceTerminated(i.instance_id);
  });
  return Status::Ok();
}

Daemon::Daemon(DaemonOptions options) : options_(std::move(options)), parts_(std::make_unique<Parts>()) {
  if (options_.lib_dir.empty()) options_.lib_dir = DefaultLibDir();
}

Daemon::~Daemon() {
  Shutdown();
  if (parts_->server_thread.joinable()) parts_->server_thread.join();
  // Order: stop taking requests, finish operations in progress, then the rest. Instances keep running.
  parts_->metadata.reset();
  parts_->collector.reset();
  parts_->cost.reset();
  if (parts_->asg) parts_->asg->Stop();  // the alarm thread calls into it, it calls the alarms
  parts_->alarms.reset();
  parts_->asg.reset();  // joins the reconcile loop before the services it uses go
  parts_->elb.reset();  // stratus-lb keeps serving its last configuration
  parts_->instances.reset();
}

Status Daemon::Start() {
  Parts& p = *parts_;
  const DaemonOptions& o = options_;
  STRATUS_RETURN_IF_ERROR(ValidateName(o.name));
  if (o.netns_pool < 0 || o.netns_pool > kMaxNetnsPool)
    return InvalidArgument("--netns-pool " + std::to_string(o.netns_pool) + ": must be 0 to " +
                           std::to_string(kMaxNetnsPool));
  STRATUS_ASSIGN_OR_RETURN(auto hostport, SplitHostPort(o.listen));
  int metadata_port = o.metadata_port ? o.metadata_port : hostport.second + 1;
  if (o.runtime != "runc" && o.runtime != "runsc") return InvalidArgument("--runtime " + o.runtime + ": runc or runsc");
  STRATUS_RETURN_IF_ERROR(CheckRuntimeInstalled(o.runtime));
  // First, while the process has one thread (the kernel moves no other); makes the state dir.
  STRATUS_RETURN_IF_ERROR(EnterDaemonMountNamespace(o));
  STRATUS_ASSIGN_OR_RETURN(p.state_lock, LockStateDir(o.state_dir));
  STRATUS_ASSIGN_OR_RETURN(p.store, OpenSqliteStore(o.state_dir + "/stratus.db"));
  STRATUS_RETURN_IF_ERROR(RecordInstallationName(p.store.get(), o.name));
  STRATUS_ASSIGN_OR_RETURN(p.vpc, LoadOrCreateDefaultVpc(p.store.get(), o.vpc_cidr, o.region));
  p.vpcs = std::make_unique<vpc::VpcService>(p.store.get());
  STRATUS_RETURN_IF_ERROR(p.vpcs->Init(p.vpc));
  STRATUS_ASSIGN_OR_RETURN(p.token, LoadOrCreateApiToken(o.state_dir));
  if (!o.instance_types_file.empty()) STRATUS_RETURN_IF_ERROR(p.types.LoadFile(o.instance_types_file));

  p.images = std::make_unique<ImageStore>(p.store.get(), o.state_dir + "/layers");
  STRATUS_RETURN_IF_ERROR(p.images->Load());
  STRATUS_RETURN_IF_ERROR(EnsureBuiltinImages(*p.images, {"/bin/busybox", o.lib_dir + "/stratus-demo-web"}));

  net::HostNetworkConfig nc;
  nc.name = o.name;
  nc.vpc_cidr = o.vpc_cidr;
  for (const auto& s : p.vpc.subnets) nc.subnets.push_back({s.subnet_id, s.cidr});
  nc.state_dir = o.state_dir + "/net";
  nc.api_port = hostport.second;
  nc.metadata_port = metadata_port;
  nc.pool_size = o.netns_pool;
  STRATUS_ASSIGN_OR_RETURN(p.network, net::HostNetwork::Create(nc));
  STRATUS_RETURN_IF_ERROR(p.network->Setup().WithContext("host network"));
  std::vector<std::string> subnet_cidrs;
  for (const auto& s : p.vpc.subnets) subnet_cidrs.push_back(s.cidr);
  p.firewall = MakeFirewall(o.name, subnet_cidrs, p.vpcs.get());

  p.runtime = std::make_unique<InstanceRuntime>(MakeRuntimeOptions(o));
  LocalHostOptions ho;
  ho.instances_dir = o.state_dir + "/instances";
  ho.runtime = o.runtime;
  ho.admit = [fw = p.firewall.get(), vpcs = p.vpcs.get()](const Instance& i) -> Status {
    STRATUS_ASSIGN_OR_RETURN(auto iface, InterfaceOf(i, vpcs));
    return fw->SetInterface(iface);
  };
  ho.forget = [fw = p.firewall.get()](const std::string& id) { return fw->RemoveInterface(id); };
  STRATUS_RETURN_IF_ERROR(MakeDirs(ho.instances_dir, 0700));
  p.host = std::make_unique<LocalInstanceHost>(p.runtime.get(), p.network.get(), &p.types, ho);

  // Launch templates (docs/scaling.md): before the instance service, which launches from them.
  scaling::LaunchTemplateOptions lo;
  lo.resolve_image = [images = p.images.get()](const std::string& id) -> Result<std::string> {
    STRATUS_ASSIGN_OR_RETURN(auto image, images->Find(id));
    return image.image_id;
  };
  lo.validate_type = [&types = p.types](const std::string& t) { return types.Find(t).status(); };
  lo.validate_sysctls = ValidateSysctls;
  p.templates = std::make_unique<scaling::LaunchTemplateService>(p.store.get(), lo);
  STRATUS_RETURN_IF_ERROR(p.templates->Load());

  InstanceServiceOptions so;
  so.host_name = o.name;
  so.vpc_id = p.vpc.vpc_id;
  so.resolve_security_groups = ResolveGroupsWith(p.vpcs.get());
  for (const auto& s : p.vpc.subnets) so.subnet_ids.push_back(s.subnet_id);
  so.max_count = o.max_count;
  so.validate_type = [&types = p.types](const std::string& t) { return types.Find(t).status(); };
  so.validate_sysctls = ValidateSysctls;
  so.apply_launch_template = LaunchFromTemplates(p.templates.get());
  p.instances = std::make_unique<InstanceService>(p.store.get(), p.images.get(), p.host.get(), so);
  ConnectFirewall(p.firewall.get(), p.vpcs.get(), p.instances.get());
  STRATUS_RETURN_IF_ERROR(p.instances->Recover());
  // The table from the store: whatever a crash left between a store write and its nft transaction is healed here.
  STRATUS_RETURN_IF_ERROR(SyncFirewall(p.firewall.get(), p.vpcs.get(), p.instances.get()).WithContext("security groups"));
  STRATUS_RETURN_IF_ERROR(StartVolumes(p, o));
  ImageServiceOptions imo;
  imo.name = o.name;
  imo.instances_dir = ho.instances_dir;
  imo.builder.runtime = o.runtime;
  p.build_runtime = std::make_unique<InstanceBuildRuntime>(p.runtime.get());
  p.image_service = std::make_unique<ImageService>(p.images.get(), p.build_runtime.get(), p.instances.get(), imo);

  p.lb_process = std::make_unique<elb::LbProcess>(
      elb::LbProcessOptions{o.lib_dir + "/stratus-lb", LbSocketPath(o), o.state_dir + "/stratus-lb.log", o.lb_workers});
  elb::LoadBalancerServiceOptions eo;
  eo.region = o.region;
  eo.vpc_id = p.vpc.vpc_id;
  eo.bind_address = o.lb_bind_address;
  p.elb = std::make_unique<elb::LoadBalancerService>(p.store.get(), p.instances.get(), p.lb_process.get(), eo);
  p.certificates = std::make_unique<elb::CertificateService>(
      p.store.get(), elb::CertificateServiceOptions{o.region, "000000000000", o.state_dir + "/certificates"});
  ConnectCertificates(p.certificates.get(), p.elb.get());
  STRATUS_RETURN_IF_ERROR(p.certificates->Start());
  STRATUS_RETURN_IF_ERROR(p.elb->Start());

  STRATUS_RETURN_IF_ERROR(StartCloudWatch(p, o));

  // The cost meter: AWS's prices unless the instance types file overrides them.
  cost::PriceList prices = cost::PriceList::AwsDefaults();
  if (!o.instance_types_file.empty()) {
    STRATUS_ASSIGN_OR_RETURN(std::string types_text, ReadFile(o.instance_types_file));
    STRATUS_RETURN_IF_ERROR(prices.AddFromJson(types_text).WithContext(o.instance_types_file));
  }
  p.cost = std::make_unique<cost::CostService>(
      std::move(prices), cost::MakeDaemonInventory(p.instances.get(), p.elb.get(), p.images.get()));
  STRATUS_RETURN_IF_ERROR(p.cost->Load(o.state_dir + "/cost"));
  p.cost->Start();

  // Auto Scaling (docs/scaling.md); the reconcile loop runs on its own thread.
  p.asg_instances = std::make_unique<scaling::InstanceServicePort>(p.instances.get());
  if (p.elb) p.asg_target_groups = std::make_unique<scaling::LoadBalancerTargetGroups>(p.elb.get());
  scaling::AutoScalingOptions ao;
  ao.region = o.region;
  ao.instance_hour_price = [cost = p.cost.get()](const std::string& type) { return cost->InstanceHourPrice(type); };
  std::set<std::string> subnets;
  for (const auto& s : p.vpc.subnets) {
    ao.default_subnets.push_back(s.subnet_id);
    subnets.insert(s.subnet_id);
  }
  ao.validate_subnet = [subnets](const std::string& s) {
    return subnets.count(s) ? Status::Ok() : NotFound("subnet " + s + " does not exist");
  };
  ao.running_instances = [runtime = p.runtime.get()]() -> Result<std::set<std::string>> {
    STRATUS_ASSIGN_OR_RETURN(auto states, runtime->ListStates());
    std::set<std::string> running;
    for (const auto& [id, st] : states) {
      if (st.status == InstanceStatus::kRunning) running.insert(id);
    }
    return running;
  };
  ao.publish_group_metrics = [store = p.metric_store.get()](const std::string& group, int64_t ts,
                                                           const std::vector<scaling::GroupMetric>& values) {
    std::vector<MetricDatum> data;
    for (const auto& v : values) {
      MetricDatum d;
      d.metric = {"AWS/AutoScaling", v.name, {{"AutoScalingGroupName", group}}, "None"};
      d.timestamp_ms = ts;
      d.value = v.value;
      data.push_back(std::move(d));
    }
    Status st = store->PutMetricData(std::move(data));
    if (!st.ok()) LogError("storing auto scaling group metrics", {{"group", group}, {"error", st.ToString()}});
  };
  p.asg_metrics = std::make_unique<scaling::MetricStoreReader>(p.metric_store.get());
  p.asg = std::make_unique<scaling::AutoScalingService>(p.store.get(), p.templates.get(), p.asg_instances.get(),
                                                        p.asg_target_groups.get(), p.asg_metrics.get(),
                                                        p.alarms.get(), ao);
  STRATUS_RETURN_IF_ERROR(p.asg->Load());
  ConnectInUseChecks(p.image_service.get(), p.templates.get(), p.asg.get());
  ConnectNetworkInUseChecks(p.vpcs.get(), p.instances.get());
  p.asg->StartLoop();
  p.collector->SetPassListener([asg = p.asg.get()] { asg->Wake(); });  // decide on each sample at once
  p.rest_scaling = std::make_unique<RestScaling>(p.templates.get(), p.asg.get());

  p.directory = std::make_unique<ServiceInstanceDirectory>(p.instances.get(), &p.vpc, o.region, p.volumes.get());
  net::MetadataServiceOptions mo;
  mo.listen_address = p.network->MetadataAddress();
  mo.port = metadata_port;
  mo.tokens_required = o.require_imds_tokens;
  STRATUS_ASSIGN_OR_RETURN(p.metadata, net::MetadataService::Start(mo, p.directory.get()));

  p.rest = std::make_unique<RestApi>(RestServices{p.instances.get(), p.images.get(), &p.types, p.vpc, o.name, kVersion, o.state_dir});
  STRATUS_RETURN_IF_ERROR(StartAwsEndpoint(p, o));
  p.server.set_pre_routing_handler([&p](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/v1/health") return httplib::Server::HandlerResponse::Unhandled;
    if (IsConsolePath(req.path)) return httplib::Server::HandlerResponse::Unhandled;  // static files; the console sends the token
    // AWS API calls (POST /, GET /?Action=, POST /service/...) authenticate with SigV4 in the endpoint instead.
    if (req.path == "/" || req.path.rfind("/service/", 0) == 0) return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + p.token) return httplib::Server::HandlerResponse::Unhandled;
    ReplyJson(res, Unauthenticated("missing or wrong bearer token; it is in " + std::string("STATE_DIR/api-token"))
                       .WithErrorCode("AuthFailure"));
    return httplib::Server::HandlerResponse::Handled;
  });
  p.rest->Mount(p.server);
  aws::MountAwsRoutes(p.server, *p.aws_endpoint);
  p.rest_scaling->Mount(p.server);
  MountImageRoutes(p.server, p.image_service.get());
  MountLoadBalancerRoutes(p.server, p.elb.get());
  MountCertificateRoutes(p.server, p.certificates.get());
  MountNetworkRoutes(p.server, p.vpcs.get());
  MountVolumeRoutes(p.server, p.volumes.get());
  MountCostRoutes(p.server, p.cost.get());
  MountAdminRoutes(p.server, {p.store.get(), o.state_dir, o.name, SqliteStoreSchemaVersion(),
                              [dir = o.state_dir]() -> Result<nlohmann::json> {
                                STRATUS_ASSIGN_OR_RETURN(DiskUsage u, MeasureDiskUsage(dir));
                                return ToJson(u);
                              }});
  MountConsoleRoutes(p.server, o.lib_dir + "/console");
  MountCloudWatchRoutes(p.server, {p.metric_store.get(), p.alarms.get(), [elb = p.elb.get()] { return elb->PrometheusMetrics(); }, {}});
  p.server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    Status st = res.status == 404 ? NotFound("no route for " + req.method + " " + req.path).WithErrorCode("UnknownOperation")
                                  : Status(Code::kInvalidArgument, "bad request");
    res.set_content(ErrorBody(st).dump(), "application/json");
  });
  // cpp-httplib writes a response's headers and body in two writes: without TCP_NODELAY the body
  // waits for the client's delayed ACK of the headers (~40 ms) on every keep-alive request.
  p.server.set_tcp_nodelay(true);
  if (!p.server.bind_to_port(hostport.first.c_str(), hostport.second)) {
    return Unavailable("cannot listen on " + o.listen + " (address in use, or not an address of this host)");
  }
  p.server_thread = std::thread([&p] { p.server.listen_after_bind(); });
  LogInfo("stratusd ready", {{"listen", o.listen}, {"name", o.name}, {"state_dir", o.state_dir},
                             {"vpc", p.vpc.cidr}, {"metadata", mo.listen_address + ":" + std::to_string(metadata_port)}});
  return Status::Ok();
}

void Daemon::Wait() {
  std::unique_lock lock(parts_->mu);
  while (!parts_->shutdown) {
    parts_->cv.wait_for(lock, std::chrono::seconds(1));
    if (parts_->shutdown) break;
    lock.unlock();
    if (parts_->instances) parts_->instances->ExpireTerminated();
    lock.lock();
  }
}

void Daemon::Shutdown() {
  {
    std::lock_guard lock(parts_->mu);
    parts_->shutdown = true;
  }
  parts_->cv.notify_all();
  parts_->server.stop();
}

Status Daemon::Uninstall(const DaemonOptions& o) {
  STRATUS_RETURN_IF_ERROR(ValidateName(o.name));
  // Where the instances' named network namespaces are (while the process has one thread).
  STRATUS_RETURN_IF_ERROR(JoinDaemonMountNamespaceIfAny(o));
  Status result;
  auto keep_first_error = [&result](const Status& st) {
    if (!st.ok()) LogError("uninstall", {{"error", st.ToString()}});
    if (result.ok() && !st.ok()) result = st;
  };
  InstanceRuntime runtime(MakeRuntimeOptions(o));
  std::string instances_dir = o.state_dir + "/instances";
  auto ids = runtime.List();
  if (ids.ok()) {
    for (const auto& id : *ids) keep_first_error(runtime.Destroy(id, instances_dir + "/" + id));
  }
  // Stopped instances have only a root volume left.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(instances_dir, ec)) {
    keep_first_error(runtime.Destroy(entry.path().filename().string(), entry.path().string()));
  }
  // A state dir without a store never set up a network: nothing more to remove (and nothing to create).
  std::string db = o.state_dir + "/stratus.db";
  auto store = std::filesystem::exists(db, ec) ? OpenSqliteStore(db) : Result<StorePtr>(NotFound(db));
  if (!store.ok() && store.status().code() == Code::kNotFound) {
    LogInfo("no store in the state dir: no network to remove", {{"state_dir", o.state_dir}});
  } else if (store.ok()) {
    // The VPC the state dir recorded, whatever --vpc-cidr says now.
    auto vpc = LoadDefaultVpc(store->get());
    if (vpc.ok()) {
      net::HostNetworkConfig nc;
      nc.name = o.name;
      nc.vpc_cidr = vpc->cidr;
      for (const auto& s : vpc->subnets) nc.subnets.push_back({s.subnet_id, s.cidr});
      nc.state_dir = o.state_dir + "/net";
      nc.metadata_port = 1;  // required by the config; Teardown does not use it
      auto network = net::HostNetwork::Create(nc);
      keep_first_error(network.ok() ? (*network)->Teardown() : network.status());
      keep_first_error(vpc::SecurityGroupFirewall::DeleteTable(SecurityGroupTable(o.name)));
    } else {
      keep_first_error(vpc.status());
    }
  } else {
    // Without the store the VPC's subnets are unknown: say so rather than leave the bridges silently.
    keep_first_error(store.status().WithContext("open the store in " + o.state_dir +
                                                " (bridges, nftables tables and namespaces of --name " + o.name +
                                                " not removed)"));
  }
  keep_first_error(elb::LbProcess::StopProcess(LbSocketPath(o)));
  keep_first_error(runtime.RemoveCgroupParent());
  keep_first_error(RemoveAll("/run/" + o.name));
  // Frees the namespace, and whatever is left in it, when this process exits.
  keep_first_error(RemovePinnedMountNamespace(DaemonMountNamespacePin(o)));
  LogInfo("uninstalled", {{"name", o.name}});
  return result;
}

}  // namespace stratus
