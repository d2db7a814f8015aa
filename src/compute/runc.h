// A thin wrapper over an OCI runtime binary (`runc`, or `runsc` which takes the same verbs),
// always with its own `--root DIR` so several daemons (and tests) keep separate container state.
// The runtime's own error messages become Status messages a user can read.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace stratus {

// What `runc state` reports about one container.
struct OciContainerState {
  std::string id;
  std::string status;  // "creating" | "created" | "running" | "paused" | "stopped"
  int pid = 0;         // the container's init as seen from the host; 0 when stopped
  std::string bundle;
};

class OciRuntimeCli {
 public:
  // `binary` is "runc", "runsc" or a path; `root` is passed as --root to every call.
  OciRuntimeCli(std::string binary, std::string root);

  // `runc run --detach --bundle BUNDLE --pid-file PID_FILE ID`: creates and starts the container
  // and returns once its process runs. The container's stdout and stderr are appended to
  // `console_log`; its stdin reads EOF. The runtime's own log goes to BUNDLE/runtime.log, and on
  // failure its last error is the returned message (AlreadyExists when the id is taken).
  Status Run(const std::string& id, const std::string& bundle, const std::string& console_log,
             const std::string& pid_file) const;

  // Sends `signal` to the container's init (all its processes when `all`). NotFound when the
  // container does not exist; FailedPrecondition when it is not running.
  Status Kill(const std::string& id, int signal, bool all = false) const;

  // Thaws a paused container (`runc resume`).
  Status Resume(const std::string& id) const;

  // Deletes the container (with `force`, killing it first when it runs). OK when it does not exist.
  Status Delete(const std::string& id, bool force) const;

  // The container's state; NotFound when the runtime does not know `id`.
  Result<OciContainerState> State(const std::string& id) const;

  // Every container under this root.
  Result<std::vector<OciContainerState>> List() const;

  const std::string& binary() const { return binary_; }
  const std::string& root() const { return root_; }

  // Run() then writes the console through `relay` (stratus-console-relay), which keeps at most `cap_bytes` of it
  // on disk (`console_log` and `console_log`.1, the latest output); without one it is appended to `console_log`.
  void SetConsoleRelay(std::string relay, int64_t cap_bytes) {
    relay_ = std::move(relay);
    console_cap_ = cap_bytes;
  }

 private:
  std::vector<std::string> Argv(std::initializer_list<std::string> args) const;
  Status Invoke(std::initializer_list<std::string> args, std::string* out) const;

  std::string binary_;
  std::string root_;
  std::string relay_;
  int64_t console_cap_ = 0;
};

// Classifies a runtime's error text: "does not exist" -> NotFound, "already exists" or
// "container with id exists" -> AlreadyExists, "not running"/"stopped" -> FailedPrecondition, otherwise Internal.
Status RuntimeError(const std::string& what, const std::string& message);

}  // namespace stratus
