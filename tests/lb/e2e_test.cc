// End-to-end tests: a real stratus-lb process on loopback, driven over its control socket with the client library
// stratusd uses, in front of in-process backends.
#include <gtest/gtest.h>

#include "lb_fixture.h"

namespace stratus::lb {
namespace {

using namespace testing;

using LbTest = LbFixture;

TEST_F(LbTest, RoundRobinKeepAliveAndForwardedHeaders) {
  Backend a("a"), b("b"), c("c");
  ApplyAndWaitHealthy(SimpleConfig(port_, {a.port(), b.port(), c.port()}), {"t0", "t1", "t2"});
  HttpClient client(port_);
  std::map<std::string, int> seen;
  for (int i = 0; i < 30; ++i) {
    HttpResponse r = client.Request("GET", "/x");
    ASSERT_EQ(r.status, 200);
    seen[r.headers["x-backend"]]++;
    EXPECT_EQ(r.headers["x-seen-xff"], "127.0.0.1");
  }
  EXPECT_EQ(seen["a"], 10);
  EXPECT_EQ(seen["b"], 10);
  EXPECT_EQ(seen["c"], 10);
  EXPECT_EQ(client.connections(), 1);  // keep-alive to the client
  // Pooled keep-alive connections to the targets: far fewer connections than requests.
  EXPECT_LE(a.connections() + b.connections() + c.connections(), 6);
  // An incoming X-Forwarded-For is extended, not trusted blindly.
  HttpResponse r = client.Request("GET", "/", "", "X-Forwarded-For: 10.9.9.9\r\n");
  EXPECT_EQ(r.headers["x-seen-xff"], "10.9.9.9, 127.0.0.1");
  auto st = ctl_->GetStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->metrics["listeners"]["web"]["RequestCount"], 31);
  EXPECT_EQ(st->metrics["listeners"]["web"]["HTTPCode_Target_2XX_Count"], 31);
  EXPECT_EQ(st->metrics["target_groups"]["tg1"]["HealthyHostCount"], 3);
  EXPECT_EQ(st->metrics["listeners"]["web"]["NewConnectionCount"], 1);
}

TEST_F(LbTest, ChunkedAndLargeBodiesStream) {
  Backend a("a");
  ApplyAndWaitHealthy(SimpleConfig(port_, {a.port()}), {"t0"});
  HttpClient client(port_);
  HttpResponse r = client.Request("GET", "/chunked?n=500");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 500u * 6);
  r = client.Request("GET", "/big?bytes=5000000");  // far larger than the proxy's buffers
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 5000000u);
  r = client.Request("POST", "/upload", std::string(3000000, 'y'));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "received 3000000\n");
  // A chunked upload, sent in pieces.
  int fd = ConnectTo(port_);
  std::string req = "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_TRUE(SendAll(fd, req));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(SendAll(fd, "400\r\n" + std::string(1024, 'z') + "\r\n"));
  ASSERT_TRUE(SendAll(fd, "0\r\n\r\n"));
  std::string carry;
  r = ReadResponse(fd, &carry);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "received 102400\n");
  close(fd);
  r = client.Request("HEAD", "/");
  EXPECT_EQ(r.status, 200);
}

TEST_F(LbTest, FailoverWithoutFailedRequests) {
  Backend a("a"), b("b"), c("c");
  ApplyAndWaitHealthy(SimpleConfig(port_, {a.port(), b.port(), c.port()}), {"t0", "t1", "t2"});
  std::atomic<int> ok{0}, failed{0};
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    HttpClient client(port_);
    for (int i = 0; i < 20000 && !stop.load(); ++i) {
      HttpResponse r = client.Request("GET", "/");
      (r.status == 200 ? ok : failed)++;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  b.Stop();  // the backend dies under load
  // interval 200 ms x threshold 2: marked unhealthy well within 5 s.
  bool unhealthy = WaitFor([&] { return TargetStateOf(ctl_.get(), "t1") == "unhealthy"; });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  loop.join();
  EXPECT_TRUE(unhealthy);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 10);
  auto st = ctl_->GetStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->metrics["target_groups"]["tg1"]["UnHealthyHostCount"], 1);
  for (const auto& t : st->targets) {
    if (t.id == "t1") {
      EXPECT_NE(t.reason, "");
    }
  }
}

