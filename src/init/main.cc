// stratus-init: PID 1 of every Stratus instance. See supervisor.h.
//
// Usage: stratus-init [RUN_DIR]   (RUN_DIR defaults to /run/stratus; tests pass their own and
// set STRATUS_INIT_MARKER to keep the user-data marker out of the host's /var/lib)
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/files.h"
#include "init/init_config.h"
#include "init/supervisor.h"

using namespace stratus;

namespace {

void SetHostname(const std::string& name) {
  if (name.empty()) return;
  char current[256] = {};
  gethostname(current, sizeof current - 1);
  if (name == current) return;  // the runtime already set it from the OCI spec
  if (sethostname(name.data(), name.size()) != 0) InitLog("cannot set hostname " + name + ": " + strerror(errno));
}

}  // namespace

int main(int argc, char** argv) {
  SupervisorOptions options;
  if (argc > 1) options.run_dir = argv[1];
  if (const char* marker = getenv("STRATUS_INIT_MARKER")) options.user_data_marker = marker;
  options.is_pid1 = getpid() == 1;
  // Outside a PID namespace (tests), adopt orphans so they are reaped here too.
  if (!options.is_pid1) prctl(PR_SET_CHILD_SUBREAPER, 1);

  auto text = ReadFile(options.run_dir + "/" + kInitConfigFile);
  if (!text.ok()) {
    InitLog("cannot read init config: " + text.status().message());
    return 1;
  }
  auto config = InitConfigFromJson(*text);
  if (!config.ok()) {
    InitLog("bad init config: " + config.status().message());
    return 1;
  }
  InitLog("starting instance " + config->instance_id);
  SetHostname(config->hostname);
  Supervisor supervisor(std::move(config).value(), options);
  if (!supervisor.Setup()) {
    InitLog(std::string("cannot set up signal handling: ") + strerror(errno));
    return 1;
  }
  return supervisor.Run();
}
