#include "lb/config.h"

#include <gtest/gtest.h>

#include "lb/state.h"

namespace stratus::lb {
namespace {

const char* kConfig = R"({
  "version": 7,
  "settings": {"idle_timeout_ms": 5000},
  "listeners": [{"name": "web", "bind": "127.0.0.1:8080", "default_target_group": "app",
                 "rules": [{"priority": 20, "path": "/api/*", "target_group": "api"},
                           {"priority": 10, "host": "*.example.com", "target_group": "api"}]}],
  "target_groups": [
    {"name": "app", "port": 8000, "health_check": {"path": "/health", "matcher": "200-299"},
     "targets": [{"id": "i-1", "ip": "10.0.0.1"}, {"ip": "10.0.0.2", "port": 9000, "weight": 3}]},
    {"name": "api", "algorithm": "least_outstanding_requests", "stickiness": {"enabled": true, "duration_s": 60}}
  ]})";

TEST(Config, ParseAndRoundTrip) {
  auto c = ParseConfigText(kConfig);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->version, 7u);
  EXPECT_EQ(c->settings.idle_timeout_ms, 5000);
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->listeners[0].rules[0].priority, 10);  // sorted
  const TargetGroupConfig* app = c->FindTargetGroup("app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->targets[0].port, 8000);  // defaults to the group's port
  EXPECT_EQ(app->targets[1].id, "10.0.0.2:9000");
  EXPECT_EQ(app->targets[1].weight, 3);
  EXPECT_EQ(c->FindTargetGroup("api")->algorithm, Algorithm::kLeastOutstandingRequests);
  auto again = ParseConfig(ConfigToJson(*c));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigToJson(*again), ConfigToJson(*c));
}

TEST(Config, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {R"({"listeners": [{"bind": "127.0.0.1:80", "default_target_group": "nope"}]})", "unknown target group"},
      {R"({"target_groups": [{"name": "a", "targets": [{"ip": "300.1.1.1"}]}]})", "target_groups[0].targets[0].ip"},
      {R"({"target_groups": [{"name": "a", "algorithm": "random"}]})", "algorithm"},
      {R"({"target_groups": [{"name": "a", "health_check": {"matcher": "abc"}}]})", "matcher"},
      {R"({"target_groups": [{"name": "a", "port": "80"}]})", "must be an integer"},
      {R"({"listeners": [{"bind": "localhost", "default_target_group": "a"}], "target_groups": [{"name": "a"}]})",
       "bind"},
      {R"([1,2])", "must be an object"},
  };
  for (const auto& c : cases) {
    auto r = ParseConfigText(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(ParseConfigText("{not json").ok());
}

constexpr const char* kPem =
    "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n";
constexpr const char* kKey = "-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----\\n";

std::string TlsConfig(const std::string& listener_extra, const std::string& tg_protocol = "http",
                      const std::string& protocol = "https") {
  return std::string(R"({"certificates": [{"name": "site", "certificate": ")") + kPem + R"(", "private_key": ")" +
         kKey + R"("}], "listeners": [{"name": "web", "bind": "127.0.0.1:443", "protocol": ")" + protocol +
         R"(", "default_target_group": "app")" + listener_extra + R"(}], "target_groups": [{"name": "app",
         "protocol": ")" + tg_protocol + R"("}]})";
}

