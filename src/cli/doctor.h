// `stratus doctor`: what Stratus needs of this host, checked one by one, each problem with what to do.
// It reads the host (/proc, /sys, PATH, sockets) and changes nothing.
#pragma once

#include <string>
#include <vector>

namespace stratus::cli {

struct DoctorOptions {
  std::string listen = "127.0.0.1:7600";  // stratusd's API (its port + 1 is the metadata service)
  std::string vpc_cidr = "172.31.0.0/16";
  std::string state_dir = "/var/lib/stratus";
  std::string name = "stratus";
  std::string runtime = "runc";
  std::string cni_dir = "/usr/lib/cni";
};

enum class Verdict { kOk, kWarn, kFail };

struct DoctorCheck {
  std::string what;    // "overlayfs"
  Verdict verdict = Verdict::kOk;
  std::string detail;  // what was found
  std::string fix;     // what to do (empty when ok)
};

// Every check: cgroups, overlay, nftables, network namespaces, loop devices, reflinks, the OCI runtime,
// the CNI plugins, the API and metadata ports, IP forwarding, address ranges that clash with the VPC.
std::vector<DoctorCheck> RunDoctor(const DoctorOptions& options);

// Reads listen, vpc-cidr, state-dir, name and runtime from stratusd's config file into `options` when the
// file exists (so that doctor checks what stratusd will use); unknown keys are stratusd's business.
void ReadDaemonConfig(const std::string& path, DoctorOptions& options);

}  // namespace stratus::cli