// A target whose server starts after registration goes into service by an initial probe, not one
// interval later; failing probes are not counted (interval 60 s: any state change seen within the
// bounded waits below comes from the probes).
TEST_F(LbTest, InitialTargetIsProbedUntilItsFirstPassWithoutCountingFailures) {
  int late_port = FreePort(), dead_port = FreePort();
  LbConfig c = SimpleConfig(port_, {late_port, dead_port});
  c.target_groups[0].health_check.interval_ms = 60000;
  c.target_groups[0].health_check.unhealthy_threshold = 2;
  ASSERT_TRUE(ctl_->Apply(c).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto st = ctl_->GetStatus();
    if (!st.ok()) return false;
    for (const auto& t : st->targets) {
      if (t.id == "t0") return t.reason.find("Connection refused") != std::string::npos;
    }
    return false;
  }));  // the first counted check failed
  EXPECT_EQ(TargetStateOf(ctl_.get(), "t0"), "initial");
  Backend late("late", late_port);
  EXPECT_TRUE(WaitFor([&] { return TargetStateOf(ctl_.get(), "t0") == "healthy"; }));
  EXPECT_EQ(TargetStateOf(ctl_.get(), "t1"), "initial");  // dozens of failed probes, one counted failure
}

TEST_F(LbTest, FailingHealthChecksFailOpen) {
  Backend a("a");
  LbConfig c = SimpleConfig(port_, {a.port()});
  c.target_groups[0].health_check.path = "/status/503";  // every check fails
  ASSERT_TRUE(ctl_->Apply(c).ok());
  ASSERT_TRUE(WaitFor([&] { return TargetStateOf(ctl_.get(), "t0") == "unhealthy"; }));
  auto st = ctl_->GetStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_NE(st->targets[0].reason.find("Target.ResponseCodeMismatch"), std::string::npos) << st->targets[0].reason;
  HttpClient client(port_);
  EXPECT_EQ(client.Request("GET", "/").status, 200);  // no healthy target: route to all, as ALB does
}

TEST_F(LbTest, RetryOnConnectFailure) {
  Backend a("a");
  int dead = FreePort();  // nothing listens there
  LbConfig c = SimpleConfig(port_, {a.port(), dead});
  c.target_groups[0].health_check.enabled = false;  // both count as healthy: only retries can save us
  ASSERT_TRUE(ctl_->Apply(c).ok());
  ASSERT_TRUE(WaitFor([&] { return TargetStateOf(ctl_.get(), "t1") == "healthy"; }));
  HttpClient client(port_);
  for (int i = 0; i < 20; ++i) {
    HttpResponse r = client.Request("GET", "/");
    ASSERT_EQ(r.status, 200) << i;
  }
  auto st = ctl_->GetStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_GT(st->metrics["listeners"]["web"]["RetryCount"].get<int>(), 0);
}

