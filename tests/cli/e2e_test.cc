// End to end: the real `stratus` binary (STRATUS_CLI_BINARY) against a fake stratusd served by
// cpp-httplib in this process, on 127.0.0.1 with an OS-chosen port or on a unix socket in a
// temporary directory. Checks what the server received, what the CLI printed and its exit code.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/fd.h"
#include "common/files.h"
#include "common/subprocess.h"

namespace stratus {
namespace {

using Json = nlohmann::json;

constexpr char kToken[] = "e2e-token";

struct Recorded {
  std::string method;
  std::string path;
  httplib::Params params;
  std::string body;
  std::string authorization;
};

// A temporary directory, removed with everything in it by the destructor.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/stratus-cli-e2e-XXXXXX";
    STRATUS_CHECK(mkdtemp(tmpl) != nullptr, "mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() { (void)RemoveAll(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Json Instance(const std::string& id, const std::string& state) {
  return {{"InstanceId", id},
          {"ImageId", "ami-0000000000000e2e0"},
          {"InstanceType", "t3.micro"},
          {"State", {{"Code", state == "running" ? 16 : 80}, {"Name", state}}},
          {"PrivateIpAddress", "172.31.0.5"},
          {"LaunchTime", "2026-11-27T05:30:00.000Z"},
          {"Tags", {{{"Key", "Name"}, {"Value", "web"}}}}};
}

void SendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& code,
               const std::string& message) {
  SendJson(res, status, {{"Error", {{"Code", code}, {"Message", message}}}});
}

// The fake stratusd: records every request, requires the bearer token, answers per docs/api.md.
class FakeStratusd {
 public:
  // Serves on 127.0.0.1 with a port the OS picks.
  static std::unique_ptr<FakeStratusd> StartTcp() {
    auto s = std::unique_ptr<FakeStratusd>(new FakeStratusd());
    int port = s->server_.bind_to_any_port("127.0.0.1");
    STRATUS_CHECK(port > 0, "bind 127.0.0.1");
    s->endpoint_ = "http://127.0.0.1:" + std::to_string(port);
    s->Run();
    return s;
  }

  // Serves on the unix socket `path`.
  static std::unique_ptr<FakeStratusd> StartUnix(const std::string& path) {
    auto s = std::unique_ptr<FakeStratusd>(new FakeStratusd());
    s->server_.set_address_family(AF_UNIX);
    STRATUS_CHECK(s->server_.bind_to_port(path, 80), "bind unix socket");
    s->endpoint_ = "unix://" + path;
    s->Run();
    return s;
  }

  ~FakeStratusd() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  const std::string& endpoint() const { return endpoint_; }

  std::vector<Recorded> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  FakeStratusd() { AddRoutes(); }

  void Run() {
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  // Wraps a route: record the request, check the token, then answer.
  httplib::Server::Handler Route(Handler handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back({req.method, req.path, req.params, req.body,
                             req.get_header_value("Authorization")});
      }
      if (req.get_header_value("Authorization") != std::string("Bearer ") + kToken) {
        SendError(res, 401, "AuthFailure", "missing or bad API token");
        return;
      }
      handler(req, res);
    };
  }

  void AddRoutes() {
    server_.Get("/v1/images", Route([](const auto&, auto& res) {
      SendJson(res, 200, {{"Images", {{{"ImageId", "ami-0000000000000e2e0"}, {"Name", "demo-web"},
                                       {"State", "available"}, {"Ports", {80}}}}}});
    }));
    server_.Post("/v1/instances", Route([](const auto& req, auto& res) {
      Json body = Json::parse(req.body);
      Json out = Json::array();
      for (int i = 0; i < body.value("Count", 1); ++i) {
        out.push_back(Instance("i-0e2e000000000000" + std::to_string(i), "pending"));
      }
      SendJson(res, 200, {{"Instances", out}});
    }));
    server_.Get("/v1/instances", Route([](const auto&, auto& res) {
      SendJson(res, 200, {{"Instances", {Instance("i-0e2e0000000000001", "running")}}});
    }));
    server_.Get(R"(/v1/instances/([^/]+)/console)", Route([](const auto& req, auto& res) {
      SendJson(res, 200, {{"InstanceId", req.matches[1]}, {"Output", "booted\nhello\n"}});
    }));
    server_.Get(R"(/v1/instances/([^/]+))", Route([](const auto& req, auto& res) {
      std::string id = req.matches[1];
      if (id != "i-0e2e0000000000001") {
        SendError(res, 404, "InvalidInstanceID.NotFound", "instance " + id + " does not exist");
        return;
      }
      SendJson(res, 200, Instance(id, "running"));
    }));
    server_.Post(R"(/v1/instances/([^/]+)/(stop|start|reboot|terminate))",
                 Route([](const auto& req, auto& res) {
                   SendJson(res, 200, {{"Instance", Instance(req.matches[1], "stopped")}});
                 }));
    server_.Patch(R"(/v1/instances/([^/]+))", Route([](const auto& req, auto& res) {
      SendError(res, 409, "IncorrectInstanceState",
                "instance " + std::string(req.matches[1]) + " is running; stop it first");
    }));
    server_.Post(R"(/v1/instances/([^/]+)/tags)",
                 Route([](const auto&, auto& res) { SendJson(res, 200, Json::object()); }));
    server_.Delete(R"(/v1/instances/([^/]+)/tags)",
                   Route([](const auto&, auto& res) { SendJson(res, 200, Json::object()); }));
    server_.Get("/v1/instance-types", Route([](const auto&, auto& res) {
      SendJson(res, 200, {{"InstanceTypes", {{{"InstanceType", "t3.micro"}, {"VCpus", 2},
                                              {"MemoryMiB", 1024}, {"Pids", 512}}}}});
    }));
  }

