#include "compute/oci_spec.h"

#include <gtest/gtest.h>

#include <set>

namespace stratus {
namespace {

using nlohmann::json;

OciSpecInput Input() {
  OciSpecInput in;
  in.instance_id = "i-0123456789abcdef0";
  in.hostname = "ip-10-0-0-5";
  in.rootfs_path = "/state/i-0123/rootfs";
  in.init_binary_path = "/usr/lib/stratus/stratus-init";
  in.run_dir = "/state/i-0123/run";
  in.cgroups_path = CgroupsPathFor("stratus", in.instance_id);
  in.type = *InstanceTypeTable::Default().Find("t3.micro");
  return in;
}

const json* FindMount(const json& spec, const std::string& dest) {
  for (const auto& m : spec["mounts"]) {
    if (m["destination"] == dest) return &m;
  }
  return nullptr;
}

bool HasOption(const json& mount, const std::string& opt) {
  for (const auto& o : mount["options"]) {
    if (o == opt) return true;
  }
  return false;
}

TEST(OciSpecTest, ProcessRootHostnameAndMounts) {
  auto spec = BuildOciSpec(Input());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const json& s = *spec;
  EXPECT_EQ(s["root"]["path"], "/state/i-0123/rootfs");
  EXPECT_EQ(s["process"]["args"], json({"/sbin/stratus-init"}));
  EXPECT_EQ(s["hostname"], "ip-10-0-0-5");
  bool has_id = false;
  for (const auto& e : s["process"]["env"]) has_id |= e == "INSTANCE_ID=i-0123456789abcdef0";
  EXPECT_TRUE(has_id);
  const json* init = FindMount(s, "/sbin/stratus-init");
  ASSERT_NE(init, nullptr);
  EXPECT_EQ((*init)["source"], "/usr/lib/stratus/stratus-init");
  EXPECT_TRUE(HasOption(*init, "ro"));
  const json* run = FindMount(s, "/run/stratus");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ((*run)["source"], "/state/i-0123/run");
  EXPECT_TRUE(HasOption(*run, "rw"));
  for (const char* d : {"/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"}) {
    EXPECT_NE(FindMount(s, d), nullptr) << d;
  }
  EXPECT_TRUE(HasOption(*FindMount(s, "/sys"), "ro"));
}

TEST(OciSpecTest, NamespacesCapabilitiesAndCgroup) {
  OciSpecInput in = Input();
  in.netns_path = "/var/run/netns/strt-x";
  json s = *BuildOciSpec(in);
  std::set<std::string> types;
  for (const auto& ns : s["linux"]["namespaces"]) {
    types.insert(ns["type"]);
    if (ns["type"] == "network") {
      EXPECT_EQ(ns["path"], "/var/run/netns/strt-x");
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"pid", "ipc", "uts", "mount", "network", "cgroup"}));
  EXPECT_EQ(s["linux"]["cgroupsPath"], "/stratus/i-0123456789abcdef0");
  auto caps = s["process"]["capabilities"]["bounding"];
  EXPECT_EQ(caps.size(), 14u);
  EXPECT_NE(std::find(caps.begin(), caps.end(), "CAP_NET_BIND_SERVICE"), caps.end());
  EXPECT_EQ(std::find(caps.begin(), caps.end(), "CAP_SYS_ADMIN"), caps.end());

  in.netns_path = "";
  json fresh = *BuildOciSpec(in);
  for (const auto& ns : fresh["linux"]["namespaces"]) EXPECT_FALSE(ns.contains("path"));
}

TEST(OciSpecTest, ResourcesFromInstanceType) {
  OciSpecInput in = Input();
  in.type = {"x1.half", 0.5, 256, 300};
  json r = (*BuildOciSpec(in))["linux"]["resources"];
  EXPECT_EQ(r["cpu"]["period"], 100000);
  EXPECT_EQ(r["cpu"]["quota"], 50000);
  EXPECT_EQ(r["memory"]["limit"], 256LL * 1024 * 1024);
  EXPECT_EQ(r["pids"]["limit"], 300);
  in.type = *InstanceTypeTable::Default().Find("c5.large");
  EXPECT_EQ((*BuildOciSpec(in))["linux"]["resources"]["cpu"]["quota"], 200000);
}

TEST(OciSpecTest, NamespacedSysctlsAccepted) {
  OciSpecInput in = Input();
  in.sysctls = {{"net.core.somaxconn", "4096"}, {"net.ipv4.tcp_fin_timeout", "15"}, {"kernel.shmmax", "68719476736"},
                {"kernel.msgmax", "65536"}, {"kernel.sem", "250 32000 100 128"}, {"fs.mqueue.msg_max", "100"}};
  auto s = BuildOciSpec(in);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)["linux"]["sysctl"]["net.core.somaxconn"], "4096");
  EXPECT_EQ((*s)["linux"]["sysctl"].size(), 6u);
}

TEST(OciSpecTest, NonNamespacedSysctlRefused) {
  OciSpecInput in = Input();
  in.sysctls = {{"kernel.pid_max", "100000"}};
  auto s = BuildOciSpec(in);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "sysctl kernel.pid_max is not namespaced; only net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* "
            "can be set per instance");
  for (const char* bad : {"vm.swappiness", "fs.file-max", "kernel.hostname", "kernel.semx"}) {
    EXPECT_EQ(ValidateSysctls({{bad, "1"}}).code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ValidateSysctls({{"net/core/../../x", "1"}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidateSysctls({{"net.core.somaxconn", "1\nkernel.x=1"}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidateSysctls({{"net.core.somaxconn", ""}}).code(), Code::kInvalidArgument);
}

TEST(OciSpecTest, ExtraBindMounts) {
  OciSpecInput in = Input();
  in.extra_mounts = {{"/state/net/resolv.conf", "/etc/resolv.conf", true}, {"/data", "/mnt/data", false}};
  json s = *BuildOciSpec(in);
  const json* r = FindMount(s, "/etc/resolv.conf");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ((*r)["source"], "/state/net/resolv.conf");
  EXPECT_TRUE(HasOption(*r, "ro"));
  EXPECT_TRUE(HasOption(*FindMount(s, "/mnt/data"), "rw"));
  in.extra_mounts = {{"/x", "relative/path", true}};
  EXPECT_EQ(BuildOciSpec(in).status().code(), Code::kInvalidArgument);
  in.extra_mounts = {{"/x", "/etc/../../escape", true}};
  EXPECT_EQ(BuildOciSpec(in).status().code(), Code::kInvalidArgument);
}

TEST(OciSpecTest, MissingFieldsRefused) {
  OciSpecInput in = Input();
  in.rootfs_path = "";
  EXPECT_EQ(BuildOciSpec(in).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace stratus
