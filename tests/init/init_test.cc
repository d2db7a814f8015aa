// stratus-init outside a container: run as a normal child (it becomes a subreaper instead of
// PID 1) with its own run dir and user-data marker, so its behaviour can be checked directly.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "common/files.h"
#include "common/ids.h"
#include "init/init_config.h"

extern char** environ;

namespace stratus {
namespace {

using std::chrono::milliseconds;

TEST(InitConfigTest, RoundTrip) {
  InitConfig c;
  c.instance_id = "i-0123456789abcdef0";
  c.hostname = "ip-10-0-0-9";
  c.user_data_path = "/run/stratus/user-data";
  c.env = {{"A", "1"}};
  c.services = {ServiceSpec{"web", {"/bin/web", "--port", "80"}, {{"B", "2"}}, RestartPolicy::kOnFailure}};
  c.stop_timeout_ms = 1234;
  auto back = InitConfigFromJson(InitConfigToJson(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->instance_id, c.instance_id);
  EXPECT_EQ(back->hostname, c.hostname);
  EXPECT_EQ(back->user_data_path, c.user_data_path);
  EXPECT_EQ(back->env, c.env);
  ASSERT_EQ(back->services.size(), 1u);
  EXPECT_EQ(back->services[0].command, c.services[0].command);
  EXPECT_EQ(back->services[0].env, c.services[0].env);
  EXPECT_EQ(back->services[0].restart, RestartPolicy::kOnFailure);
  EXPECT_EQ(back->stop_timeout_ms, 1234);
}

TEST(InitConfigTest, BadInputNamesTheField) {
  EXPECT_EQ(InitConfigFromJson("[]").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(InitConfigFromJson("{").status().code(), Code::kInvalidArgument);
  auto r = InitConfigFromJson(R"({"services": [{"name": "x", "command": []}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("services[0].command"), std::string::npos);
  r = InitConfigFromJson(R"({"services": [{"name": "x", "command": ["a"], "restart": "sometimes"}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sometimes"), std::string::npos);
  EXPECT_FALSE(InitConfigFromJson(R"({"services": [{"name": 3, "command": ["a"]}]})").ok());
  EXPECT_FALSE(InitConfigFromJson(R"({"env": {"A": 1}})").ok());
  EXPECT_FALSE(InitConfigFromJson(R"({"stop_timeout_ms": "x"})").ok());
  EXPECT_TRUE(InitConfigFromJson("{}").ok());
}

class InitProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/strt-init-" + RandomHex(8);
    ASSERT_TRUE(MakeDirs(dir_ + "/run").ok());
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    (void)RemoveAll(dir_);
  }

  void WriteConfig(InitConfig c, const std::string& user_data) {
    if (!user_data.empty()) {
      c.user_data_path = dir_ + "/run/user-data";
      ASSERT_TRUE(WriteFileAtomic(c.user_data_path, user_data, 0700).ok());
    }
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/run/init.json", InitConfigToJson(c)).ok());
  }

  void StartInit() {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, (dir_ + "/console.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::string marker = "STRATUS_INIT_MARKER=" + dir_ + "/marker/user-data.done";
    std::string run = dir_ + "/run";
    std::vector<char*> env;
    for (char** e = environ; *e; e++) env.push_back(*e);
    env.push_back(marker.data());
    env.push_back(nullptr);
    char* argv[] = {const_cast<char*>(STRATUS_INIT_BINARY), run.data(), nullptr};
    ASSERT_EQ(posix_spawn(&pid_, STRATUS_INIT_BINARY, &fa, nullptr, argv, env.data()), 0);
    posix_spawn_file_actions_destroy(&fa);
  }

  // Sends `sig` and waits (bounded) for init to exit; returns its wait status or -1.
  int StopInit(int sig) {
    kill(pid_, sig);
    for (int i = 0; i < 200; i++) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return status;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return -1;
  }

  bool WaitFor(const std::function<bool()>& cond) {
    for (int i = 0; i < 200; i++) {
      if (cond()) return true;
      std::this_thread::sleep_for(milliseconds(25));
    }
    return false;
  }

  std::string Console() {
    auto r = ReadFile(dir_ + "/console.log");
    return r.ok() ? *r : "";
  }
  bool ConsoleHas(const std::string& s) {
    return WaitFor([&] { return Console().find(s) != std::string::npos; });
  }

  std::string dir_;
  pid_t pid_ = 0;
};

TEST_F(InitProcessTest, UserDataOnceServicesRestartAndShutdown) {
  InitConfig c;
  c.instance_id = "i-test";
  c.env = {{"GREETING", "hi"}};
  c.stop_timeout_ms = 3000;
  std::string count = dir_ + "/count";
  c.services = {
      ServiceSpec{"flaky", {"/bin/sh", "-c", "echo x >> " + count + "; exit 3"}, {}, RestartPolicy::kOnFailure},
      ServiceSpec{"oneshot", {"/bin/sh", "-c", "echo oneshot-$WHO; exit 0"}, {{"WHO", "me"}}, RestartPolicy::kOnFailure},
      ServiceSpec{"hup", {"/bin/sh", "-c", "trap 'echo got-hup' HUP; echo hup-up; while true; do sleep 0.05; done"}, {},
                  RestartPolicy::kAlways},
      ServiceSpec{"missing", {"/nonexistent/binary"}, {}, RestartPolicy::kNever},
  };
  WriteConfig(c, "#!/bin/sh\necho user-data $GREETING\n(sleep 0.1; echo orphan-done) &\n");
  StartInit();
  ASSERT_TRUE(WaitFor([&] { return PathExists(dir_ + "/run/ready"); })) << Console();
  EXPECT_FALSE(PathExists(dir_ + "/run/ready.tmp"));
  EXPECT_TRUE(ConsoleHas("user-data hi"));
  EXPECT_TRUE(ConsoleHas("orphan-done"));
  EXPECT_TRUE(ConsoleHas("oneshot-me"));
  EXPECT_TRUE(ConsoleHas("service oneshot exited with status 0"));
  EXPECT_TRUE(ConsoleHas("cannot run /nonexistent/binary"));
  // on-failure restarts with backoff: the flaky service runs more than once.
  EXPECT_TRUE(WaitFor([&] { auto r = ReadFile(count); return r.ok() && r->size() >= 4; })) << Console();
  EXPECT_TRUE(ConsoleHas("hup-up"));
  kill(pid_, SIGHUP);
  EXPECT_TRUE(ConsoleHas("got-hup")) << Console();
  EXPECT_TRUE(PathExists(dir_ + "/marker/user-data.done"));

  int status = StopInit(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << Console();
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(Console().find("shutting down"), std::string::npos);
  EXPECT_NE(Console().find("stratus-init: stopped"), std::string::npos);

  // A second boot of the same instance does not run the user data again.
  (void)RemoveAll(dir_ + "/run/ready");
  StartInit();
  ASSERT_TRUE(WaitFor([&] { return PathExists(dir_ + "/run/ready"); }));
  EXPECT_TRUE(ConsoleHas("user data already ran"));
  status = StopInit(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status));
  std::string log = Console();
  EXPECT_EQ(log.find("user-data hi"), log.rfind("user-data hi"));
}

TEST_F(InitProcessTest, KillsWhatIgnoresSigtermAfterTheTimeout) {
  InitConfig c;
  c.instance_id = "i-test";
  c.stop_timeout_ms = 200;
  c.services = {ServiceSpec{"stubborn", {"/bin/sh", "-c", "trap '' TERM; echo stubborn-up; while true; do sleep 0.05; done"}, {},
                            RestartPolicy::kAlways}};
  WriteConfig(c, "");
  StartInit();
  ASSERT_TRUE(WaitFor([&] { return PathExists(dir_ + "/run/ready"); }));
  ASSERT_TRUE(ConsoleHas("stubborn-up"));
  int status = StopInit(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << Console();
  EXPECT_NE(Console().find("stop timeout reached"), std::string::npos);
  EXPECT_NE(Console().find("service stubborn was killed by signal Killed"), std::string::npos) << Console();
}

TEST_F(InitProcessTest, UserDataThatIsNotAScriptIsNotRun) {
  InitConfig c;
  c.instance_id = "i-test";
  WriteConfig(c, "#cloud-config\nruncmd: [touch /x]\n");
  StartInit();
  ASSERT_TRUE(WaitFor([&] { return PathExists(dir_ + "/run/ready"); }));
  EXPECT_TRUE(ConsoleHas("user data does not start with #!"));
  EXPECT_FALSE(PathExists(dir_ + "/marker/user-data.done"));
  int status = StopInit(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status));
}

TEST_F(InitProcessTest, BadConfigExitsWithAMessage) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/run/init.json", "{\"services\": 5}").ok());
  StartInit();
  int status = StopInit(0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(Console().find("bad init config"), std::string::npos);
  EXPECT_FALSE(PathExists(dir_ + "/run/ready"));
}

}  // namespace
}  // namespace stratus