  httplib::Server server_;
  std::thread thread_;
  std::string endpoint_;
  std::mutex mu_;
  std::vector<Recorded> requests_;
};

class CliE2ETest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = FakeStratusd::StartTcp(); }

  // Runs `stratus args...` with only the given environment (endpoint and token by default).
  ProcessResult Stratus(std::vector<std::string> args,
                        std::map<std::string, std::string> env = {}) {
    if (env.empty()) env = {{"STRATUS_ENDPOINT", server_->endpoint()}, {"STRATUS_TOKEN", kToken}};
    args.insert(args.begin(), STRATUS_CLI_BINARY);
    RunOptions opts;
    opts.env = std::move(env);
    opts.timeout = std::chrono::seconds(30);
    Result<ProcessResult> r = RunProcess(args, opts);
    STRATUS_CHECK(r.ok(), "could not run the stratus binary");
    return *r;
  }

  std::unique_ptr<FakeStratusd> server_;
};

TEST_F(CliE2ETest, RunSendsTheLaunchBodyAndPrintsIds) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/ud.sh", "#!/bin/sh\necho hello\n").ok());
  ProcessResult r = Stratus({"run", "demo-web", "--type", "t3.small", "--count", "2", "--tag",
                             "Name=web", "--sysctl", "net.core.somaxconn=4096", "--user-data",
                             dir.path() + "/ud.sh", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "i-0e2e0000000000000\ni-0e2e0000000000001\n");
  std::vector<Recorded> got = server_->requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].path, "/v1/instances");
  EXPECT_EQ(got[0].authorization, "Bearer e2e-token");
  Json want = {{"ImageId", "demo-web"},
               {"InstanceType", "t3.small"},
               {"Count", 2},
               {"UserData", "IyEvYmluL3NoCmVjaG8gaGVsbG8K"},
               {"Tags", {{{"Key", "Name"}, {"Value", "web"}}}},
               {"Sysctls", {{"net.core.somaxconn", "4096"}}},
               {"Wait", true}};
  EXPECT_EQ(Json::parse(got[0].body), want);
}

