// Store: the versioned key-value interface the control plane keeps its state in.
//
// The shape is etcd's: every change gets a global, monotonically increasing revision; a write can
// require the key's current revision (optimistic concurrency); a transaction applies several writes
// all-or-nothing under one revision; watchers see every change under a prefix, in commit order.
// The embedded implementation is SQLite (sqlite_store.h); an etcd one can replace it later without
// any caller changing. Keys are strings like "instances/i-0123..."; values are opaque bytes (JSON
// text by convention). See docs/store.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace stratus {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t revision;  // the global revision of the last change to this key (etcd's mod_revision)
};

inline constexpr int64_t kAnyRevision = -1;   // Put/Delete: no check
inline constexpr int64_t kMustNotExist = 0;   // Put: create only

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type;
  KeyValue kv;  // for kDelete: the key, an empty value and the revision of the delete
};

// A registered watch. Destroying it cancels the watch: once the destructor returns, the callback is
// not running and will not be called again (a callback may destroy its own Watch).
class Watch {
 public:
  virtual ~Watch() = default;
};
using WatchPtr = std::unique_ptr<Watch>;

struct TxnOp {
  enum class Type { kPut, kDelete };
  Type type;
  std::string key;
  std::string value;
  int64_t expected_revision = kAnyRevision;
};

class Store {
 public:
  virtual ~Store() = default;

  // Returns the key's value and revision; NotFound when the key is absent.
  virtual Result<KeyValue> Get(std::string_view key) = 0;

  // Sets key to value and returns the new revision. With expected_revision == kMustNotExist the key
  // must be absent; with a positive value the key must exist at exactly that revision; otherwise
  // Conflict and nothing changes. InvalidArgument for an empty key or a revision < -1.
  virtual Result<int64_t> Put(std::string_view key, std::string_view value,
                              int64_t expected_revision = kAnyRevision) = 0;

  // Removes key (the delete gets a new revision of its own). NotFound when absent; Conflict when
  // expected_revision is positive and differs from the key's revision.
  virtual Status Delete(std::string_view key, int64_t expected_revision = kAnyRevision) = 0;

  // Returns every key starting with `prefix` (byte-wise, no wildcards), sorted by key.
  virtual Result<std::vector<KeyValue>> List(std::string_view prefix) = 0;

  // Applies all ops or none, like an etcd txn: every op is checked as Put/Delete would check it,
  // the first failure is returned with nothing applied. All ops share one new revision, which is
  // returned. A key may appear once per txn (InvalidArgument otherwise). An empty txn changes
  // nothing and returns the current revision.
  virtual Result<int64_t> Commit(const std::vector<TxnOp>& ops) = 0;

  // Calls fn for every change to a key starting with `prefix` committed after this call, in commit
  // order, after the commit is durable. fn runs on the committing thread; when the writing call
  // returns, fn has been called for its events (unless the write was made from inside a callback:
  // then its events follow once the running callback returns). fn may use the store but must not
  // block on another thread that uses it.
  virtual WatchPtr WatchPrefix(std::string_view prefix, std::function<void(const WatchEvent&)> fn) = 0;
};
using StorePtr = std::unique_ptr<Store>;

}  // namespace stratus
