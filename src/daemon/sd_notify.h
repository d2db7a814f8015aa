// systemd's readiness protocol (sd_notify(3)), without libsystemd: one datagram to $NOTIFY_SOCKET.
#pragma once

#include <string>

namespace stratus {

// Sends `state` ("READY=1", "STOPPING=1", "STATUS=...") to the service manager; a no-op (false) when
// stratusd does not run under a Type=notify unit.
bool NotifyServiceManager(const std::string& state);

}  // namespace stratus
