#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <utility>

#include "common/fd.h"
#include "store/watch_hub.h"

namespace stratus {
namespace {

// "STRT": marks the file as a Stratus state store (PRAGMA application_id).
constexpr int kApplicationId = 0x53545254;
constexpr int kBusyTimeoutMs = 5000;

// Schema migrations: kMigrations[i] takes the file from user_version i to i + 1. Append only.
constexpr const char* kMigrations[] = {
    // 1: keys, values, revisions, and the global revision counter.
    "CREATE TABLE kv (key TEXT NOT NULL PRIMARY KEY, value BLOB NOT NULL,"
    "                 revision INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE meta (name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta (name, value) VALUES ('revision', 0);",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Resets a prepared statement when a use of it ends, whatever the path out.
class StmtUse {
 public:
  explicit StmtUse(const StmtPtr& s) : s_(s.get()) {}
  ~StmtUse() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;
  sqlite3_stmt* get() const { return s_; }
  void BindText(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, std::string_view v) {
    // A zero-length blob from a null pointer binds NULL; point at a valid byte instead.
    sqlite3_bind_blob(s_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  std::string ColumnString(int i) const {
    const void* p = sqlite3_column_blob(s_, i);
    int n = sqlite3_column_bytes(s_, i);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
  }
  int64_t ColumnInt(int i) const { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_;
};

// Maps a SQLite result code to the Status code a caller can act on.
Code CodeForSqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return Code::kUnavailable;
    case SQLITE_FULL:
      return Code::kResourceExhausted;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Code::kFailedPrecondition;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return Code::kPermissionDenied;
    default:
      return Code::kInternal;
  }
}

std::string ExpectedRevisionText(int64_t r) { return "expected revision " + std::to_string(r); }

// The smallest string greater than every string starting with prefix; empty when there is none.
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

class SqliteStore : public Store {
 public:
  static Result<StorePtr> Open(const std::string& path);
  ~SqliteStore() override = default;

  Result<KeyValue> Get(std::string_view key) override;
  Result<int64_t> Put(std::string_view key, std::string_view value, int64_t expected_revision) override;
  Status Delete(std::string_view key, int64_t expected_revision) override;
  Result<std::vector<KeyValue>> List(std::string_view prefix) override;
  Result<int64_t> Commit(const std::vector<TxnOp>& ops) override;
  WatchPtr WatchPrefix(std::string_view prefix, std::function<void(const WatchEvent&)> fn) override;
  Status Backup(const std::string& path);

 private:
  SqliteStore(std::string path, DbPtr db) : path_(std::move(path)), db_(std::move(db)) {}

  Status Error(int rc, const std::string& what) const;
  Status Exec(const char* sql);
  Status Configure();
  Status Migrate();
  Status Prepare();
  Status PrepareOne(const char* sql, StmtPtr* out);

  // Everything below runs with mu_ held.
  Result<int64_t> ApplyLocked(const std::vector<TxnOp>& ops, std::vector<WatchEvent>* events);
  Status CheckLocked(const TxnOp& op);
  Status WriteLocked(const TxnOp& op, int64_t revision);
  Result<int64_t> CurrentRevisionLocked();
  // The key's revision, or 0 when absent.
  Result<int64_t> KeyRevisionLocked(std::string_view key);

  const std::string path_;
  std::mutex mu_;
  DbPtr db_;                // GUARDED_BY(mu_)
  StmtPtr get_;             // GUARDED_BY(mu_)
  StmtPtr get_revision_;    // GUARDED_BY(mu_)
  StmtPtr upsert_;          // GUARDED_BY(mu_)
  StmtPtr delete_;          // GUARDED_BY(mu_)
  StmtPtr list_range_;      // GUARDED_BY(mu_)
  StmtPtr list_from_;       // GUARDED_BY(mu_)
  StmtPtr read_counter_;    // GUARDED_BY(mu_)
  StmtPtr write_counter_;   // GUARDED_BY(mu_)
  StmtPtr begin_;           // GUARDED_BY(mu_)
  StmtPtr commit_;          // GUARDED_BY(mu_)
  StmtPtr rollback_;        // GUARDED_BY(mu_)
  int64_t last_revision_ = 0;  // GUARDED_BY(mu_): the newest revision this process committed or read
  const std::shared_ptr<WatchHub> hub_ = WatchHub::Create();
};

Status SqliteStore::Error(int rc, const std::string& what) const {
  if ((rc & 0xff) == SQLITE_NOTADB) {
    return FailedPrecondition("state store " + path_ + " is not a SQLite database (" + what + ": " +
                              sqlite3_errstr(rc) + ")");
  }
  std::string msg = "state store " + path_ + ": " + what + ": " + sqlite3_errstr(rc);
  const char* detail = db_ ? sqlite3_errmsg(db_.get()) : nullptr;
  if (detail && msg.find(detail) == std::string::npos) msg += std::string(" (") + detail + ")";
  return Status(CodeForSqlite(rc), msg);
}

Status SqliteStore::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(rc, std::string("executing \"") + sql + "\"");
  return Status::Ok();
}

// Runs a one-row, one-column pragma query and returns the value as text.
Result<std::string> QueryText(sqlite3* db, const char* sql, int* rc_out) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(stmt.get(), 0);
      return std::string(t ? reinterpret_cast<const char*>(t) : "");
    }
    if (rc == SQLITE_DONE) return std::string();
  }
  *rc_out = rc;
  return Internal(sql);
}

