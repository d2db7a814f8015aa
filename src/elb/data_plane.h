// DataPlane: stratusd's side of the stratus-lb process — starting it when it is not running, pushing
// configuration snapshots and reading status. stratus-lb runs in its own session so it keeps serving
// when stratusd stops or crashes; a restarted stratusd reconnects to it.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "lb/config.h"
#include "lb/control_client.h"

namespace stratus::elb {

class DataPlane {
 public:
  virtual ~DataPlane() = default;
  // Pushes a full configuration. Unavailable when stratus-lb cannot be reached or started.
  virtual Status Apply(const lb::LbConfig& config) = 0;
  virtual Result<lb::LbStatus> GetStatus() = 0;
  virtual Result<std::string> GetPrometheus() = 0;
  // The configuration version the data plane runs (0 when unknown or none).
  virtual uint64_t RunningVersion() = 0;
};

struct LbProcessOptions {
  std::string binary;       // stratus-lb
  std::string socket_path;  // STATE/lb.sock
  std::string log_path;     // STATE/stratus-lb.log
  int workers = 1;
};

// The real data plane: a stratus-lb process on this host.
class LbProcess : public DataPlane {
 public:
  explicit LbProcess(LbProcessOptions options);

  Status Apply(const lb::LbConfig& config) override;
  Result<lb::LbStatus> GetStatus() override;
  Result<std::string> GetPrometheus() override;
  uint64_t RunningVersion() override;

  // Stops the stratus-lb process of `socket_path` (for uninstall). OK when none runs.
  static Status StopProcess(const std::string& socket_path);

 private:
  // Connects, starting stratus-lb first when nothing answers on the socket, or replacing the running one when it
  // is another executable than options_.binary (an upgrade). Requires mu_.
  Status EnsureConnected();
  // Starts options_.binary; returns its pid.
  Result<int> Spawn();

  LbProcessOptions options_;
  std::mutex mu_;
  std::unique_ptr<lb::ControlClient> client_;  // GUARDED_BY(mu_)
  bool replaced_ = false;                      // GUARDED_BY(mu_)
};

}  // namespace stratus::elb