TEST_F(LbTest, DrainingLetsInFlightRequestFinish) {
  Backend a("a"), b("b");
  LbConfig c = SimpleConfig(port_, {a.port(), b.port()});
  ApplyAndWaitHealthy(c, {"t0", "t1"});
  // Find a connection whose next request goes to b, then make it a long one.
  std::atomic<int> long_status{0};
  std::thread slow([&] {
    HttpClient client(port_);
    for (int i = 0; i < 4; ++i) {
      HttpResponse r = client.Request("GET", "/sleep?ms=2500");
      if (r.headers["x-backend"] == "b") {
        long_status = r.status;
        return;
      }
    }
  });
  ASSERT_TRUE(WaitFor([&] { return b.user_requests() > 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  int b_before = b.user_requests();
  LbConfig c2 = c;
  c2.version = 2;
  c2.target_groups[0].targets.pop_back();  // deregister b while its request runs
  ASSERT_TRUE(ctl_->Apply(c2).ok());
  EXPECT_EQ(TargetStateOf(ctl_.get(), "t1"), "draining");
  HttpClient client(port_);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(client.Request("GET", "/").headers["x-backend"], "a");
  slow.join();
  EXPECT_EQ(long_status.load(), 200);
  EXPECT_EQ(b.user_requests(), b_before);  // nothing new reached b
  // No connection left: removed long before the 10 s delay.
  EXPECT_TRUE(WaitFor([&] { return TargetStateOf(ctl_.get(), "t1") == "absent"; }));
}

TEST_F(LbTest, ReapplyKeepsConnectionsAndControllerDeathKeepsServing) {
  Backend a("a"), b("b");
  LbConfig c = SimpleConfig(port_, {a.port()});
  ApplyAndWaitHealthy(c, {"t0"});
  HttpClient client(port_);
  ASSERT_EQ(client.Request("GET", "/").status, 200);
  LbConfig c2 = SimpleConfig(port_, {a.port(), b.port()}, 2);
  ApplyAndWaitHealthy(c2, {"t0", "t1"});
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    HttpResponse r = client.Request("GET", "/");
    ASSERT_EQ(r.status, 200);
    seen.insert(r.headers["x-backend"]);
  }
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(client.connections(), 1);  // the client connection survived the re-apply
  ctl_.reset();  // the controller dies
  for (int i = 0; i < 20; ++i) ASSERT_EQ(client.Request("GET", "/").status, 200);
  HttpClient fresh(port_);
  ASSERT_EQ(fresh.Request("GET", "/").status, 200);
  auto again = lb_->Connect();  // the controller comes back and learns the version in force
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->hello_version(), 2u);
  ASSERT_TRUE(again->Apply(SimpleConfig(port_, {a.port()}, 3)).ok());
  EXPECT_EQ(client.Request("GET", "/").status, 200);
}

TEST_F(LbTest, SmugglingAttemptsGet400AndAreNeverForwarded) {
  Backend a("a");
  ApplyAndWaitHealthy(SimpleConfig(port_, {a.port()}), {"t0"});
  int before = a.user_requests();
  const char* attacks[] = {
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
      "GET /\r\n\r\n",
  };
  for (const char* attack : attacks) {
    int fd = ConnectTo(port_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, attack));
    std::string resp = ReadToClose(fd);
    close(fd);
    EXPECT_EQ(resp.substr(0, 12), "HTTP/1.1 400") << attack;
  }
  // Oversized headers.
  int fd = ConnectTo(port_);
  SendAll(fd, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(ReadToClose(fd).substr(0, 12), "HTTP/1.1 400");
  close(fd);
  EXPECT_EQ(a.user_requests(), before);
}

TEST_F(LbTest, HeaderTimeoutAnswers408) {
  Backend a("a");
  LbConfig c = SimpleConfig(port_, {a.port()});
  c.settings.header_timeout_ms = 300;
  ApplyAndWaitHealthy(c, {"t0"});
  int fd = ConnectTo(port_, 5000);
  ASSERT_TRUE(SendAll(fd, "GET / HTTP/1.1\r\nHost: slow\r\n"));  // never finishes the head
  std::string out = ReadToClose(fd);  // answered, then closed (a timeout of ours would leave it empty)
  EXPECT_EQ(out.substr(0, 21), "HTTP/1.1 408 Request ") << out;
  close(fd);
  // A connection that never starts a request is closed without an answer.
  fd = ConnectTo(port_, 5000);
  EXPECT_EQ(ReadToClose(fd), "");
  close(fd);
  EXPECT_EQ(ListenerMetric("HTTPCode_ELB_4XX_Count"), 1);
}

// Listener rules as ALB evaluates them: by priority, every condition of a rule must hold; actions redirect,
// fixed-response and weighted forward.
TEST_F(LbTest, RulesRedirectFixedResponseAndWeightedForward) {
  Backend a("a"), b("b");
  LbConfig c = SimpleConfig(port_, {a.port()});
  TargetGroupConfig tg2 = c.target_groups[0];
  tg2.name = "tg2";
  tg2.targets[0].id = "t1";
  tg2.targets[0].port = b.port();
  c.target_groups.push_back(tg2);
  auto rule = [&](int priority) -> RuleConfig& {
    c.listeners[0].rules.emplace_back();
    c.listeners[0].rules.back().priority = priority;
    return c.listeners[0].rules.back();
  };
  RuleConfig& redirect = rule(1);
  redirect.paths = {"/old/*"};
  redirect.action.type = ActionType::kRedirect;
  redirect.action.protocol = "HTTPS";
  redirect.action.port = "443";
  redirect.action.path = "/new/#{path}";
  redirect.action.query = "#{query}&from=#{port}";
  RuleConfig& maint = rule(2);
  maint.http_headers = {{"X-Maint", {"on*"}}};
  maint.action.type = ActionType::kFixedResponse;
  maint.action.status_code = 503;
  maint.action.message_body = "down for maintenance";
  RuleConfig& beta = rule(3);
  beta.query_strings = {{"beta", "y*"}};
  beta.action.target_groups = {{"tg2", 1}};
  RuleConfig& elsewhere = rule(4);
  elsewhere.source_ips = {"10.0.0.0/8"};
  elsewhere.action.type = ActionType::kFixedResponse;
  elsewhere.action.status_code = 403;
  RuleConfig& local = rule(5);
  local.source_ips = {"127.0.0.0/8"};
  local.methods = {"DELETE"};
  local.action.type = ActionType::kFixedResponse;
  local.action.status_code = 405;
  local.action.content_type = "application/json";
  local.action.message_body = "{\"error\":\"no deletes\"}";
  RuleConfig& split = rule(6);
  split.paths = {"/split"};
  split.action.target_groups = {{"tg1", 3}, {"tg2", 1}};
  ApplyAndWaitHealthy(c, {"t0", "t1"});

  HttpClient client(port_);
  HttpResponse r = client.Request("GET", "/old/a/b?q=1", "", "Host: shop.test:" + std::to_string(port_) + "\r\n");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers["location"], "https://shop.test/new/old/a/b?q=1&from=" + std::to_string(port_));
  r = client.Request("GET", "/x", "", "X-Maint: ON-friday\r\n");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "down for maintenance");
  EXPECT_EQ(r.headers["content-type"], "text/plain");
  EXPECT_EQ(client.Request("GET", "/x?a=1&beta=Yes").headers["x-backend"], "b");
  EXPECT_EQ(client.Request("GET", "/x?beta=no").headers["x-backend"], "a");
  r = client.Request("DELETE", "/x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "{\"error\":\"no deletes\"}");
  EXPECT_EQ(client.connections(), 1);  // local answers keep the connection
  std::map<std::string, int> seen;
  for (int i = 0; i < 400; ++i) seen[client.Request("GET", "/split").headers["x-backend"]]++;
  EXPECT_EQ(seen["a"] + seen["b"], 400);
  EXPECT_GT(seen["a"], 240);  // 3:1, expected 300
  EXPECT_LT(seen["a"], 360);
  // A request with a body gets the local answer and then the connection closes (its body is not read).
  r = client.Request("POST", "/old/x", "payload");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_EQ(ListenerMetric("HTTP_Redirect_Count"), 2);
  EXPECT_EQ(ListenerMetric("HTTP_Fixed_Response_Count"), 2);
  EXPECT_EQ(a.user_requests() + b.user_requests(), 402);

  // A listener whose default action redirects every plain-HTTP request to HTTPS.
  c.version = 2;
  c.listeners[0].rules.clear();
  c.listeners[0].default_action = ActionConfig();
  c.listeners[0].default_action.type = ActionType::kRedirect;
  c.listeners[0].default_action.protocol = "HTTPS";
  c.listeners[0].default_action.port = "443";
  c.listeners[0].default_action.status_code = 302;
  ASSERT_TRUE(ctl_->Apply(c).ok());
  r = client.Request("GET", "/cart?id=7", "", "Host: shop.test\r\n");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.headers["location"], "https://shop.test/cart?id=7");
}

