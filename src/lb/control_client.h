// Client of the stratus-lb control socket, for stratusd: push configuration snapshots, read target health and
// metrics. Blocking calls with timeouts; one caller at a time (not thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fd.h"
#include "common/status.h"
#include "lb/config.h"

namespace stratus::lb {

struct TargetHealth {
  std::string target_group;
  std::string id;
  std::string ip;
  int port = 0;
  std::string state;   // initial | healthy | unhealthy | draining | unused
  std::string reason;  // ELBv2 reason code and description, e.g. "Target.Timeout: request timed out"
};

struct LbStatus {
  uint64_t version = 0;  // configuration version in force
  std::vector<TargetHealth> targets;
  nlohmann::json metrics;  // {"listeners": {...}, "target_groups": {...}, "targets": {...}} (docs/lb.md)
};

class ControlClient {
 public:
  // Connects to the control socket at `path` and reads the hello line. Unavailable when stratus-lb is not there.
  static Result<std::unique_ptr<ControlClient>> Connect(const std::string& path, int timeout_ms = 5000);

  // The configuration version stratus-lb had when this client connected (0: none yet, send a snapshot).
  uint64_t hello_version() const { return hello_version_; }
  // The process id of the stratus-lb this client is connected to.
  int hello_pid() const { return hello_pid_; }

  // Sends a full configuration snapshot; returns once every worker runs it, or the reason it was refused
  // (InvalidArgument for a bad config, Unavailable for e.g. a listener port already in use).
  Status Apply(const LbConfig& config);

  // Target health and every metric.
  Result<LbStatus> GetStatus();

  // Every metric in Prometheus text format.
  Result<std::string> GetPrometheus();

 private:
  ControlClient(UniqueFd fd, int timeout_ms) : fd_(std::move(fd)), timeout_ms_(timeout_ms) {}
  Result<nlohmann::json> ReadLine();
  Result<nlohmann::json> Call(const nlohmann::json& request);

  UniqueFd fd_;
  int timeout_ms_;
  uint64_t hello_version_ = 0;
  int hello_pid_ = 0;
  std::string buf_;
};

}  // namespace stratus::lb
