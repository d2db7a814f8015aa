// Needs root: bridges stnh*, namespaces stnh*-i-*, nftables tables inet stnh*, addresses in
// 10.251.8.0/21 .. 10.251.255.0/21 (one /21 per test so tests can run in parallel).
#include "net/host_network.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "common/files.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "net/ipv4.h"
#include "net/metadata_service.h"
#include "net/neighbour.h"
#include "net/netns.h"
#include "test_util.h"

namespace stratus::net {
namespace {

HostNetworkConfig TestConfig(int block, const std::string& name, const std::string& state_dir) {
  std::string base = "10.251." + std::to_string(8 * block);
  std::string second = "10.251." + std::to_string(8 * block + 1);
  return {name, base + ".0/21", {{"subnet-a", base + ".0/24"}, {"subnet-b", second + ".0/24"}}, state_dir, 0,
          0};
}

TEST(HostNetworkConfigTest, Validation) {
  auto ok = HostNetwork::Create(
      {"stn",
       "172.31.0.0/16",
       {{"subnet-1", "172.31.0.0/20"}, {"subnet-2", "172.31.16.0/20"}, {"subnet-3", "172.31.32.0/20"}},
       "/tmp/x",
       7600,
       7601});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)->BridgeName(2), "stnbr2");
  EXPECT_EQ((*ok)->NetnsName("i-0123"), "stn-i-0123");
  EXPECT_EQ((*ok)->MetadataAddress(), "172.31.0.1");
  std::string rules = (*ok)->NftRuleset();
  EXPECT_NE(rules.find("dnat ip to 172.31.0.1:7601"), std::string::npos) << rules;
  EXPECT_NE(rules.find("masquerade"), std::string::npos);
  EXPECT_NE(rules.find("tcp dport 7600 drop"), std::string::npos);

  HostNetworkConfig c{"stn", "172.31.0.0/16", {{"s1", "172.31.0.0/20"}}, "/tmp/x", 0, 7601};
  auto with = [&](auto change) {
    HostNetworkConfig copy = c;
    change(copy);
    return HostNetwork::Create(copy).status().code();
  };
  EXPECT_EQ(with([](auto&) {}), Code::kOk);
  EXPECT_EQ(with([](auto& x) { x.name = "toolongname1"; }), Code::kInvalidArgument);
  EXPECT_EQ(with([](auto& x) { x.name = "Bad-"; }), Code::kInvalidArgument);
  EXPECT_EQ(with([](auto& x) { x.vpc_cidr = "172.31.0.0"; }), Code::kInvalidArgument);
  EXPECT_EQ(with([](auto& x) { x.subnets[0].cidr = "10.0.0.0/20"; }), Code::kInvalidArgument);
  EXPECT_EQ(with([](auto& x) { x.subnets.push_back({"s2", "172.31.8.0/24"}); }), Code::kInvalidArgument);
  EXPECT_EQ(with([](auto& x) { x.subnets.push_back({"s1", "172.31.16.0/24"}); }), Code::kInvalidArgument);
  EXPECT_EQ(with([](auto& x) { x.subnets.clear(); }), Code::kInvalidArgument);
  EXPECT_EQ(with([](auto& x) { x.metadata_port = 70000; }), Code::kInvalidArgument);
  // Without a metadata port the object can only tear down (stratusd --uninstall).
  c.metadata_port = 0;
  auto teardown_only = HostNetwork::Create(c);
  ASSERT_TRUE(teardown_only.ok());
  EXPECT_EQ((*teardown_only)->Setup().code(), Code::kInvalidArgument);
}

// A directory of the instances a test attached, for the metadata service.
class TestDirectory : public InstanceDirectory {
 public:
  std::optional<InstanceMetadata> FindByPrivateIp(const std::string& ip) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_ip_.find(ip);
    if (it == by_ip_.end()) return std::nullopt;
    return it->second;
  }
  void Add(const Attachment& a) {
    InstanceMetadata m;
    m.instance_id = a.instance_id;
    m.local_ipv4 = a.ip;
    m.mac = a.mac;
    m.tags = {{"Name", "n-" + a.instance_id}};
    std::lock_guard<std::mutex> lock(mu_);
    by_ip_[a.ip] = m;
  }

 private:
  std::mutex mu_;
  std::map<std::string, InstanceMetadata> by_ip_;
};

