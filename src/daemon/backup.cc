#include "daemon/backup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/files.h"
#include "daemon/vpc.h"
#include "store/sqlite_store.h"

namespace stratus {

namespace {

// Copies `from` to `to` and syncs it.
Status CopyFileSynced(const std::string& from, const std::string& to) {
  STRATUS_ASSIGN_OR_RETURN(std::string data, ReadFile(from));
  UniqueFd fd(open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return Unavailable(to + ": " + strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unavailable(to + ": " + strerror(errno));
    off += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return Unavailable(to + ": fsync: " + strerror(errno));
  return Status::Ok();
}

// Renames `from` (and its SQLite -wal file, which holds commits not yet in the main file) to `to`.
Status MoveStore(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0) return Unavailable("rename " + from + ": " + strerror(errno));
  if (PathExists(from + "-wal") && rename((from + "-wal").c_str(), (to + "-wal").c_str()) != 0) {
    return Unavailable("rename " + from + "-wal: " + strerror(errno));
  }
  unlink((from + "-shm").c_str());  // rebuilt from the WAL on open
  return Status::Ok();
}

}  // namespace

Result<UniqueFd> LockStateDir(const std::string& state_dir) {
  std::string path = state_dir + "/stratusd.lock";
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return Unavailable(path + ": " + strerror(errno));
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Unavailable("a stratusd runs on the state dir " + state_dir + " (it holds " + path + "); stop it first");
    }
    return Unavailable(path + ": flock: " + strerror(errno));
  }
  return fd;
}

Result<RestoreResult> RestoreBackup(const RestoreOptions& o) {
  if (!PathExists(o.backup)) return NotFound("backup " + o.backup + " does not exist");
  STRATUS_ASSIGN_OR_RETURN(UniqueFd lock, LockStateDir(o.state_dir));
  std::string db = o.state_dir + "/stratus.db";
  std::string staged = db + ".restoring";
  unlink(staged.c_str());
  unlink((staged + "-wal").c_str());
  unlink((staged + "-shm").c_str());
  auto discard = [&staged](Status st) {
    unlink(staged.c_str());
    unlink((staged + "-wal").c_str());
    unlink((staged + "-shm").c_str());
    return st;
  };
  // Checked on a copy, never on the backup itself: opening migrates the schema forward.
  STRATUS_RETURN_IF_ERROR(CopyFileSynced(o.backup, staged));
  RestoreResult result;
  {
    auto store = OpenSqliteStore(staged);
    if (!store.ok()) return discard(store.status().WithContext("backup " + o.backup));
    auto name = LoadInstallationName(store->get());
    if (!name.ok() && name.status().code() != Code::kNotFound) {
      return discard(name.status().WithContext("backup " + o.backup + ": reading its installation name"));
    }
    result.backup_name = name.ok() ? *name : "";
    if (result.backup_name.empty()) {
      // A store from before names were recorded: it becomes this installation's.
      Status st = SetInstallationName(store->get(), o.name);
      if (!st.ok()) return discard(st);
    } else if (*name != o.name) {
      if (!o.force) {
        return discard(FailedPrecondition("backup " + o.backup + " is of the installation named " + *name +
                                          ", not " + o.name + " (its host resources carry that name); " +
                                          "--force restores it as " + o.name));
      }
      // Forced: the store becomes this installation's (stratusd refuses a store of another name).
      Status st = SetInstallationName(store->get(), o.name);
      if (!st.ok()) return discard(st);
    }
    auto instances = (*store)->List("instances/");
    auto images = (*store)->List("images/");
    if (!instances.ok() || !images.ok()) return discard(instances.ok() ? images.status() : instances.status());
    result.instances = static_cast<int>(instances->size());
    result.images = static_cast<int>(images->size());
  }  // closed: SQLite folds its WAL into the file
  if (PathExists(db)) {
    result.previous = db + ".before-restore";
    unlink((result.previous + "-wal").c_str());
    Status st = MoveStore(db, result.previous);
    if (!st.ok()) return discard(st);
  }
  Status st = MoveStore(staged, db);
  if (!st.ok()) return discard(st);
  return result;
}

}  // namespace stratus