Status SqliteStore::Configure() {
  sqlite3_extended_result_codes(db_.get(), 1);
  sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);
  int rc = SQLITE_OK;
  // The first real read of the file: a non-SQLite file fails here with SQLITE_NOTADB.
  auto mode = QueryText(db_.get(), "PRAGMA journal_mode=WAL", &rc);
  if (!mode.ok()) return Error(rc, "enabling WAL mode");
  if (*mode != "wal") {
    return FailedPrecondition("state store " + path_ + ": the file system does not support WAL mode (got " +
                              *mode + ")");
  }
  // FULL: the WAL is fsync'ed at every commit, so an acknowledged write survives power loss.
  STRATUS_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  auto check = QueryText(db_.get(), "PRAGMA quick_check", &rc);
  if (!check.ok()) return Error(rc, "checking integrity");
  if (*check != "ok") return FailedPrecondition("state store " + path_ + " is corrupt: " + *check);
  return Status::Ok();
}

Status SqliteStore::Migrate() {
  int rc = SQLITE_OK;
  STRATUS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto version = QueryText(db_.get(), "PRAGMA user_version", &rc);
  auto app = QueryText(db_.get(), "PRAGMA application_id", &rc);
  auto tables = QueryText(db_.get(), "SELECT count(*) FROM sqlite_schema", &rc);
  if (!version.ok() || !app.ok() || !tables.ok()) {
    (void)Exec("ROLLBACK");
    return Error(rc, "reading the schema version");
  }
  int v = std::stoi(*version);
  bool foreign = (*app != "0" && *app != std::to_string(kApplicationId)) ||
                 (v == 0 && *tables != "0");
  Status st;
  if (foreign) {
    st = FailedPrecondition("state store " + path_ + " is a SQLite database but not a Stratus state store");
  } else if (v > kSchemaVersion) {
    // A downgrade: the newer stratusd may have stored what this one cannot read. stratusd exits 3 on this code.
    st = FailedPrecondition("state store " + path_ + " has schema version " + std::to_string(v) +
                            ", newer than this stratusd supports (" + std::to_string(kSchemaVersion) +
                            "): it was written by a newer stratusd; run that version (or restore a backup made by this one)")
             .WithErrorCode("StateStoreTooNew");
  }
  for (; st.ok() && v < kSchemaVersion; ++v) {
    st = Exec(kMigrations[v]);
    if (st.ok()) st = Exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
  }
  if (st.ok()) st = Exec(("PRAGMA application_id=" + std::to_string(kApplicationId)).c_str());
  if (st.ok()) return Exec("COMMIT");
  (void)Exec("ROLLBACK");
  return st;
}