class HostNetworkTest : public ::testing::Test {
 protected:
  // Each test passes its own block number (1..31: 10.251.<8*block>.0/21) so parallel tests use
  // disjoint addresses.
  void Init(int block, int api_port = 0, int pool_size = 0) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    if (!PathExists(std::string(kDefaultCniPluginDir) + "/bridge"))
      GTEST_SKIP() << "containernetworking-plugins missing";
    char tmpl[] = "/tmp/stn-hn-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    state_dir_ = tmpl;
    HostNetworkConfig c = TestConfig(block, "stnh" + RandomHex(4), state_dir_ + "/net");
    c.api_port = api_port;
    c.pool_size = pool_size;
    c.metadata_port = testing::FreePort();
    auto hn = HostNetwork::Create(c);
    ASSERT_TRUE(hn.ok()) << hn.status().ToString();
    hn_ = std::move(*hn);
    Status st = hn_->Setup();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  void TearDown() override {
    if (hn_) {
      EXPECT_TRUE(hn_->Teardown().ok());
    }
    if (!state_dir_.empty()) {
      EXPECT_TRUE(RemoveAll(state_dir_).ok());
    }
  }
  Attachment MustAttach(const std::string& subnet, std::string id = "") {
    if (id.empty()) id = NewId("i");
    auto a = hn_->Attach(id, subnet);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : Attachment{};
  }
  // host-local's lease file of `ip` in the store of `subnet`.
  std::string Lease(const std::string& subnet, const std::string& ip) const {
    return state_dir_ + "/net/ipam/" + subnet + "/" + hn_->config().name + "/" + ip;
  }
  // The lladdr of the host's neighbour entry for `ip` on the first subnet's bridge ("" for none or
  // one without an address, e.g. FAILED).
  std::string HostNeighbourMac(const std::string& ip) const {
    auto r = RunProcess({"ip", "neigh", "show", ip, "dev", hn_->BridgeName(0)});
    if (!r.ok()) return "?";
    size_t at = r->out.find("lladdr ");
    return at == std::string::npos ? "" : r->out.substr(at + 7, 17);
  }
  // Runs a socket exchange from inside the instance's namespace.
  template <typename F>
  void Inside(const Attachment& a, F fn) {
    ASSERT_TRUE(RunInNetns(a.netns_path, [&] {
                  fn();
                  return Status::Ok();
                }).ok());
  }
  std::string state_dir_;
  std::unique_ptr<HostNetwork> hn_;
};

