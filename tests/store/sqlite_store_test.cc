#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "common/fd.h"
#include "common/files.h"
#include "store/sqlite_store.h"

namespace stratus {
namespace {

// A fresh /tmp/ststore-XXXXXX directory, removed when the test ends.
class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ststore-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/state.db";
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  StorePtr Open() {
    auto s = OpenSqliteStore(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, PutGetDelete) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->Get("instances/i-1").status().code(), Code::kNotFound);
  auto r1 = s->Put("instances/i-1", R"({"state":"pending"})");
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  auto kv = s->Get("instances/i-1");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->key, "instances/i-1");
  EXPECT_EQ(kv->value, R"({"state":"pending"})");
  EXPECT_EQ(kv->revision, *r1);
  EXPECT_TRUE(s->Delete("instances/i-1").ok());
  EXPECT_EQ(s->Get("instances/i-1").status().code(), Code::kNotFound);
  EXPECT_EQ(s->Delete("instances/i-1").code(), Code::kNotFound);
}

TEST_F(SqliteStoreTest, FilesAreOwnerOnly) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->Put("k", "secret user data").ok());
  for (const std::string& p : {path_, path_ + "-wal"}) {
    struct stat st;
    ASSERT_EQ(stat(p.c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << p;
  }
}

TEST_F(SqliteStoreTest, ValuesAreOpaqueBytes) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  std::string binary("a\0b\xff\x01", 5);
  ASSERT_TRUE(s->Put("k/bin", binary).ok());
  ASSERT_TRUE(s->Put("k/empty", "").ok());
  EXPECT_EQ(s->Get("k/bin")->value, binary);
  EXPECT_EQ(s->Get("k/empty")->value, "");
}

TEST_F(SqliteStoreTest, RevisionsIncreaseAndConflictsChangeNothing) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  int64_t a = *s->Put("a", "1", kMustNotExist);
  int64_t b = *s->Put("b", "1");
  EXPECT_GT(b, a);
  auto dup = s->Put("a", "2", kMustNotExist);
  EXPECT_EQ(dup.status().code(), Code::kConflict);
  EXPECT_NE(dup.status().message().find("already exists"), std::string::npos) << dup.status().message();
  auto stale = s->Put("a", "2", a + 100);
  EXPECT_EQ(stale.status().code(), Code::kConflict);
  EXPECT_EQ(s->Put("absent", "x", a).status().code(), Code::kConflict);
  EXPECT_EQ(s->Get("a")->value, "1");
  int64_t a2 = *s->Put("a", "2", a);
  EXPECT_GT(a2, b);
  EXPECT_EQ(s->Delete("a", a).code(), Code::kConflict);  // a is at a2 now
  EXPECT_TRUE(s->Delete("a", a2).ok());
  // A delete takes a revision of its own.
  EXPECT_GT(*s->Put("c", "1"), a2 + 1);
}