Status SqliteStore::PrepareOne(const char* sql, StmtPtr* out) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  out->reset(raw);
  if (rc != SQLITE_OK) return Error(rc, std::string("preparing \"") + sql + "\"");
  return Status::Ok();
}

Status SqliteStore::Prepare() {
  STRATUS_RETURN_IF_ERROR(PrepareOne("SELECT value, revision FROM kv WHERE key = ?1", &get_));
  STRATUS_RETURN_IF_ERROR(PrepareOne("SELECT revision FROM kv WHERE key = ?1", &get_revision_));
  STRATUS_RETURN_IF_ERROR(PrepareOne(
      "INSERT INTO kv (key, value, revision) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value, revision = excluded.revision",
      &upsert_));
  STRATUS_RETURN_IF_ERROR(PrepareOne("DELETE FROM kv WHERE key = ?1", &delete_));
  // Range scans, not LIKE: '%' and '_' in a prefix are ordinary characters.
  STRATUS_RETURN_IF_ERROR(PrepareOne(
      "SELECT key, value, revision FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key", &list_range_));
  STRATUS_RETURN_IF_ERROR(
      PrepareOne("SELECT key, value, revision FROM kv WHERE key >= ?1 ORDER BY key", &list_from_));
  STRATUS_RETURN_IF_ERROR(PrepareOne("SELECT value FROM meta WHERE name = 'revision'", &read_counter_));
  STRATUS_RETURN_IF_ERROR(PrepareOne("UPDATE meta SET value = ?1 WHERE name = 'revision'", &write_counter_));
  STRATUS_RETURN_IF_ERROR(PrepareOne("BEGIN IMMEDIATE", &begin_));
  STRATUS_RETURN_IF_ERROR(PrepareOne("COMMIT", &commit_));
  return PrepareOne("ROLLBACK", &rollback_);
}

Result<StorePtr> SqliteStore::Open(const std::string& path) {
  if (path.empty()) return InvalidArgument("state store path is empty");
  // The state can hold secrets (user data): create the file owner-only; SQLite gives its -wal and
  // -shm files the same mode.
  UniqueFd create(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  create.reset();
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  DbPtr db(raw);
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, std::move(db)));
  if (rc != SQLITE_OK) return store->Error(rc, "opening");
  std::lock_guard<std::mutex> lock(store->mu_);
  STRATUS_RETURN_IF_ERROR(store->Configure());
  STRATUS_RETURN_IF_ERROR(store->Migrate());
  STRATUS_RETURN_IF_ERROR(store->Prepare());
  STRATUS_ASSIGN_OR_RETURN(store->last_revision_, store->CurrentRevisionLocked());
  return StorePtr(std::move(store));
}

Result<int64_t> SqliteStore::KeyRevisionLocked(std::string_view key) {
  StmtUse q(get_revision_);
  q.BindText(1, key);
  int rc = sqlite3_step(q.get());
  if (rc == SQLITE_ROW) return q.ColumnInt(0);
  if (rc == SQLITE_DONE) return int64_t{0};
  return Error(rc, "reading key " + std::string(key));
}

Result<int64_t> SqliteStore::CurrentRevisionLocked() {
  StmtUse q(read_counter_);
  int rc = sqlite3_step(q.get());
  if (rc == SQLITE_ROW) return q.ColumnInt(0);
  return Error(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "reading the revision counter");
}

Result<KeyValue> SqliteStore::Get(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  StmtUse q(get_);
  q.BindText(1, key);
  int rc = sqlite3_step(q.get());
  if (rc == SQLITE_DONE) return NotFound("key " + std::string(key) + " not found");
  if (rc != SQLITE_ROW) return Error(rc, "reading key " + std::string(key));
  return KeyValue{std::string(key), q.ColumnString(0), q.ColumnInt(1)};
}