TEST_F(LbTest, ErrorsHaveTheirMeaning) {
  Backend a("a");
  LbConfig c = SimpleConfig(port_, {a.port()});
  c.settings.request_timeout_ms = 300;
  TargetGroupConfig empty;
  empty.name = "empty";
  c.target_groups.push_back(empty);
  RuleConfig rule;
  rule.priority = 1;
  rule.paths = {"/nobody/*"};
  rule.target_group = "empty";
  c.listeners[0].rules.push_back(rule);
  ApplyAndWaitHealthy(c, {"t0"});
  HttpClient client(port_);
  EXPECT_EQ(client.Request("GET", "/nobody/here").status, 503);  // no target
  EXPECT_EQ(client.Request("GET", "/sleep?ms=1500").status, 504);  // upstream timeout
  EXPECT_EQ(client.Request("GET", "/status/500").status, 500);  // the target's own 5xx passes through
  auto st = ctl_->GetStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->metrics["listeners"]["web"]["HTTPCode_ELB_503_Count"], 1);
  EXPECT_EQ(st->metrics["listeners"]["web"]["HTTPCode_ELB_504_Count"], 1);
  EXPECT_EQ(st->metrics["listeners"]["web"]["HTTPCode_Target_5XX_Count"], 1);
  auto prom = ctl_->GetPrometheus();
  ASSERT_TRUE(prom.ok());
  EXPECT_NE(prom->find("stratus_lb_httpcode_elb_5xx_count_total{listener=\"web\"} 2"), std::string::npos);
}

