// Test and benchmark support: a minimal busybox root filesystem built from the host's
// /bin/busybox (Debian busybox-static), the same thing the built-in busybox image holds.
#pragma once

#include <string>

#include "common/status.h"

namespace stratus::testing {

inline constexpr char kHostBusybox[] = "/bin/busybox";

// True when the host can run instances in tests: root, runc in PATH, a static /bin/busybox.
bool CanRunInstances(std::string* why_not);

// Fills `dir` with bin/busybox, a symlink per applet (bin/sh, usr/bin/wget, ...) and the usual
// empty directories (etc, root, tmp, var, proc, sys, dev, run). Idempotent.
Status BuildBusyboxRootfs(const std::string& dir);

// Unmounts (lazily) every mount at or below `prefix`, deepest first. For test teardown.
void UnmountAllUnder(const std::string& prefix);

}  // namespace stratus::testing