TEST(Config, TlsListeners) {
  auto c = ParseConfigText(TlsConfig(R"(, "certificates": ["site"], "ssl_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06",
                                        "alpn_policy": "HTTP1Only")"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listeners[0].protocol, Protocol::kHttps);
  EXPECT_EQ(c->listeners[0].ssl_policy, "ELBSecurityPolicy-TLS13-1-3-2021-06");
  EXPECT_EQ(c->FindCertificate("site")->private_key, "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n");
  auto again = ParseConfig(ConfigToJson(*c));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigToJson(*again), ConfigToJson(*c));
  // The default policy is ELBv2's default for listeners created through the API.
  auto d = ParseConfigText(TlsConfig(R"(, "certificates": "site")", "tcp", "TLS"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->listeners[0].protocol, Protocol::kTls);
  EXPECT_EQ(d->listeners[0].ssl_policy, "ELBSecurityPolicy-2016-08");

  struct Case {
    std::string json;
    const char* expect;
  } cases[] = {
      {TlsConfig(""), "listeners[0].certificates: a https listener needs a certificate"},
      {TlsConfig(R"(, "certificates": ["nope"])"), "unknown certificate nope"},
      {TlsConfig(R"(, "certificates": ["site"], "ssl_policy": "Custom")"), "unknown security policy \"Custom\""},
      {TlsConfig(R"(, "certificates": ["site"], "alpn_policy": "HTTP3")"), "alpn_policy"},
      {TlsConfig(R"(, "certificates": ["site"])", "tcp"), "an https listener needs an http target group"},
      {TlsConfig(R"(, "certificates": ["site"])", "http", "tls"), "a tls listener needs a tcp target group"},
      {TlsConfig(R"(, "certificates": ["site"])", "http", "http"), "only https and tls listeners take certificates"},
      {TlsConfig(R"(, "certificates": ["site"])", "http", "quic"), "must be http, https, tcp or tls"},
      {R"({"certificates": [{"name": "x", "certificate": "abc", "private_key": "k"}]})",
       "certificates[0].certificate: is not a PEM certificate"},
      {std::string(R"({"certificates": [{"name": "x", "certificate": ")") + kPem + R"("}]})",
       "certificates[0].private_key: is required"},
  };
  for (const auto& tc : cases) {
    auto r = ParseConfigText(tc.json);
    ASSERT_FALSE(r.ok()) << tc.json;
    EXPECT_NE(r.status().message().find(tc.expect), std::string::npos) << r.status().message();
  }
}

TEST(Config, Matchers) {
  EXPECT_TRUE(MatchesStatus("200-299", 204));
  EXPECT_FALSE(MatchesStatus("200-299", 302));
  EXPECT_TRUE(MatchesStatus("200,302", 302));
  EXPECT_TRUE(MatchesStatus("200", 200));
  EXPECT_FALSE(MatchesStatus("x", 200));
}

TEST(Routing, GlobAndHost) {
  EXPECT_TRUE(GlobMatch("/api/*", "/api/v1/x"));
  EXPECT_FALSE(GlobMatch("/api/*", "/apx"));
  EXPECT_TRUE(GlobMatch("/img/?.png", "/img/a.png"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(HostMatch("*.Example.com", "www.example.COM:8080"));
  EXPECT_FALSE(HostMatch("*.example.com", "example.org"));
}

// Target group "g" of `cfg` with healthy targets t0, t1, ... of the given weights on 127.0.0.1:1000+i.
std::unique_ptr<TargetGroupRuntime> Group(TargetGroupConfig cfg, std::vector<int> weights) {
  cfg.name = "g";
  auto g = std::make_unique<TargetGroupRuntime>(cfg, std::make_shared<MetricSet>(1), 1);
  for (size_t i = 0; i < weights.size(); ++i) {
    TargetConfig tc;
    tc.id = "t" + std::to_string(i);
    tc.ip = "127.0.0.1";
    tc.port = 1000 + static_cast<int>(i);
    tc.weight = weights[i];
    auto t = std::make_shared<TargetRuntime>(tc.id, "g", tc, 1);
    t->health = HealthState::kHealthy;
    g->targets.push_back(t);
  }
  return g;
}

std::unique_ptr<TargetGroupRuntime> Group(Algorithm algo, std::vector<int> weights) {
  TargetGroupConfig cfg;
  cfg.algorithm = algo;
  return Group(cfg, std::move(weights));
}

TEST(Selection, RoundRobinSkipsUnhealthyAndFailsOpen) {
  auto g = Group(TargetGroupConfig{}, {1, 1, 1});
  g->targets[1]->health = HealthState::kUnhealthy;
  std::map<std::string, int> seen;
  for (int i = 0; i < 10; ++i) seen[g->Select(0, 1, nullptr, "")->id]++;
  EXPECT_EQ(seen["t1"], 0);
  EXPECT_EQ(seen["t0"] + seen["t2"], 10);
  // Sticky cookie wins when that target is in service.
  EXPECT_EQ(g->Select(0, 1, nullptr, "t2")->id, "t2");
  // Excluded target is avoided when another exists.
  EXPECT_EQ(g->Select(0, 1, g->targets[0].get(), "")->id, "t2");
  // All unhealthy: fail open.
  for (auto& t : g->targets) t->health = HealthState::kUnhealthy;
  EXPECT_NE(g->Select(0, 1, nullptr, ""), nullptr);
  // Draining targets are never picked.
  for (auto& t : g->targets) t->draining = true;
  EXPECT_EQ(g->Select(0, 1, nullptr, ""), nullptr);
}

TEST(Selection, WeightedRandomFollowsWeights) {
  auto g = Group(Algorithm::kWeightedRandom, {1, 3});
  std::map<std::string, int> seen;
  for (int i = 0; i < 4000; ++i) seen[g->Select(0, 1, nullptr, "")->id]++;
  EXPECT_GT(seen["t1"], 2 * seen["t0"]);
  EXPECT_GT(seen["t0"], 500);
}

TEST(Selection, WeightedRoundRobin) {
  auto g = Group(Algorithm::kRoundRobin, {1, 2, 0});
  g->Finalize();
  std::map<std::string, int> seen;
  for (int i = 0; i < 30; ++i) seen[g->Select(0, 1, nullptr, "")->id]++;
  EXPECT_EQ(seen["t0"], 10);
  EXPECT_EQ(seen["t1"], 20);
  EXPECT_EQ(seen["t2"], 0);  // weight 0: standby
}

TEST(Selection, SlowStartRampsANewTargetUp) {
  TargetGroupConfig cfg;
  cfg.slow_start_ms = 10000;
  auto g = Group(cfg, {1, 1});
  g->Finalize();
  int64_t now = 1000000;
  g->targets[0]->healthy_since_ms = now - 100000;  // long in service
  g->targets[1]->healthy_since_ms = now;           // just became healthy: 10% of its weight
  std::map<std::string, int> seen;
  for (int i = 0; i < 110; ++i) seen[g->Select(0, now, nullptr, "")->id]++;
  EXPECT_EQ(seen["t1"], 10);
  EXPECT_EQ(seen["t0"], 100);
}

TEST(Selection, LeastOutstandingRequests) {
  auto g = Group(Algorithm::kLeastOutstandingRequests, {1, 1, 1});
  g->targets[0]->worker(0).outstanding = 5;
  g->targets[1]->worker(0).outstanding = 1;
  g->targets[2]->worker(0).outstanding = 3;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(g->Select(0, 1, nullptr, "")->id, "t1");
}

TEST(Selection, OutlierEjection) {
  TargetConfig tc;
  tc.id = "t";
  tc.ip = "127.0.0.1";
  tc.port = 1;
  TargetRuntime t("k", "g", tc, 1);
  t.health = HealthState::kHealthy;
  Settings s;
  for (int i = 0; i < 4; ++i) t.RecordFailure(1000, s);
  EXPECT_TRUE(t.InService(1000));
  t.RecordFailure(1000, s);
  EXPECT_FALSE(t.InService(1000));
  EXPECT_TRUE(t.InService(1000 + s.outlier_base_ejection_ms));
}

}  // namespace
}  // namespace stratus::lb