TEST_F(LbTest, StickinessCookie) {
  Backend a("a"), b("b");
  LbConfig c = SimpleConfig(port_, {a.port(), b.port()});
  c.target_groups[0].stickiness.enabled = true;
  ApplyAndWaitHealthy(c, {"t0", "t1"});
  HttpClient client(port_);
  HttpResponse r = client.Request("GET", "/");
  std::string cookie = r.headers["set-cookie"];
  ASSERT_EQ(cookie.rfind("AWSALB=", 0), 0u) << cookie;
  std::string value = cookie.substr(7, cookie.find(';') - 7);
  std::string backend = r.headers["x-backend"];
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(client.Request("GET", "/", "", "Cookie: AWSALB=" + value + "\r\n").headers["x-backend"], backend);
  }
}

TEST_F(LbTest, TcpListenerCopiesBothWaysWithHalfClose) {
  // An echo server that replies after the client half-closes.
  int echo_port = 0;
  int lfd = ListenLoopback(0, &echo_port);
  std::thread echo([lfd] {
    for (int i = 0; i < 1000; ++i) {  // health checks connect too
      int fd = accept(lfd, nullptr, nullptr);
      if (fd < 0) return;
      std::string all = ReadToClose(fd);
      if (!all.empty()) SendAll(fd, "echo:" + all);
      close(fd);
    }
  });
  LbConfig c = SimpleConfig(port_, {echo_port});
  c.listeners[0].protocol = Protocol::kTcp;
  c.target_groups[0].protocol = Protocol::kTcp;
  c.target_groups[0].health_check.protocol = Protocol::kTcp;
  ApplyAndWaitHealthy(c, {"t0"});
  int fd = ConnectTo(port_, 5000);
  ASSERT_GE(fd, 0);
  std::string payload(200000, 'q');
  ASSERT_TRUE(SendAll(fd, payload));
  shutdown(fd, SHUT_WR);
  std::string got = ReadToClose(fd);
  close(fd);
  EXPECT_TRUE(got == "echo:" + payload) << "got " << got.size() << " bytes";
  shutdown(lfd, SHUT_RDWR);
  close(lfd);
  echo.join();
}