TEST_F(SqliteStoreTest, BadArgumentsAreRejected) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->Put("", "x").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(s->Put("k", "x", -7).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(s->Delete("k", kMustNotExist).code(), Code::kInvalidArgument);
  EXPECT_EQ(s->Delete("").code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, TxnIsAllOrNothing) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  int64_t r = *s->Put("asg/web", "v1");
  ASSERT_TRUE(s->Put("instances/i-old", "x").ok());
  std::vector<TxnOp> bad = {
      {TxnOp::Type::kPut, "instances/i-new", "y", kMustNotExist},
      {TxnOp::Type::kDelete, "instances/i-old", "", kAnyRevision},
      {TxnOp::Type::kPut, "asg/web", "v2", r + 50},  // stale: the whole txn fails
  };
  EXPECT_EQ(s->Commit(bad).status().code(), Code::kConflict);
  EXPECT_EQ(s->Get("instances/i-new").status().code(), Code::kNotFound);
  EXPECT_TRUE(s->Get("instances/i-old").ok());
  EXPECT_EQ(s->Get("asg/web")->value, "v1");

  bad[2].expected_revision = r;
  auto rev = s->Commit(bad);
  ASSERT_TRUE(rev.ok()) << rev.status().ToString();
  EXPECT_EQ(s->Get("instances/i-new")->revision, *rev);
  EXPECT_EQ(s->Get("asg/web")->revision, *rev);
  EXPECT_EQ(s->Get("instances/i-old").status().code(), Code::kNotFound);

  std::vector<TxnOp> missing = {{TxnOp::Type::kPut, "x", "1"}, {TxnOp::Type::kDelete, "nope", ""}};
  EXPECT_EQ(s->Commit(missing).status().code(), Code::kNotFound);
  EXPECT_EQ(s->Get("x").status().code(), Code::kNotFound);

  std::vector<TxnOp> twice = {{TxnOp::Type::kPut, "x", "1"}, {TxnOp::Type::kPut, "x", "2"}};
  EXPECT_EQ(s->Commit(twice).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(*s->Commit({}), *rev);
}

TEST_F(SqliteStoreTest, ListByPrefixIsLiteralAndSorted) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  for (const char* k : {"a%b/1", "a_b/1", "axb/1", "aXb/2", "a\\b/1", "b/1", "a_b/0", "a"}) {
    ASSERT_TRUE(s->Put(k, k).ok());
  }
  std::string ff("z\xff", 2);
  ASSERT_TRUE(s->Put(ff + "1", "1").ok());
  ASSERT_TRUE(s->Put(ff + "\xff", "2").ok());
  auto keys = [&](std::string_view prefix) {
    std::vector<std::string> out;
    Result<std::vector<KeyValue>> list = s->List(prefix);
    EXPECT_TRUE(list.ok());
    if (!list.ok()) return out;
    for (const KeyValue& kv : list.value()) out.push_back(kv.key);
    return out;
  };
  EXPECT_EQ(keys("a%"), (std::vector<std::string>{"a%b/1"}));
  EXPECT_EQ(keys("a_"), (std::vector<std::string>{"a_b/0", "a_b/1"}));
  EXPECT_EQ(keys("a\\"), (std::vector<std::string>{"a\\b/1"}));
  EXPECT_EQ(keys("ax"), (std::vector<std::string>{"axb/1"}));
  EXPECT_EQ(keys("c"), (std::vector<std::string>{}));
  EXPECT_EQ(keys(ff).size(), 2u);
  auto all = keys("");
  EXPECT_EQ(all.size(), 10u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(all.front(), "a");
}

TEST_F(SqliteStoreTest, WatchSeesCommitsInOrderUntilCancelled) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->Put("instances/before", "x").ok());
  std::vector<WatchEvent> seen;
  WatchPtr w = s->WatchPrefix("instances/", [&](const WatchEvent& e) { seen.push_back(e); });
  int64_t r1 = *s->Put("instances/i-1", "a");
  ASSERT_TRUE(s->Put("images/ami-1", "b").ok());
  ASSERT_TRUE(s->Delete("instances/before").ok());
  int64_t r3 = *s->Commit({{TxnOp::Type::kPut, "instances/i-2", "c"}, {TxnOp::Type::kPut, "instances/i-3", "d"}});
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(seen[0].kv.key, "instances/i-1");
  EXPECT_EQ(seen[0].kv.value, "a");
  EXPECT_EQ(seen[0].kv.revision, r1);
  EXPECT_EQ(seen[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(seen[1].kv.key, "instances/before");
  EXPECT_EQ(seen[2].kv.revision, r3);
  EXPECT_EQ(seen[3].kv.key, "instances/i-3");
  EXPECT_EQ(s->Put("instances/i-1", "z", r1 + 100).status().code(), Code::kConflict);
  EXPECT_EQ(seen.size(), 4u);  // failed writes are not events
  w.reset();
  ASSERT_TRUE(s->Put("instances/i-4", "e").ok());
  EXPECT_EQ(seen.size(), 4u);
}

TEST_F(SqliteStoreTest, WatchCallbackMayWriteAndCancelItself) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  std::vector<std::string> seen;
  WatchPtr self;
  WatchPtr w = s->WatchPrefix("", [&](const WatchEvent& e) {
    seen.push_back(e.kv.key);
    if (e.kv.key == "trigger") {
      EXPECT_TRUE(s->Put("echo", "1").ok());  // delivered after this callback returns
    }
  });
  self = s->WatchPrefix("trigger", [&](const WatchEvent&) { self.reset(); });
  ASSERT_TRUE(s->Put("trigger", "1").ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"trigger", "echo"}));
  EXPECT_EQ(self, nullptr);
  ASSERT_TRUE(s->Put("trigger", "2").ok());  // the self-cancelled watch is gone; no crash
  w.reset();
}