TEST_F(HostNetworkTest, AttachConnectDetach) {
  Init(2);
  Attachment a = MustAttach("subnet-a");
  Attachment b = MustAttach("subnet-b");
  EXPECT_EQ(a.ip.rfind("10.251.16.", 0), 0u) << a.ip;
  EXPECT_EQ(a.gateway, "10.251.16.1");
  EXPECT_EQ(b.ip.rfind("10.251.17.", 0), 0u) << b.ip;
  EXPECT_EQ(b.gateway, "10.251.17.1");
  EXPECT_TRUE(PathExists(a.netns_path));
  EXPECT_TRUE(PathExists("/sys/class/net/" + a.host_veth));
  auto listed = hn_->ListAttached();
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> want{a.instance_id, b.instance_id};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*listed, want);
  EXPECT_EQ(*hn_->InstanceIp(a.instance_id), a.ip);
  EXPECT_EQ(hn_->Attach(a.instance_id, "subnet-a").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(hn_->Attach(NewId("i"), "subnet-zzz").status().code(), Code::kNotFound);

  // Host -> a, and b (other subnet) -> a: routed through the host.
  UniqueFd listener;
  Inside(a, [&] { listener = testing::Listen(a.ip, 0); });
  ASSERT_TRUE(listener.valid());
  int port = testing::BoundPort(listener.get());
  EXPECT_TRUE(testing::Connect(a.ip, port, 2000).valid());
  bool b_to_a = false;
  Inside(b, [&] { b_to_a = testing::Connect(a.ip, port, 2000).valid(); });
  EXPECT_TRUE(b_to_a);
  auto counters = hn_->Counters(a.instance_id);
  ASSERT_TRUE(counters.ok()) << counters.status().ToString();
  EXPECT_GT(counters->network_in_packets, 0u);
  EXPECT_GT(counters->network_out_bytes, 0u);

  // The gateway's MAC does not change as instances come and go; CHECK compares it.
  std::string bridge_mac = *ReadFile("/sys/class/net/" + hn_->BridgeName(0) + "/address");
  Attachment extra = MustAttach("subnet-a");
  EXPECT_TRUE(hn_->Detach(extra.instance_id).ok());
  EXPECT_EQ(*ReadFile("/sys/class/net/" + hn_->BridgeName(0) + "/address"), bridge_mac);
  auto inspected = hn_->Inspect(a.instance_id);
  ASSERT_TRUE(inspected.ok()) << inspected.status().ToString();
  EXPECT_EQ(inspected->ip, a.ip);
  EXPECT_EQ(inspected->mac, a.mac);
  EXPECT_EQ(inspected->prefix_length, 24);
  EXPECT_EQ(inspected->subnet_id, "subnet-a");
  EXPECT_EQ(inspected->gateway, a.gateway);
  EXPECT_EQ(inspected->host_veth, a.host_veth);

  listener.reset();  // a socket inside keeps the namespace (and its veth) alive
  ASSERT_TRUE(hn_->Detach(a.instance_id).ok());
  EXPECT_FALSE(PathExists(a.netns_path));
  // The kernel destroys the veth with the namespace, in the background.
  for (int i = 0; i < 500 && PathExists("/sys/class/net/" + a.host_veth); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(PathExists("/sys/class/net/" + a.host_veth));
  EXPECT_FALSE(PathExists(Lease("subnet-a", a.ip)));
  EXPECT_TRUE(hn_->Detach(a.instance_id).ok()) << "Detach is idempotent";
  EXPECT_EQ(hn_->Counters(a.instance_id).status().code(), Code::kNotFound);
  EXPECT_EQ(*hn_->ListAttached(), std::vector<std::string>{b.instance_id});
}

TEST_F(HostNetworkTest, MetadataThroughDnatIdentifiesTheCaller) {
  Init(4);
  TestDirectory dir;
  auto svc = MetadataService::Start({hn_->MetadataAddress(), hn_->config().metadata_port, false, 2}, &dir);
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  Attachment a = MustAttach("subnet-a");
  Attachment b = MustAttach("subnet-b");
  dir.Add(a);
  dir.Add(b);
  const std::string get_id = "GET /latest/meta-data/instance-id HTTP/1.0\r\nHost: 169.254.169.254\r\n\r\n";
  for (const Attachment* x : {&a, &b}) {
    std::string resp;
    Inside(*x, [&] { resp = testing::HttpExchange("169.254.169.254", 80, get_id); });
    EXPECT_EQ(testing::StatusCode(resp), 200) << resp;
    EXPECT_EQ(testing::Body(resp), x->instance_id);
  }
  std::string tag;
  Inside(a, [&] {
    tag = testing::Body(testing::HttpExchange("169.254.169.254", 80,
                                              "GET /latest/meta-data/tags/instance/Name HTTP/1.0\r\n\r\n"));
  });
  EXPECT_EQ(tag, "n-" + a.instance_id);

  (*svc)->SetTokensRequired(true);
  std::string denied, token, allowed;
  Inside(a, [&] {
    denied = testing::HttpExchange("169.254.169.254", 80, get_id);
    token = testing::Body(
        testing::HttpExchange("169.254.169.254", 80,
                              "PUT /latest/api/token HTTP/1.0\r\nX-aws-ec2-metadata-token-ttl-seconds: "
                              "60\r\nContent-Length: 0\r\n\r\n"));
    allowed = testing::HttpExchange(
        "169.254.169.254", 80,
        "GET /latest/meta-data/instance-id HTTP/1.0\r\nX-aws-ec2-metadata-token: " + token + "\r\n\r\n");
  });
  EXPECT_EQ(testing::StatusCode(denied), 401) << denied;
  EXPECT_FALSE(token.empty());
  EXPECT_EQ(testing::StatusCode(allowed), 200) << allowed;
  EXPECT_EQ(testing::Body(allowed), a.instance_id);
  // b cannot use a's token.
  std::string stolen;
  Inside(b, [&] {
    stolen = testing::HttpExchange(
        "169.254.169.254", 80,
        "GET /latest/meta-data/instance-id HTTP/1.0\r\nX-aws-ec2-metadata-token: " + token + "\r\n\r\n");
  });
  EXPECT_EQ(testing::StatusCode(stolen), 401) << stolen;
}

TEST_F(HostNetworkTest, NoSpoofingAndBindingsSurviveARestart) {
  Init(20);
  TestDirectory dir;
  auto svc = MetadataService::Start({hn_->MetadataAddress(), hn_->config().metadata_port, false, 2}, &dir);
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  Attachment a = MustAttach("subnet-a");
  Attachment b = MustAttach("subnet-a");
  dir.Add(a);
  dir.Add(b);
  // stratusd restarts: Setup runs again and must keep the running instances' port bindings.
  ASSERT_TRUE(hn_->Setup().ok());
  const std::string get_id = "GET /latest/meta-data/instance-id HTTP/1.0\r\n\r\n";
  std::string own;
  Inside(b, [&] { own = testing::Body(testing::HttpExchange("169.254.169.254", 80, get_id)); });
  EXPECT_EQ(own, b.instance_id);
  // b takes a's address as its own and asks from it: the bridge drops the packets.
  ASSERT_TRUE(RunChecked({"ip", "netns", "exec", hn_->NetnsName(b.instance_id), "ip", "addr", "add",
                          a.ip + "/32", "dev", "eth0"})
                  .ok());
  bool spoofed_connect = true;
  Inside(b, [&] {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in src = testing::Addr(a.ip, 0), dst = testing::Addr("169.254.169.254", 80);
    ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&src), sizeof src), 0);
    connect(fd.get(), reinterpret_cast<sockaddr*>(&dst), sizeof dst);
    pollfd p{fd.get(), POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    spoofed_connect =
        poll(&p, 1, 1000) == 1 && getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  });
  EXPECT_FALSE(spoofed_connect);
  // Control: the same connect goes through without the bridge table, so the table is what stopped it.
  ASSERT_TRUE(RunChecked({"nft", "delete", "table", "bridge", hn_->config().name}).ok());
  bool unfiltered_connect = false;
  Inside(b, [&] {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in src = testing::Addr(a.ip, 0), dst = testing::Addr("169.254.169.254", 80);
    ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&src), sizeof src), 0);
    timeval tv{2, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    unfiltered_connect = connect(fd.get(), reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0;
  });
  EXPECT_TRUE(unfiltered_connect);
  ASSERT_TRUE(hn_->Setup().ok());
  std::string rules = RunProcess({"nft", "list", "table", "bridge", hn_->config().name})->out;
  EXPECT_NE(rules.find(b.host_veth), std::string::npos) << rules;
  ASSERT_TRUE(hn_->Detach(b.instance_id).ok());
  hn_->WaitForUnbindsForTest();
  rules = RunProcess({"nft", "list", "table", "bridge", hn_->config().name})->out;
  EXPECT_EQ(rules.find(b.host_veth), std::string::npos) << "Detach removes the binding: " << rules;
  EXPECT_NE(rules.find(a.host_veth), std::string::npos) << rules;
}