TEST(LbProcessTest, PortInUseIsAClearError) {
  Backend holder("holder");  // holds a port without SO_REUSEPORT
  char tmpl[] = "/tmp/stlb-cfg-XXXXXX";
  int cfd = mkstemp(tmpl);
  std::string cfg = ConfigToJson(SimpleConfig(holder.port(), {holder.port()})).dump();
  ASSERT_EQ(write(cfd, cfg.data(), cfg.size()), static_cast<ssize_t>(cfg.size()));
  close(cfd);
  std::string log = std::string(tmpl) + ".log";
  pid_t pid = LbProcess::Spawn({STRATUS_LB_BINARY, "--config", tmpl}, log);
  int status = 0;
  bool exited = WaitFor([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 10000);
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  std::string out = ReadFile(log).ok() ? *ReadFile(log) : "";
  unlink(tmpl);
  unlink(log.c_str());
  ASSERT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(out.find("address already in use"), std::string::npos) << out;
}

}  // namespace
}  // namespace stratus::lb

namespace stratus::lb {
namespace {

using namespace testing;

TEST(LbProcessTest, PrometheusEndpointAndAccessLog) {
  int metrics_port = FreePort();
  char tmpl[] = "/tmp/stlb-alog-XXXXXX";
  int afd = mkstemp(tmpl);
  close(afd);
  LbProcess lb({"--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port), "--access-log", tmpl});
  auto ctl = lb.Connect();
  ASSERT_NE(ctl, nullptr) << lb.log();
  Backend a("a");
  int port = FreePort();
  ASSERT_TRUE(ctl->Apply(SimpleConfig(port, {a.port()})).ok());
  ASSERT_TRUE(WaitFor([&] { return TargetStateOf(ctl.get(), "t0") == "healthy"; }));
  HttpClient client(port);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(client.Request("GET", "/").status, 200);
  int fd = ConnectTo(metrics_port);
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string text = ReadToClose(fd);
  close(fd);
  EXPECT_NE(text.find("stratus_lb_request_count_total{listener=\"web\"} 5"), std::string::npos) << text;
  EXPECT_NE(text.find("stratus_lb_healthy_host_count{target_group=\"tg1\"} 1"), std::string::npos);
  EXPECT_NE(text.find("stratus_lb_target_response_time_seconds_count{listener=\"web\"} 5"), std::string::npos);
  bool logged = WaitFor([&] {
    auto log = ReadFile(tmpl);
    return log.ok() && std::count(log->begin(), log->end(), '\n') == 5;
  });
  EXPECT_TRUE(logged) << (ReadFile(tmpl).ok() ? *ReadFile(tmpl) : "");
  unlink(tmpl);
}

}  // namespace
}  // namespace stratus::lb

namespace stratus::lb {
namespace {

using namespace testing;

TEST(LbProcessTest, SeveralWorkersShareListeners) {
  LbProcess lb({"--workers", "3"});
  auto ctl = lb.Connect();
  ASSERT_NE(ctl, nullptr) << lb.log();
  Backend a("a"), b("b");
  int port = FreePort();
  ASSERT_TRUE(ctl->Apply(SimpleConfig(port, {a.port(), b.port()})).ok());
  ASSERT_TRUE(WaitFor([&] { return TargetStateOf(ctl.get(), "t1") == "healthy"; }));
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      HttpClient client(port);
      for (int i = 0; i < 25; ++i) ok += client.Request("GET", "/").status == 200;
    });
  }
  ASSERT_TRUE(ctl->Apply(SimpleConfig(port, {a.port(), b.port()}, 2)).ok());  // re-apply under load
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_GT(a.user_requests(), 0);
  EXPECT_GT(b.user_requests(), 0);
  auto st = ctl->GetStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->metrics["listeners"]["web"]["RequestCount"], 200);  // per-worker counters summed
  EXPECT_EQ(st->version, 2u);
}

}  // namespace
}  // namespace stratus::lb
