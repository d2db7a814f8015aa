// Backups of an installation's state store, and restoring one (docs/operations.md, "Back up and restore").
// A backup is the store copied with SQLite's online backup while stratusd runs: instances, images' metadata,
// VPC, load balancers, groups, templates, alarms, with the installation's name. Restoring replaces the store of
// a stopped installation; the next stratusd start reconciles the host with it.
#pragma once

#include <string>

#include "common/fd.h"
#include "common/status.h"

namespace stratus {

// Takes STATE_DIR/stratusd.lock (created if needed): stratusd holds it while it runs, so a second stratusd
// and a restore are refused on a live installation. Unavailable when someone holds it.
Result<UniqueFd> LockStateDir(const std::string& state_dir);

struct RestoreOptions {
  std::string backup;     // the backup file
  std::string state_dir;  // of the stopped installation
  std::string name;       // its --name
  bool force = false;     // restore a backup of another installation name (it is renamed to `name`)
};

struct RestoreResult {
  std::string backup_name;  // the installation the backup was made of
  int instances = 0;        // instance records in it
  int images = 0;
  std::string previous;     // where the replaced store went ("" when there was none)
};

// Checks the backup (a Stratus store this stratusd can open, of this installation unless forced) and only then
// replaces STATE_DIR/stratus.db with it, keeping the replaced store as stratus.db.before-restore.
// FailedPrecondition for a backup that is not usable here (nothing is changed), Unavailable while stratusd runs.
Result<RestoreResult> RestoreBackup(const RestoreOptions& options);

}  // namespace stratus
