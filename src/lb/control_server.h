// The control socket of stratus-lb (newline-delimited JSON over a unix stream socket, see docs/lb.md) and the
// optional Prometheus endpoint. Runs on the process's main thread; nothing here is on the request path.
#pragma once

#include <atomic>
#include <string>

#include <nlohmann/json.hpp>

#include "common/fd.h"
#include "common/status.h"
#include "lb/load_balancer.h"

namespace stratus::lb {

class ControlServer {
 public:
  explicit ControlServer(LoadBalancer* lb) : lb_(lb) {}

  // Listens on a unix socket at `path` (an old socket file there is replaced; mode 0600).
  Status ListenControl(const std::string& path);
  // Serves GET /metrics (any path) in Prometheus text format on "ip:port".
  Status ListenMetrics(const std::string& bind);

  // Runs until `stop` turns true, or until the listeners were handed over to a new stratus-lb and the last
  // connection is gone: control requests, metrics scrapes and the load balancer's Tick().
  void Run(const std::atomic<bool>& stop);

  // Handles one request object; returns the response object (exposed for tests).
  nlohmann::json Handle(const nlohmann::json& request);

 private:
  void ServeMetrics(int fd);
  // The hand-over ops (lb/handover.h) on control connection `fd`; null when the answer was already written.
  nlohmann::json HandleHandover(const std::string& op, int fd);

  LoadBalancer* lb_;
  std::string control_path_;
  UniqueFd control_fd_;
  UniqueFd metrics_fd_;
  int handover_fd_ = -1;      // the connection of the new stratus-lb taking over, between "handover" and "release"
  bool handed_over_ = false;  // released: no longer accepting, exit once drained
  int64_t drain_deadline_ms_ = 0;
};

}  // namespace stratus::lb