TEST_F(HostNetworkTest, InstancesCannotReachHostPorts) {
  int api_port = testing::FreePort();
  Init(6, api_port);
  Attachment a = MustAttach("subnet-a");
  std::string gw = hn_->MetadataAddress();
  UniqueFd api = testing::Listen(gw, api_port);
  UniqueFd other = testing::Listen(a.gateway, 0);
  UniqueFd metadata = testing::Listen(gw, hn_->config().metadata_port);
  ASSERT_TRUE(api.valid() && other.valid() && metadata.valid());
  int other_port = testing::BoundPort(other.get());
  EXPECT_TRUE(testing::Connect(gw, api_port, 1000).valid()) << "the host itself reaches its ports";
  bool to_api = true, to_other = true, to_metadata = false;
  Inside(a, [&] {
    to_api = testing::Connect(gw, api_port, 500).valid();
    to_other = testing::Connect(a.gateway, other_port, 500).valid();
    to_metadata = testing::Connect(gw, hn_->config().metadata_port, 1000).valid();
  });
  EXPECT_FALSE(to_api);
  EXPECT_FALSE(to_other);
  EXPECT_TRUE(to_metadata);
}

TEST_F(HostNetworkTest, RequestedAddressForReconcile) {
  Init(8);
  std::string id = NewId("i");
  auto a = hn_->Attach(id, "subnet-a", "10.251.64.50");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->ip, "10.251.64.50");
  // Another instance cannot take it.
  auto dup = hn_->Attach(NewId("i"), "subnet-a", "10.251.64.50");
  EXPECT_EQ(dup.status().code(), Code::kFailedPrecondition) << dup.status().ToString();
  EXPECT_EQ(hn_->ListAttached()->size(), 1u) << "the failed attach left nothing";
  EXPECT_EQ(hn_->Attach(NewId("i"), "subnet-a", "10.251.65.5").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(hn_->Attach(NewId("i"), "subnet-a", "10.251.64.1").status().code(), Code::kInvalidArgument);
  // After a host reboot the namespace is gone but the lease file remains: the same id gets it back.
  ASSERT_TRUE(DeleteNetns(hn_->NetnsName(id)).ok());
  auto again = hn_->Attach(id, "subnet-a", "10.251.64.50");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ip, "10.251.64.50");
}

