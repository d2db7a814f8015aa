// Needs root: security groups in the kernel. A bridge stnsg<hex>, namespaces stnsg<hex>-<role> with addresses in
// 10.249.N.0/24 (N = 7, 8, 9: one block per test, since ctest -j runs them side by side), table inet
// stnsg<hex>-sg; all removed in TearDown. Traffic only between these namespaces.
#include "vpc/sg_firewall.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>

#include "common/fd.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "net/netns.h"

namespace stratus::vpc {
namespace {

constexpr int kWebPort = 80;
constexpr int kDbPort = 5432;

Rule Allow(int port, const std::string& cidr, const std::string& group = "") {
  Rule r;
  r.rule_id = "sgr-" + std::to_string(port);
  r.protocol = "tcp";
  r.from_port = port;
  r.to_port = port;
  r.cidr = cidr;
  r.referenced_group_id = group;
  return r;
}

Rule AllOut() {
  Rule r;
  r.rule_id = "sgr-out";
  r.egress = true;
  r.protocol = "-1";
  r.cidr = "0.0.0.0/0";
  return r;
}

Status Sh(const std::vector<std::string>& argv) { return RunChecked(argv).status(); }

// Opens a TCP connection from namespace `ns` to ip:port; an fd once the handshake completed within `wait_ms`.
Result<UniqueFd> Connect(const std::string& ns, const std::string& ip, int port, int wait_ms) {
  UniqueFd out;
  Status st = net::RunInNetns(net::NetnsPath(ns), [&]() -> Status {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
      return Unavailable("connect: " + std::string(strerror(errno)));
    }
    pollfd p{fd.get(), POLLOUT, 0};
    if (poll(&p, 1, wait_ms) != 1) return Unavailable("no answer");
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Unavailable("connect: " + std::string(strerror(err)));
    out = std::move(fd);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

class FirewallKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const std::string net = "10.249." + std::to_string(test.rfind("Matrix", 0) == 0 ? 7 : test.rfind("Revoke", 0) == 0 ? 8 : 9) + ".";
    prefix_ = "stnsg" + RandomHex(4);
    ASSERT_TRUE(Sh({"ip", "link", "add", prefix_, "type", "bridge"}).ok());
    ASSERT_TRUE(Sh({"ip", "addr", "add", net + "1/24", "dev", prefix_}).ok());
    ASSERT_TRUE(Sh({"ip", "link", "set", prefix_, "up"}).ok());
    int n = 2;
    for (const char* role : {"web", "db", "client", "stray"}) {
      std::string ns = prefix_ + "-" + role, veth = prefix_ + role[0] + role[1];
      ip_[role] = net + std::to_string(n++);
      ASSERT_TRUE(net::CreateNetns(ns).ok());
      ASSERT_TRUE(Sh({"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns}).ok());
      ASSERT_TRUE(Sh({"ip", "link", "set", veth, "master", prefix_, "up"}).ok());
      ASSERT_TRUE(Sh({"ip", "-n", ns, "addr", "add", ip_[role] + "/24", "dev", "eth0"}).ok());
      ASSERT_TRUE(Sh({"ip", "-n", ns, "link", "set", "eth0", "up"}).ok());
      for (int port : {kWebPort, kDbPort}) {  // every namespace listens on both ports
        Status st = net::RunInNetns(net::NetnsPath(ns), [&]() -> Status {
          UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_port = htons(port);
          if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd.get(), 64) != 0) {
            return Internal(strerror(errno));
          }
          listeners_[std::string(role) + std::to_string(port)] = std::move(fd);
          return Status::Ok();
        });
        ASSERT_TRUE(st.ok()) << st.ToString();
      }
    }
    web_ = {"sg-web", "web", "", "vpc-1", {}, {Allow(kWebPort, "0.0.0.0/0"), AllOut()}};
    db_ = {"sg-db", "db", "", "vpc-1", {}, {Allow(kDbPort, "", "sg-web"), AllOut()}};
    client_ = {"sg-client", "client", "", "vpc-1", {}, {AllOut()}};
    FirewallOptions o;
    o.table = prefix_ + "-sg";
    o.guarded_cidrs = {net + "0/24"};
    fw_ = std::make_unique<SecurityGroupFirewall>(o);
  }

  void TearDown() override {
    listeners_.clear();
    for (const char* role : {"web", "db", "client", "stray"}) (void)net::DeleteNetns(prefix_ + "-" + role);
    (void)Sh({"ip", "link", "del", prefix_});
    EXPECT_TRUE(SecurityGroupFirewall::DeleteTable(prefix_ + "-sg").ok());
  }

  Status SyncMatrix() {
    return fw_->Sync({web_, db_, client_}, {{"i-web", ip_["web"], {"sg-web"}},
                                            {"i-db", ip_["db"], {"sg-db"}},
                                            {"i-client", ip_["client"], {"sg-client"}}});
  }

  bool Reaches(const std::string& from, const std::string& to, int port) {
    // A dropped SYN never answers: a second is ample for namespaces on one bridge; an allowed one is at once.
    return Connect(prefix_ + "-" + from, ip_[to], port, 1000).ok();
  }

  std::string prefix_;
  std::map<std::string, std::string> ip_;
  std::map<std::string, UniqueFd> listeners_;
  SecurityGroup web_, db_, client_;
  std::unique_ptr<SecurityGroupFirewall> fw_;
};

TEST_F(FirewallKernelTest, MatrixOfThreeGroups) {
  ASSERT_TRUE(Reaches("client", "db", kDbPort));  // nothing filtered before the table exists
  ASSERT_TRUE(SyncMatrix().ok());
  for (const std::string from : {"web", "db", "client"}) {
    for (const std::string to : {"web", "db", "client"}) {
      if (from == to) continue;
      for (int port : {kWebPort, kDbPort}) {
        bool allowed = (to == "web" && port == kWebPort) || (to == "db" && port == kDbPort && from == "web");
        EXPECT_EQ(Reaches(from, to, port), allowed) << from << " -> " << to << ":" << port;
      }
    }
  }
  // An address of the subnet that no interface holds is closed both ways.
  EXPECT_FALSE(Reaches("stray", "web", kWebPort));
  EXPECT_FALSE(Reaches("web", "stray", kWebPort));
}

TEST_F(FirewallKernelTest, RevokeStopsNewConnectionsAndKeepsEstablishedOnes) {
  ASSERT_TRUE(SyncMatrix().ok());
  auto flow = Connect(prefix_ + "-web", ip_["db"], kDbPort, 2000);
  ASSERT_TRUE(flow.ok()) << flow.status().ToString();
  SecurityGroup revoked = db_;
  revoked.rules = {AllOut()};
  ASSERT_TRUE(fw_->SetGroup(revoked).ok());
  EXPECT_FALSE(Reaches("web", "db", kDbPort));  // at once: the answer to SetGroup came after the commit
  // The flow opened before passes both ways (conntrack), as AWS keeps tracked connections.
  ASSERT_EQ(write(flow->get(), "ping", 4), 4);
  Status st = net::RunInNetns(net::NetnsPath(prefix_ + "-db"), [&]() -> Status {
    pollfd p{listeners_["db" + std::to_string(kDbPort)].get(), POLLIN, 0};
    if (poll(&p, 1, 2000) != 1) return Unavailable("no pending connection");
    UniqueFd c(accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC));
    char buf[8] = {};
    pollfd q{c.get(), POLLIN, 0};
    if (poll(&q, 1, 2000) != 1 || read(c.get(), buf, sizeof buf) != 4) return Unavailable("no data");
    if (write(c.get(), "pong", 4) != 4) return Internal("write");
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  pollfd p{flow->get(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  ASSERT_TRUE(fw_->SetGroup(db_).ok());  // authorized again: new connections pass again
  EXPECT_TRUE(Reaches("web", "db", kDbPort));
}

TEST_F(FirewallKernelTest, GroupSetsFollowInterfaces) {
  ASSERT_TRUE(SyncMatrix().ok());
  EXPECT_FALSE(Reaches("client", "db", kDbPort));
  // The client joins the web group (ModifyInstanceAttribute): db admits it; it leaves: no more.
  ASSERT_TRUE(fw_->SetInterface({"i-client", ip_["client"], {"sg-client", "sg-web"}}).ok());
  EXPECT_TRUE(Reaches("client", "db", kDbPort));
  EXPECT_TRUE(Reaches("db", "client", kWebPort));  // and admits what web admits
  ASSERT_TRUE(fw_->SetInterface({"i-client", ip_["client"], {"sg-client"}}).ok());
  EXPECT_FALSE(Reaches("client", "db", kDbPort));
  // An interface that goes (terminate) leaves its sets: its address is a stranger again.
  ASSERT_TRUE(fw_->RemoveInterface("i-web").ok());
  EXPECT_FALSE(Reaches("web", "db", kDbPort));
  auto listed = RunChecked({"nft", "list", "table", "inet", prefix_ + "-sg"});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->out.find(ip_["web"]), std::string::npos) << listed->out;
  EXPECT_EQ(listed->out.find("i-web"), std::string::npos) << listed->out;
  // A restart's Sync from the store puts back exactly what the store says.
  ASSERT_TRUE(SyncMatrix().ok());
  EXPECT_TRUE(Reaches("web", "db", kDbPort));
}

}  // namespace
}  // namespace stratus::vpc
