// FakeDataPlane: the DataPlane (elb/data_plane.h) of unit tests. It keeps the last configuration applied,
// reports every target of it healthy, and refuses a configuration that listens on a port the test marked
// busy, as stratus-lb refuses a port in use.
#pragma once

#include <mutex>
#include <set>
#include <string>

#include "elb/data_plane.h"

namespace stratus::elb {

class FakeDataPlane : public DataPlane {
 public:
  Status Apply(const lb::LbConfig& config) override {
    std::lock_guard lock(mu_);
    for (const auto& l : config.listeners) {
      std::string port = l.bind.substr(l.bind.rfind(':') + 1);
      if (busy_ports_.count(port)) return Unavailable("listener " + l.name + ": bind " + l.bind + ": address in use");
    }
    applied_ = config;
    return Status::Ok();
  }
  Result<lb::LbStatus> GetStatus() override {
    std::lock_guard lock(mu_);
    lb::LbStatus st;
    st.version = applied_.version;
    st.metrics = nlohmann::json::object();
    return st;
  }
  Result<std::string> GetPrometheus() override { return std::string("# stratus-lb\n"); }
  uint64_t RunningVersion() override {
    std::lock_guard lock(mu_);
    return applied_.version;
  }

  void MarkBusy(int port) {
    std::lock_guard lock(mu_);
    busy_ports_.insert(std::to_string(port));
  }
  lb::LbConfig Applied() const {
    std::lock_guard lock(mu_);
    return applied_;
  }

 private:
  mutable std::mutex mu_;
  lb::LbConfig applied_;
  std::set<std::string> busy_ports_;
};

}  // namespace stratus::elb