TEST_F(SqliteStoreTest, ConcurrentWritersAreSeenInRevisionOrder) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  std::vector<int64_t> revisions;  // only touched by the delivering thread, one at a time
  WatchPtr w = s->WatchPrefix("t/", [&](const WatchEvent& e) { revisions.push_back(e.kv.revision); });
  constexpr int kThreads = 4, kPuts = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) {
        if (!s->Put("t/" + std::to_string(t) + "/" + std::to_string(i), "v").ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  ASSERT_EQ(revisions.size(), static_cast<size_t>(kThreads * kPuts));
  for (size_t i = 1; i < revisions.size(); ++i) EXPECT_LT(revisions[i - 1], revisions[i]);
  w.reset();
}

TEST_F(SqliteStoreTest, ReopenKeepsDataAndRevisions) {
  int64_t last;
  {
    StorePtr s = Open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->Put("a", "1").ok());
    last = *s->Put("b", "2");
    ASSERT_TRUE(s->Delete("a").ok());
  }
  StorePtr s = Open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->Get("b")->value, "2");
  EXPECT_EQ(s->Get("b")->revision, last);
  EXPECT_EQ(s->Get("a").status().code(), Code::kNotFound);
  EXPECT_GT(*s->Put("c", "3"), last + 1);
}

// Reads acked indexes (4-byte ints) from fd until `want` have arrived, EOF, or the deadline.
void ReadAcks(int fd, std::set<int>* acked, size_t want, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (acked->size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int v;
    ssize_t n = read(fd, &v, sizeof v);
    if (n != sizeof v) return;  // EOF (a torn last write cannot happen: 4 bytes < PIPE_BUF)
    acked->insert(v);
  }
}

TEST_F(SqliteStoreTest, AckedWritesSurviveKill9) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rd.reset();
    auto s = OpenSqliteStore(path_);
    if (!s.ok()) _exit(2);
    for (int i = 0; i < 100000; ++i) {
      if (!(*s)->Put("instances/i-" + std::to_string(i), std::string(200, 'v')).ok()) _exit(3);
      if (write(wr.get(), &i, sizeof i) != sizeof i) _exit(4);
    }
    _exit(0);
  }
  wr.reset();
  std::set<int> acked;
  ReadAcks(rd.get(), &acked, 300, std::chrono::seconds(60));
  kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ReadAcks(rd.get(), &acked, SIZE_MAX, std::chrono::seconds(10));  // acks written before the kill
  ASSERT_TRUE(WIFSIGNALED(status)) << "child ended early, status " << status;
  ASSERT_GE(acked.size(), 300u);

  StorePtr s = Open();
  ASSERT_TRUE(s);
  for (int i : acked) EXPECT_TRUE(s->Get("instances/i-" + std::to_string(i)).ok()) << i;
  auto all = s->List("instances/");
  ASSERT_TRUE(all.ok());
  EXPECT_GE(all->size(), acked.size());
}

TEST_F(SqliteStoreTest, NonSqliteFileIsAClearError) {
  ASSERT_TRUE(WriteFileAtomic(path_, std::string(8192, 'x') + "this is not a database").ok());
  auto s = OpenSqliteStore(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("not a SQLite database"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find(path_), std::string::npos);
}

TEST_F(SqliteStoreTest, CorruptPagesAreAClearError) {
  {
    StorePtr s = Open();
    ASSERT_TRUE(s);
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(s->Put("k/" + std::to_string(i), std::string(500, 'v')).ok());
  }
  auto data = ReadFile(path_);
  ASSERT_TRUE(data.ok());
  ASSERT_GT(data->size(), 3 * 4096u);
  for (size_t i = 4096 + 16; i < data->size(); i += 7) (*data)[i] = static_cast<char>(i * 31);
  ASSERT_TRUE(WriteFileAtomic(path_, *data).ok());
  auto s = OpenSqliteStore(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition) << s.status().ToString();
}

void RunSql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, ForeignOrNewerDatabasesAreRefused) {
  RunSql(path_, "CREATE TABLE users (name TEXT)");
  auto s = OpenSqliteStore(path_);
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("not a Stratus state store"), std::string::npos);

  std::string newer = dir_ + "/newer.db";
  { ASSERT_TRUE(OpenSqliteStore(newer).ok()); }
  RunSql(newer, "PRAGMA user_version=999");
  auto n = OpenSqliteStore(newer);
  EXPECT_EQ(n.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(n.status().message().find("schema version 999"), std::string::npos) << n.status().message();
}

TEST_F(SqliteStoreTest, UnopenablePathIsAnError) {
  auto s = OpenSqliteStore(dir_ + "/no/such/dir/state.db");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(OpenSqliteStore("").status().code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, WatchMayOutliveStore) {
  StorePtr s = Open();
  ASSERT_TRUE(s);
  WatchPtr w = s->WatchPrefix("", [](const WatchEvent&) {});
  s.reset();
  w.reset();  // no crash, no leak under ASan
}

}  // namespace
}  // namespace stratus
