// The embedded Store: one SQLite database file in WAL mode.
//
// Durability: every write is one SQLite transaction committed with synchronous=FULL, so the WAL is
// fsync'ed before Put/Delete/Commit return: nothing acknowledged is lost on kill -9 of the process
// or on power loss. Thread-safe: one connection behind a mutex. Several processes may open the same
// file (writes serialize on SQLite's lock, waiting up to a busy timeout), but watches only see
// changes made through the same StorePtr.
#pragma once

#include <string>

#include "common/status.h"
#include "store/store.h"

namespace stratus {

// Opens (creating if needed) the store at `path` and brings its schema up to date.
// FailedPrecondition when the file is not a SQLite database, is corrupt, belongs to something else
// or was written by a newer Stratus; Unavailable when it cannot be opened or is locked.
Result<StorePtr> OpenSqliteStore(const std::string& path);

// The schema version this binary writes (PRAGMA user_version of the file).
int SqliteStoreSchemaVersion();

// Writes a consistent copy of a store opened by OpenSqliteStore to `path` while it stays in use (SQLite's online
// backup, taken between two commits). The file is self-contained (no WAL beside it) and appears complete or not
// at all.
Status BackupSqliteStore(Store* store, const std::string& path);

}  // namespace stratus
