// Seamless replacement of a running stratus-lb by a new one, as HAProxy's seamless reload does it. The new
// process connects to the old one's control socket and asks for a hand-over; the old one answers with its
// configuration, its targets' health and its listening sockets (SCM_RIGHTS). The new one serves on those very
// sockets (the kernel's accept queues are shared, so no connection is refused or reset), takes over the control
// socket path, then sends "release": the old one stops accepting, answers each keep-alive client's next request
// with "Connection: close", and exits once its last connection is gone. See docs/lb.md, "Replacing stratus-lb".
//
// Wire protocol on the control connection (newline-delimited JSON, as the rest of the control protocol):
//   new -> old  {"op":"handover"}
//   old -> new  {"ok":true,"op":"handover","pid":P,"config":{...},"targets":[...],"listeners":[{"bind","fds"}]}
//               then, per listener in that order, one byte carrying its `fds` sockets in SCM_RIGHTS
//   new -> old  {"op":"release"}
//   old -> new  {"ok":true,"op":"release"}
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fd.h"
#include "common/status.h"
#include "lb/config.h"

namespace stratus::lb::handover {

// Old side: writes the "handover" answer on control connection `fd`. `targets` is the "targets" array of the
// status answer (health to carry over); `sockets` maps each bind address to its listening sockets.
Status SendListeners(int fd, const LbConfig& config, const nlohmann::json& targets,
                     const std::map<std::string, std::vector<int>>& sockets);

// What the new process receives.
struct Inherited {
  UniqueFd conn;  // the control connection to the old process (Release() uses it)
  int old_pid = 0;
  LbConfig config;
  nlohmann::json targets = nlohmann::json::array();
  std::map<std::string, std::vector<UniqueFd>> sockets;  // by bind address
};

// New side: asks the process behind `control_path` for its listeners. nullopt when nothing answers there (no
// process to replace); an error when one answers but the hand-over fails (it then keeps serving).
Result<std::optional<Inherited>> TakeOver(const std::string& control_path, int timeout_ms);

// New side, once it serves on the inherited sockets and listens on the control path: tells the old process to
// stop accepting and drain, and waits for its answer.
Status Release(Inherited& inherited, int timeout_ms);

}  // namespace stratus::lb::handover