Result<std::vector<KeyValue>> SqliteStore::List(std::string_view prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string end = PrefixEnd(prefix);
  StmtUse q(end.empty() ? list_from_ : list_range_);
  q.BindText(1, prefix);
  if (!end.empty()) q.BindText(2, end);
  std::vector<KeyValue> out;
  for (;;) {
    int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return Error(rc, "listing prefix " + std::string(prefix));
    out.push_back(KeyValue{q.ColumnString(0), q.ColumnString(1), q.ColumnInt(2)});
  }
  return out;
}

Status SqliteStore::CheckLocked(const TxnOp& op) {
  STRATUS_ASSIGN_OR_RETURN(int64_t current, KeyRevisionLocked(op.key));
  int64_t want = op.expected_revision;
  if (op.type == TxnOp::Type::kDelete && current == 0) return NotFound("key " + op.key + " not found");
  if (want == kAnyRevision || want == current) return Status::Ok();
  if (want == kMustNotExist) {
    return Conflict("key " + op.key + " already exists (revision " + std::to_string(current) + ")");
  }
  if (current == 0) return Conflict("key " + op.key + " does not exist; " + ExpectedRevisionText(want));
  return Conflict("key " + op.key + " is at revision " + std::to_string(current) + "; " +
                  ExpectedRevisionText(want));
}

Status SqliteStore::WriteLocked(const TxnOp& op, int64_t revision) {
  if (op.type == TxnOp::Type::kPut) {
    StmtUse q(upsert_);
    q.BindText(1, op.key);
    q.BindBlob(2, op.value);
    q.BindInt(3, revision);
    int rc = sqlite3_step(q.get());
    if (rc != SQLITE_DONE) return Error(rc, "writing key " + op.key);
  } else {
    StmtUse q(delete_);
    q.BindText(1, op.key);
    int rc = sqlite3_step(q.get());
    if (rc != SQLITE_DONE) return Error(rc, "deleting key " + op.key);
  }
  return Status::Ok();
}

// Checks every op up front so a bad txn never starts a SQLite transaction.
Status ValidateOps(const std::vector<TxnOp>& ops) {
  std::set<std::string_view> keys;
  for (const TxnOp& op : ops) {
    if (op.key.empty()) return InvalidArgument("key is empty");
    if (op.expected_revision < kAnyRevision) {
      return InvalidArgument("expected revision " + std::to_string(op.expected_revision) + " for key " + op.key +
                             " is invalid (use -1 for any, 0 for must-not-exist, or a revision)");
    }
    if (op.type == TxnOp::Type::kDelete && op.expected_revision == kMustNotExist) {
      return InvalidArgument("delete of key " + op.key + " cannot require that the key does not exist");
    }
    if (!keys.insert(op.key).second) return InvalidArgument("key " + op.key + " appears twice in one txn");
  }
  return Status::Ok();
}