TEST_F(HostNetworkTest, StaleLeaseOfTheSameInstanceIsReplaced) {
  Init(16);
  std::string id = NewId("i");
  auto a = hn_->Attach(id, "subnet-a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // A crash that lost the namespace but not the lease: a plain Attach gets an address again.
  ASSERT_TRUE(DeleteNetns(hn_->NetnsName(id)).ok());
  std::string lease = Lease("subnet-a", a->ip);
  ASSERT_TRUE(PathExists(lease));
  auto again = hn_->Attach(id, "subnet-a");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(PathExists(lease)) << "the stale lease was released";
  EXPECT_EQ(*hn_->InstanceIp(id), again->ip);
}

TEST_F(HostNetworkTest, StaleLeaseInTwoPhaseAttachKeepsTheNamespace) {
  Init(26);
  std::string id = NewId("i");
  auto a = hn_->Attach(id, "subnet-b");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(DeleteNetns(hn_->NetnsName(id)).ok());
  auto path = hn_->CreateNamespace(id);
  ASSERT_TRUE(path.ok());
  // What a runtime that joined the namespace holds: its inode must stay the one Connect fills.
  struct stat before {};
  ASSERT_EQ(stat(path->c_str(), &before), 0);
  auto again = hn_->Connect(id, "subnet-b");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  struct stat after {};
  ASSERT_EQ(stat(path->c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(*hn_->InstanceIp(id), again->ip);
}

TEST_F(HostNetworkTest, TwoPhaseAttach) {
  Init(18);
  std::string id = NewId("i");
  EXPECT_EQ(hn_->Connect(id, "subnet-a").status().code(), Code::kNotFound);
  auto path = hn_->CreateNamespace(id);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "/var/run/netns/" + hn_->NetnsName(id));
  EXPECT_EQ(hn_->CreateNamespace(id).status().code(), Code::kAlreadyExists);
  auto a = hn_->Connect(id, "subnet-b");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->ip.rfind("10.251.145.", 0), 0u) << a->ip;
  EXPECT_FALSE(hn_->Connect(id, "subnet-b").ok()) << "eth0 exists already";
  EXPECT_TRUE(PathExists(Lease("subnet-b", a->ip)))
      << "the failed second Connect did not release the first lease";
  EXPECT_TRUE(hn_->Detach(id).ok());
}

TEST_F(HostNetworkTest, ConcurrentAttachesGetDistinctAddresses) {
  Init(10);
  constexpr int kCount = 8;
  std::vector<std::string> ips(kCount);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kCount; i++) {
    threads.emplace_back([&, i] {
      auto a = hn_->Attach(NewId("i"), i % 2 ? "subnet-b" : "subnet-a");
      if (a.ok()) {
        ips[i] = a->ip;
      } else {
        failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(std::set<std::string>(ips.begin(), ips.end()).size(), static_cast<size_t>(kCount));
  EXPECT_EQ(hn_->ListAttached()->size(), static_cast<size_t>(kCount));
}

TEST_F(HostNetworkTest, TeardownLeavesNothing) {
  Init(12);
  MustAttach("subnet-a");
  MustAttach("subnet-b");
  std::string name = hn_->config().name;
  ASSERT_TRUE(hn_->Teardown().ok());
  EXPECT_FALSE(PathExists("/sys/class/net/" + hn_->BridgeName(0)));
  EXPECT_FALSE(PathExists("/sys/class/net/" + hn_->BridgeName(1)));
  EXPECT_TRUE(ListNetns(name + "-")->empty());
  EXPECT_FALSE(PathExists(state_dir_ + "/net/ipam"));
  for (const char* family : {"inet", "bridge"}) {
    auto nft = RunProcess({"nft", "list", "table", family, name});
    ASSERT_TRUE(nft.ok());
    EXPECT_NE(nft->exit_code, 0) << "table " << family << " " << name << " still exists";
  }
  std::string links = RunProcess({"ip", "-o", "link"})->out;
  EXPECT_EQ(links.find(name), std::string::npos) << links;
  EXPECT_TRUE(hn_->Teardown().ok()) << "Teardown is idempotent";
  // Setup after Teardown works again (stratusd --uninstall, then a new start).
  ASSERT_TRUE(hn_->Setup().ok());
  MustAttach("subnet-a");
}

TEST_F(HostNetworkTest, OverlappingDaemonIsRefused) {
  Init(22);
  // A second daemon with the same subnets on this host would steal the first one's routes.
  HostNetworkConfig c = TestConfig(22, "stnh" + RandomHex(4), state_dir_ + "/other");
  c.metadata_port = testing::FreePort();
  auto other = HostNetwork::Create(c);
  ASSERT_TRUE(other.ok());
  Status st = (*other)->Setup();
  EXPECT_EQ(st.code(), Code::kFailedPrecondition) << st.ToString();
  EXPECT_FALSE(PathExists("/sys/class/net/" + (*other)->BridgeName(0))) << "nothing was created";
  EXPECT_TRUE((*other)->Teardown().ok());
  EXPECT_TRUE(hn_->Setup().ok()) << "the first daemon's own bridges are no overlap";
}

TEST_F(HostNetworkTest, ManyCyclesLeaveNothingBehind) {
  Init(24);
  const std::string br = hn_->BridgeName(0);
  for (int i = 0; i < 100; i++) {
    std::string id = NewId("i");
    auto a = hn_->Attach(id, "subnet-a");
    ASSERT_TRUE(a.ok()) << "cycle " << i << ": " << a.status().ToString();
    ASSERT_TRUE(hn_->Detach(id).ok()) << "cycle " << i;
  }
  hn_->WaitForUnbindsForTest();
  EXPECT_TRUE(hn_->ListAttached()->empty());
  auto leftover_ports = [&] {
    auto ports = RunProcess({"ls", "/sys/class/net/" + br + "/brif"});
    return ports.ok() ? ports->out : std::string("?");
  };
  // The kernel destroys the veths with their namespaces in the background.
  for (int i = 0; i < 500 && !leftover_ports().empty(); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(leftover_ports(), "");
  auto leases = RunProcess({"ls", state_dir_ + "/net/ipam/subnet-a/" + hn_->config().name});
  ASSERT_TRUE(leases.ok());
  EXPECT_EQ(leases->out, "last_reserved_ip.0\nlock\n");
  std::string rules = RunProcess({"nft", "list", "table", "bridge", hn_->config().name})->out;
  EXPECT_EQ(rules.find("veth"), std::string::npos) << rules;
}

TEST_F(HostNetworkTest, PoolServesAttachAndCleansUp) {
  Init(28, 0, 2);
  ASSERT_TRUE(hn_->WaitForPoolForTest(std::chrono::seconds(20)));
  const std::string pool_prefix = hn_->config().name + "-pool-";
  EXPECT_EQ(ListNetns(pool_prefix)->size(), 4u);
  Attachment a = MustAttach("subnet-b");
  EXPECT_EQ(hn_->PoolHitsForTest(), 1u);
  EXPECT_EQ(a.ip.rfind("10.251.225.", 0), 0u) << a.ip;
  EXPECT_EQ(a.netns_path, NetnsPath(hn_->NetnsName(a.instance_id)));
  EXPECT_EQ(*hn_->ListAttached(), std::vector<std::string>{a.instance_id});
  std::string lease = Lease("subnet-b", a.ip);
  EXPECT_EQ(ReadFile(lease)->substr(0, a.instance_id.size() + 2), a.instance_id + "\r\n");
  auto inspected = hn_->Inspect(a.instance_id);
  ASSERT_TRUE(inspected.ok());
  EXPECT_EQ(inspected->ip, a.ip);
  EXPECT_EQ(inspected->host_veth, a.host_veth);
  UniqueFd listener;
  Inside(a, [&] { listener = testing::Listen(a.ip, 0); });
  ASSERT_TRUE(listener.valid());
  EXPECT_TRUE(testing::Connect(a.ip, testing::BoundPort(listener.get()), 2000).valid());
  listener.reset();
  // A requested address never comes from the pool.
  auto fixed = hn_->Attach(NewId("i"), "subnet-a", "10.251.224.99");
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  EXPECT_EQ(hn_->PoolHitsForTest(), 1u);
  ASSERT_TRUE(hn_->WaitForPoolForTest(std::chrono::seconds(20))) << "the pool refills";
  ASSERT_TRUE(hn_->Detach(a.instance_id).ok());
  EXPECT_FALSE(PathExists(lease));
  ASSERT_TRUE(hn_->Teardown().ok());
  EXPECT_TRUE(ListNetns(hn_->config().name + "-")->empty());
  EXPECT_FALSE(PathExists(state_dir_ + "/net/ipam"));
}

// After a reboot the pool refills before reconcile asks for the addresses instances recorded: an
// address a pooled namespace holds is given up to the instance asking for it.
TEST_F(HostNetworkTest, RequestedAddressHeldByThePoolIsGivenUp) {
  Init(5, 0, 1);
  ASSERT_TRUE(hn_->WaitForPoolForTest(std::chrono::seconds(20)));
  const std::string ipam = state_dir_ + "/net/ipam";
  auto pooled = [&] {
    std::vector<std::string> ips;
    Result<std::vector<HostLocalLease>> leases = ListHostLocalLeases(ipam + "/subnet-a", hn_->config().name);
    EXPECT_TRUE(leases.ok()) << leases.status().ToString();
    if (!leases.ok()) return ips;
    for (const HostLocalLease& l : *leases)
      if (l.container_id.rfind("pool-", 0) == 0 && l.ip.rfind("10.251.40.", 0) == 0) ips.push_back(l.ip);
    return ips;
  };
  ASSERT_EQ(pooled().size(), 1u);
  const std::string held = pooled()[0];
  std::string id = NewId("i");
  auto a = hn_->Attach(id, "subnet-a", held);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->ip, held);
  EXPECT_EQ(hn_->PoolHitsForTest(), 0u) << "a requested address never comes from the pool";
  auto inspected = hn_->Inspect(id);
  ASSERT_TRUE(inspected.ok()) << inspected.status().ToString();
  EXPECT_EQ(inspected->ip, held);
  EXPECT_EQ(inspected->host_veth, a->host_veth);
  ASSERT_TRUE(hn_->WaitForPoolForTest(std::chrono::seconds(20))) << "the pool refills";
  ASSERT_EQ(pooled().size(), 1u);
  EXPECT_NE(pooled()[0], held);
  EXPECT_EQ(ListNetns(hn_->config().name + "-pool-")->size(), 2u);
  // An address an instance holds is still refused.
  EXPECT_EQ(hn_->Attach(NewId("i"), "subnet-a", held).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(*hn_->ListAttached(), std::vector<std::string>{id});
}

TEST_F(HostNetworkTest, SetupRemovesWhatACrashLeft) {
  Init(30);
  const std::string name = hn_->config().name;
  const std::string dir = state_dir_ + "/net/ipam/subnet-a/" + name;
  // A pooled namespace and its lease, and the lease of an instance whose namespace is gone.
  ASSERT_TRUE(CreateNetns(name + "-pool-0123456789ab").ok());
  ASSERT_TRUE(MakeDirs(dir).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/10.251.240.7", "pool-0123456789ab\r\neth0").ok());
  std::string gone = NewId("i");
  ASSERT_TRUE(WriteFileAtomic(dir + "/10.251.240.8", gone + "\r\neth0").ok());
  Attachment live = MustAttach("subnet-a");
  // The one store all subnets shared before: an older daemon's instance keeps its address there.
  const std::string shared = state_dir_ + "/net/ipam/" + name;
  Attachment old = MustAttach("subnet-b");
  ASSERT_TRUE(MakeDirs(shared).ok());
  ASSERT_EQ(rename(Lease("subnet-b", old.ip).c_str(), (shared + "/" + old.ip).c_str()), 0);
  ASSERT_TRUE(WriteFileAtomic(shared + "/10.251.241.9", NewId("i") + "\r\neth0").ok());
  ASSERT_TRUE(hn_->Setup().ok());
  EXPECT_FALSE(NetnsExists(name + "-pool-0123456789ab"));
  EXPECT_FALSE(PathExists(dir + "/10.251.240.7"));
  EXPECT_FALSE(PathExists(dir + "/10.251.240.8"));
  EXPECT_TRUE(PathExists(dir + "/" + live.ip)) << "a live instance keeps its address";
  EXPECT_TRUE(PathExists(Lease("subnet-b", old.ip))) << "moved to its subnet's store";
  EXPECT_FALSE(PathExists(Lease("subnet-b", "10.251.241.9"))) << "an orphan, released after the move";
  EXPECT_FALSE(PathExists(shared));
  auto dup = hn_->Attach(NewId("i"), "subnet-b", old.ip);
  EXPECT_EQ(dup.status().code(), Code::kFailedPrecondition) << "the moved lease still holds the address";
}

// A reused address must reach its new interface at once: the host's neighbour entry for it ends up
// with the new interface's MAC (the address's own), whatever the host held before.
TEST_F(HostNetworkTest, DetachThenAttachOfTheSameAddressLeavesTheNewMac) {
  Init(7);
  const std::string ip = "10.251.56.20";
  const std::string want = MacForIpv4(*ParseIpv4(ip));
  EXPECT_EQ(want, "02:42:0a:fb:38:14");
  // Another port on the bridge, as the pool keeps one: a bridge that loses its last port loses its
  // carrier, and with it every neighbour entry, which would hide what this test looks for.
  Attachment keeper = MustAttach("subnet-a");
  auto first = hn_->Attach(NewId("i"), "subnet-a", ip);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->mac, want);
  // One datagram from the host, received inside: the host resolved the address, and no traffic is left
  // in flight to re-learn the entry after the detach.
  UniqueFd inbox;
  Inside(*first, [&] {
    inbox.reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(9);
    inet_pton(AF_INET, ip.c_str(), &sin.sin_addr);
    ASSERT_EQ(bind(inbox.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0) << strerror(errno);
    timeval five{5, 0};
    setsockopt(inbox.get(), SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
  });
  {
    UniqueFd out(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    inet_pton(AF_INET, ip.c_str(), &to.sin_addr);
    ASSERT_EQ(sendto(out.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 1) << strerror(errno);
    char c;
    ASSERT_EQ(recv(inbox.get(), &c, 1, 0), 1) << strerror(errno);
  }
  inbox.reset();
  EXPECT_EQ(HostNeighbourMac(ip), want);
  ASSERT_TRUE(hn_->Detach(first->instance_id).ok());
  EXPECT_EQ(HostNeighbourMac(ip), "") << "the entry goes with the address";
  // What an earlier holder with another MAC would have left (a host running an older version, or
  // traffic still in flight when the entry went): a REACHABLE entry with the wrong MAC.
  ASSERT_TRUE(RunProcess({"ip", "neigh", "replace", ip, "lladdr", "02:00:00:00:00:99", "dev", hn_->BridgeName(0),
                          "nud", "reachable"})
                  .ok());
  ASSERT_EQ(HostNeighbourMac(ip), "02:00:00:00:00:99");

  auto second = hn_->Attach(NewId("i"), "subnet-a", ip);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  std::string inside;
  Inside(*second, [&] { inside = LinkMac("eth0").ok() ? *LinkMac("eth0") : "?"; });
  EXPECT_EQ(inside, want);
  EXPECT_EQ(second->mac, want);
  EXPECT_EQ(HostNeighbourMac(ip), want) << "the host has the new interface's MAC";
  UniqueFd listener;
  Inside(*second, [&] { listener = testing::Listen(ip, 0); });
  ASSERT_TRUE(listener.valid());
  EXPECT_TRUE(testing::Connect(ip, testing::BoundPort(listener.get()), 2000).valid());
  listener.reset();

  // A secondary address moved onto the interface (primary = false) keeps the interface's MAC.
  auto secondary = hn_->PublishAddress(second->netns_path, "eth0", "10.251.56.21", false);
  ASSERT_TRUE(secondary.ok()) << secondary.status().ToString();
  EXPECT_EQ(*secondary, want);
  EXPECT_EQ(HostNeighbourMac("10.251.56.21"), want);
  EXPECT_TRUE(hn_->WithdrawAddress("10.251.56.21").ok());
  EXPECT_EQ(HostNeighbourMac("10.251.56.21"), "");
  EXPECT_EQ(hn_->PublishAddress(second->netns_path, "eth0", "192.0.2.1").status().code(), Code::kInvalidArgument);

  // Reattach (a start after a stop, a daemon restart) publishes it again too.
  ASSERT_TRUE(RunProcess({"ip", "neigh", "replace", ip, "lladdr", "02:00:00:00:00:99", "dev", hn_->BridgeName(0),
                          "nud", "reachable"})
                  .ok());
  auto again = hn_->Reattach(second->instance_id);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->mac, want);
  EXPECT_EQ(HostNeighbourMac(ip), want);
  EXPECT_EQ(hn_->Reattach(NewId("i")).status().code(), Code::kNotFound);
}

// The pool's claim publishes the address as a plain attach does.
TEST_F(HostNetworkTest, PoolClaimLeavesTheNewMac) {
  Init(9, 0, 1);
  ASSERT_TRUE(hn_->WaitForPoolForTest(std::chrono::seconds(20)));
  auto leases = ListHostLocalLeases(state_dir_ + "/net/ipam/subnet-a", hn_->config().name);
  ASSERT_TRUE(leases.ok() && leases->size() == 1u);
  const std::string ip = (*leases)[0].ip;
  ASSERT_TRUE(RunProcess({"ip", "neigh", "replace", ip, "lladdr", "02:00:00:00:00:99", "dev", hn_->BridgeName(0),
                          "nud", "reachable"})
                  .ok());
  Attachment a = MustAttach("subnet-a");
  EXPECT_EQ(hn_->PoolHitsForTest(), 1u);
  EXPECT_EQ(a.ip, ip);
  EXPECT_EQ(a.mac, MacForIpv4(*ParseIpv4(ip)));
  EXPECT_EQ(HostNeighbourMac(ip), a.mac);
  ASSERT_TRUE(hn_->Detach(a.instance_id).ok());
  EXPECT_EQ(HostNeighbourMac(ip), "");
}

// Each subnet has its own address store, so a freed address is not handed out again before the
// subnet's range has been gone through, however launches alternate between subnets.
TEST_F(HostNetworkTest, EachSubnetRotatesThroughItsRange) {
  Init(11);
  std::set<std::string> seen;
  for (int i = 0; i < 6; i++) {
    Attachment a = MustAttach("subnet-a");
    Attachment b = MustAttach("subnet-b");
    EXPECT_TRUE(seen.insert(a.ip).second) << a.ip << " handed out again";
    EXPECT_TRUE(seen.insert(b.ip).second) << b.ip << " handed out again";
    EXPECT_TRUE(PathExists(Lease("subnet-a", a.ip)));
    EXPECT_TRUE(PathExists(Lease("subnet-b", b.ip)));
    ASSERT_TRUE(hn_->Detach(a.instance_id).ok());
    ASSERT_TRUE(hn_->Detach(b.instance_id).ok());
  }
}

// Not a timing assertion: prints Attach/Detach latencies for docs/network.md.
TEST_F(HostNetworkTest, AttachDetachLatency) {
  Init(14);
  constexpr int kRounds = 20;
  std::vector<double> attach_ms, detach_ms;
  for (int i = 0; i < kRounds; i++) {
    std::string id = NewId("i");
    auto t0 = std::chrono::steady_clock::now();
    auto a = hn_->Attach(id, "subnet-a");
    auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(hn_->Detach(id).ok());
    auto t2 = std::chrono::steady_clock::now();
    attach_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    detach_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  auto pct = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(p * (v.size() - 1))];
  };
  std::printf(
      "{\"attach_ms_p50\": %.1f, \"attach_ms_p90\": %.1f, \"detach_ms_p50\": %.1f, \"detach_ms_p90\": "
      "%.1f}\n",
      pct(attach_ms, 0.5), pct(attach_ms, 0.9), pct(detach_ms, 0.5), pct(detach_ms, 0.9));
}

// Not a timing assertion: Attach served from a ready pool (the pool refills between rounds).
TEST_F(HostNetworkTest, PooledAttachLatency) {
  Init(3, 0, 2);
  std::vector<double> attach_ms;
  for (int i = 0; i < 20; i++) {
    ASSERT_TRUE(hn_->WaitForPoolForTest(std::chrono::seconds(20)));
    std::string id = NewId("i");
    auto t0 = std::chrono::steady_clock::now();
    auto a = hn_->Attach(id, "subnet-a");
    auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(hn_->Detach(id).ok());
    attach_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  EXPECT_EQ(hn_->PoolHitsForTest(), 20u);
  std::sort(attach_ms.begin(), attach_ms.end());
  std::printf("{\"pooled_attach_ms_p50\": %.2f, \"pooled_attach_ms_p90\": %.2f}\n", attach_ms[10],
              attach_ms[18]);
}

}  // namespace
}  // namespace stratus::net