TEST_F(CliE2ETest, ListWithFiltersTableAndJson) {
  ProcessResult r = Stratus({"instance", "list", "--filter", "tag:Name=web app", "--filter",
                             "state=running"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "ID                    NAME   STATE     TYPE       PRIVATE IP   IMAGE                   AGE");
  EXPECT_NE(r.out.find("i-0e2e0000000000001   web    running   t3.micro   172.31.0.5   "
                       "ami-0000000000000e2e0"),
            std::string::npos)
      << r.out;
  std::vector<Recorded> got = server_->requests();
  ASSERT_EQ(got.size(), 1u);
  auto [b, e] = got[0].params.equal_range("filter");
  std::vector<std::string> filters;
  for (auto it = b; it != e; ++it) filters.push_back(it->second);
  EXPECT_EQ(filters, (std::vector<std::string>{"tag:Name=web app", "state=running"}));

  r = Stratus({"instance", "list", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["Instances"][0]["InstanceId"], "i-0e2e0000000000001");
}

TEST_F(CliE2ETest, ApiErrorsPrintTheMessageAndExitOne) {
  ProcessResult r = Stratus({"instance", "show", "i-0e2e00000000000ff"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error: instance i-0e2e00000000000ff does not exist\n");

  r = Stratus({"instance", "modify", "i-0e2e0000000000001", "--type", "t3.large"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: instance i-0e2e0000000000001 is running; stop it first\n");
  std::vector<Recorded> got = server_->requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].method, "PATCH");
  EXPECT_EQ(Json::parse(got[1].body), (Json{{"InstanceType", "t3.large"}}));
}

TEST_F(CliE2ETest, WrongTokenIsRefused) {
  ProcessResult r = Stratus({"image", "list"}, {{"STRATUS_ENDPOINT", server_->endpoint()},
                                                {"STRATUS_TOKEN", "wrong"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: missing or bad API token\n");
}

TEST_F(CliE2ETest, TokenFromTheStateDir) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/api-token", std::string(kToken) + "\n", 0600).ok());
  ProcessResult r = Stratus({"image", "list"}, {{"STRATUS_ENDPOINT", server_->endpoint()},
                                                {"STRATUS_STATE_DIR", dir.path()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID                      NAME       STATE       PORTS   AGE\n"
            "ami-0000000000000e2e0   demo-web   available   80      -\n");
}

TEST_F(CliE2ETest, ActionsConsoleTagsTypes) {
  ProcessResult r = Stratus({"instance", "stop", "i-0e2e0000000000001", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ID                    STATE     TYPE\ni-0e2e0000000000001   stopped   t3.micro\n");

  r = Stratus({"instance", "console", "i-0e2e0000000000001"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "booted\nhello\n");

  r = Stratus({"instance", "tag", "i-0e2e0000000000001", "env=prod"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Stratus({"instance", "untag", "i-0e2e0000000000001", "env"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = Stratus({"instance-type", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "TYPE       VCPUS   MEMORY (MIB)   PIDS\nt3.micro   2       1024           512\n");

  std::vector<Recorded> got = server_->requests();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].path, "/v1/instances/i-0e2e0000000000001/stop");
  EXPECT_EQ(Json::parse(got[0].body), (Json{{"Wait", false}, {"Force", true}}));
  EXPECT_EQ(Json::parse(got[2].body),
            (Json{{"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}}));
  EXPECT_EQ(got[3].method, "DELETE");
  EXPECT_EQ(got[3].params.find("key")->second, "env");
}

TEST_F(CliE2ETest, BadFlagsExitTwoAndSendNothing) {
  ProcessResult r = Stratus({"run", "demo-web", "--tag", "Name"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--tag: \"Name\": expected KEY=VALUE"), std::string::npos) << r.err;
  r = Stratus({"instance", "bounce", "i-1"});
  EXPECT_EQ(r.exit_code, 2);
  r = Stratus({"run", "demo-web", "--user-data", "/nonexistent/stratus-cli-e2e"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: --user-data: "), std::string::npos) << r.err;
  EXPECT_TRUE(server_->requests().empty());
}

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int UnusedPort() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  STRATUS_CHECK(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
  socklen_t len = sizeof addr;
  STRATUS_CHECK(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0, "name");
  return ntohs(addr.sin_port);
}

TEST_F(CliE2ETest, UnreachableDaemon) {
  std::string url = "http://127.0.0.1:" + std::to_string(UnusedPort());
  ProcessResult r = Stratus({"image", "list"}, {{"STRATUS_ENDPOINT", url}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: cannot reach stratusd at " + url + ": connection failed (is it running?)\n");

  TempDir dir;
  r = Stratus({"image", "list", "--endpoint", "unix://" + dir.path() + "/none.sock"},
              {{"STRATUS_TOKEN", kToken}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("(is it running?)"), std::string::npos) << r.err;
}

TEST(CliE2EUnix, TalksOverAUnixSocket) {
  TempDir dir;
  auto server = FakeStratusd::StartUnix(dir.path() + "/stratusd.sock");
  RunOptions opts;
  opts.env = {{"HOME", "/nonexistent"}};
  opts.timeout = std::chrono::seconds(30);
  Result<ProcessResult> r = RunProcess({STRATUS_CLI_BINARY, "--endpoint", server->endpoint(),
                                        "--token", kToken, "image", "list", "-o", "json"},
                                       opts);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->err;
  EXPECT_EQ(Json::parse(r->out)["Images"][0]["Name"], "demo-web");
  ASSERT_EQ(server->requests().size(), 1u);
}

TEST_F(CliE2ETest, ErrorWithoutAnApiErrorBody) {
  // The fake has no route for one image: httplib answers a bare 404.
  ProcessResult r = Stratus({"image", "show", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: stratusd answered HTTP 404\n");
}

}  // namespace
}  // namespace stratus