Result<int64_t> SqliteStore::ApplyLocked(const std::vector<TxnOp>& ops, std::vector<WatchEvent>* events) {
  {
    StmtUse begin(begin_);
    int rc = sqlite3_step(begin.get());
    if (rc != SQLITE_DONE) return Error(rc, "starting a transaction");
  }
  auto apply = [&]() -> Result<int64_t> {
    STRATUS_ASSIGN_OR_RETURN(int64_t revision, CurrentRevisionLocked());
    if (ops.empty()) return revision;
    ++revision;
    for (const TxnOp& op : ops) STRATUS_RETURN_IF_ERROR(CheckLocked(op));
    for (const TxnOp& op : ops) STRATUS_RETURN_IF_ERROR(WriteLocked(op, revision));
    StmtUse counter(write_counter_);
    counter.BindInt(1, revision);
    int rc = sqlite3_step(counter.get());
    if (rc != SQLITE_DONE) return Error(rc, "writing the revision counter");
    StmtUse commit(commit_);
    rc = sqlite3_step(commit.get());
    if (rc != SQLITE_DONE) return Error(rc, "committing");
    return revision;
  };
  Result<int64_t> result = apply();
  if (!result.ok() || ops.empty()) {
    if (sqlite3_get_autocommit(db_.get()) == 0) {
      StmtUse rollback(rollback_);
      (void)sqlite3_step(rollback.get());
    }
    return result;
  }
  for (const TxnOp& op : ops) {
    auto type = op.type == TxnOp::Type::kPut ? WatchEvent::Type::kPut : WatchEvent::Type::kDelete;
    std::string value = op.type == TxnOp::Type::kPut ? op.value : std::string();
    events->push_back(WatchEvent{type, KeyValue{op.key, std::move(value), *result}});
  }
  return result;
}

Result<int64_t> SqliteStore::Commit(const std::vector<TxnOp>& ops) {
  STRATUS_RETURN_IF_ERROR(ValidateOps(ops));
  Result<int64_t> result = Internal("unset");
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<WatchEvent> events;
    result = ApplyLocked(ops, &events);
    if (result.ok() && !events.empty()) {
      last_revision_ = *result;
      hub_->Enqueue(std::move(events));
    }
  }
  if (result.ok()) hub_->Deliver();
  return result;
}

Result<int64_t> SqliteStore::Put(std::string_view key, std::string_view value, int64_t expected_revision) {
  return Commit({TxnOp{TxnOp::Type::kPut, std::string(key), std::string(value), expected_revision}});
}

Status SqliteStore::Delete(std::string_view key, int64_t expected_revision) {
  return Commit({TxnOp{TxnOp::Type::kDelete, std::string(key), std::string(), expected_revision}}).status();
}

WatchPtr SqliteStore::WatchPrefix(std::string_view prefix, std::function<void(const WatchEvent&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  // Under mu_ so no commit interleaves: the watch sees exactly the commits after this revision.
  return hub_->Add(std::string(prefix), std::move(fn), last_revision_);
}

Status SqliteStore::Backup(const std::string& path) {
  std::string tmp = path + ".partial";
  unlink(tmp.c_str());
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(tmp.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  DbPtr dest(raw);
  if (rc != SQLITE_OK) return Unavailable("backup " + tmp + ": " + sqlite3_errstr(rc));
  {
    // Under mu_: the copy is taken between two commits (one step copies every page).
    std::lock_guard<std::mutex> lock(mu_);
    sqlite3_backup* b = sqlite3_backup_init(dest.get(), "main", db_.get(), "main");
    if (!b) return Unavailable("backup " + tmp + ": " + sqlite3_errmsg(dest.get()));
    rc = sqlite3_backup_step(b, -1);
    int finish = sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE) rc = finish;
  }
  // The copy is one self-contained file (no -wal beside it), synced before it takes its name.
  if (rc == SQLITE_OK) rc = sqlite3_exec(dest.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  dest.reset();
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    unlink(tmp.c_str());
    return Unavailable("backup " + path + ": " + sqlite3_errstr(rc));
  }
  UniqueFd fd(open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || fsync(fd.get()) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Unavailable("backup " + path + ": " + strerror(errno));
    unlink(tmp.c_str());
    return st;
  }
  return Status::Ok();
}

}  // namespace

Result<StorePtr> OpenSqliteStore(const std::string& path) { return SqliteStore::Open(path); }

int SqliteStoreSchemaVersion() { return kSchemaVersion; }

Status BackupSqliteStore(Store* store, const std::string& path) {
  auto* sqlite = dynamic_cast<SqliteStore*>(store);
  if (!sqlite) return Internal("backup: the store is not a SQLite store");
  return sqlite->Backup(path);
}

}  // namespace stratus
