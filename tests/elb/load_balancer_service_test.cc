// LoadBalancerService behind a FakeDataPlane and an InstanceService on a FakeInstanceHost: the ELBv2 rules
// (defaults, validation, in-use checks, all-or-nothing creates) without root or a stratus-lb process.
#include "elb/load_balancer_service.h"

#include <gtest/gtest.h>

#include "../compute/fake_instance_host.h"
#include "../compute/test_stores.h"
#include "fake_data_plane.h"

namespace stratus::elb {
namespace {

using namespace std::chrono_literals;

class LoadBalancerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stores_.RegisterImage("busybox");
    InstanceServiceOptions io;
    io.subnet_ids = {"subnet-a"};
    instances_ = std::make_unique<InstanceService>(stores_.store.get(), stores_.images.get(), &host_, io);
    ASSERT_TRUE(instances_->Recover().ok());
    LoadBalancerServiceOptions o;
    o.vpc_id = "vpc-1";
    service_ = std::make_unique<LoadBalancerService>(stores_.store.get(), instances_.get(), &data_plane_, o);
    ASSERT_TRUE(service_->Start().ok());
  }
  void TearDown() override {
    service_.reset();
    instances_.reset();
  }
  TargetGroup Tg(const std::string& name, const std::string& protocol = "HTTP") {
    TargetGroup tg;
    tg.name = name;
    tg.protocol = protocol;
    tg.port = 8080;
    auto created = service_->CreateTargetGroup(tg);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : TargetGroup{};
  }

  TestStores stores_{"lb-service-test"};
  FakeInstanceHost host_;
  std::unique_ptr<InstanceService> instances_;
  FakeDataPlane data_plane_;
  std::unique_ptr<LoadBalancerService> service_;
};

TEST_F(LoadBalancerServiceTest, ATcpTargetGroupGetsTcpHealthChecksUnlessItAsksOtherwise) {
  EXPECT_EQ(Tg("web").health_check.protocol, "HTTP");
  EXPECT_EQ(Tg("db", "TCP").health_check.protocol, "TCP");
  EXPECT_EQ(Tg("web").vpc_id, "vpc-1");
  TargetGroup spec;
  spec.name = "tcp-http-checked";
  spec.protocol = "TCP";
  spec.health_check.protocol = "HTTP";
  auto created = service_->CreateTargetGroup(spec);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->health_check.protocol, "HTTP");
}

TEST_F(LoadBalancerServiceTest, CreateTargetGroupWithAttributesIsOneStepAndAllOrNothing) {
  TargetGroup spec;
  spec.name = "lor";
  auto created = service_->CreateTargetGroup(spec, {{"load_balancing.algorithm.type", "least_outstanding_requests"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->attributes.algorithm, "least_outstanding_requests");
  EXPECT_EQ(service_->FindTargetGroup("lor")->attributes.algorithm, "least_outstanding_requests");
  spec.name = "bad";
  auto refused = service_->CreateTargetGroup(spec, {{"load_balancing.algorithm.type", "fastest"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(service_->FindTargetGroup("bad").status().error_code(), "TargetGroupNotFound");
}

TEST_F(LoadBalancerServiceTest, BadTargetGroupsAreRefused) {
  TargetGroup spec;
  spec.name = "-bad-";
  EXPECT_FALSE(service_->CreateTargetGroup(spec).ok());
  spec.name = "ok";
  spec.port = 0;
  EXPECT_FALSE(service_->CreateTargetGroup(spec).ok());
  spec.port = 80;
  spec.health_check.interval_seconds = 1;
  spec.health_check.timeout_seconds = 5;
  EXPECT_FALSE(service_->CreateTargetGroup(spec).ok());
  Tg("web");
  TargetGroup other;
  other.name = "web";
  other.port = 81;
  EXPECT_EQ(service_->CreateTargetGroup(other).status().error_code(), "DuplicateTargetGroupName");
}

TEST_F(LoadBalancerServiceTest, AListenerOnAPortInUseLeavesNothingBehind) {
  TargetGroup tg = Tg("web");
  data_plane_.MarkBusy(18080);
  auto lb = service_->CreateLoadBalancer("front", "application", {});
  ASSERT_TRUE(lb.ok());
  auto refused = service_->CreateListener("front", 18080, "HTTP", "web");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().error_code(), "InvalidConfigurationRequest");
  EXPECT_NE(refused.status().message().find("in use"), std::string::npos);
  EXPECT_TRUE(service_->DescribeListeners("front", {})->empty());
  // Created with its listener in one call, the load balancer is not kept either.
  auto whole = service_->CreateLoadBalancer("whole", "application", {}, {{18080, "HTTP", "web"}});
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.status().error_code(), "InvalidConfigurationRequest");
  EXPECT_EQ(service_->DescribeLoadBalancers({"whole"}).status().error_code(), "LoadBalancerNotFound");
  auto good = service_->CreateLoadBalancer("good", "application", {}, {{18081, "HTTP", "web"}});
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  ASSERT_EQ(good->listeners.size(), 1u);
  EXPECT_EQ(good->listeners[0].port, 18081);
  ASSERT_EQ(data_plane_.Applied().listeners.size(), 1u);
}

TEST_F(LoadBalancerServiceTest, ListenersRulesAndTheirConflicts) {
  Tg("web");
  Tg("db", "TCP");
  ASSERT_TRUE(service_->CreateLoadBalancer("front", "application", {}).ok());
  EXPECT_FALSE(service_->CreateListener("front", 18090, "TCP", "db").ok());   // an ALB takes HTTP listeners
  EXPECT_EQ(service_->CreateListener("front", 18090, "HTTP", "nope").status().error_code(), "TargetGroupNotFound");
  auto l = service_->CreateListener("front", 18090, "HTTP", "web");
  ASSERT_TRUE(l.ok());
  ASSERT_TRUE(service_->CreateLoadBalancer("other", "application", {}).ok());
  EXPECT_EQ(service_->CreateListener("other", 18090, "HTTP", "web").status().error_code(), "DuplicateListener");
  ASSERT_TRUE(service_->CreateRule(l->arn, 10, {"a.example"}, {}, "web").ok());
  EXPECT_EQ(service_->CreateRule(l->arn, 10, {"b.example"}, {}, "web").status().error_code(), "PriorityInUse");
  auto rules = service_->DescribeRules(l->arn);
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_TRUE(rules->back().second);  // the default rule last
  // A target group a listener forwards to cannot be deleted.
  EXPECT_EQ(service_->DeleteTargetGroup("web").code(), Code::kFailedPrecondition);
  ASSERT_TRUE(service_->DeleteLoadBalancer("front").ok());
  ASSERT_TRUE(service_->DeleteTargetGroup("web").ok());
}

TEST_F(LoadBalancerServiceTest, TargetsMustBeLiveInstances) {
  Tg("web");
  EXPECT_EQ(service_->RegisterTargets("web", {{"i-0123456789abcdef0", 0}}).error_code(), "InvalidTarget");
  RunRequest r;
  r.image = "busybox";
  auto launched = instances_->Run(r);
  ASSERT_TRUE(launched.ok());
  std::string id = launched->front().instance_id;
  ASSERT_TRUE(instances_->WaitForState({id}, {InstanceState::kRunning}, 10s).ok());
  ASSERT_TRUE(service_->RegisterTargets("web", {{id, 0}}).ok());
  auto health = service_->DescribeTargetHealth("web", {});
  ASSERT_TRUE(health.ok());
  ASSERT_EQ(health->size(), 1u);
  EXPECT_EQ(health->front().target.id, id);
  EXPECT_EQ(health->front().target.port, 8080);  // the group's port
  ASSERT_TRUE(service_->DeregisterTargets("web", {{id, 0}}).ok());
}

TEST_F(LoadBalancerServiceTest, LoadBalancerNamesAndTypes) {
  EXPECT_FALSE(service_->CreateLoadBalancer("bad_name", "application", {}).ok());
  EXPECT_FALSE(service_->CreateLoadBalancer("gw", "gateway", {}).ok());
  auto first = service_->CreateLoadBalancer("front", "application", {{"team", "web"}});
  ASSERT_TRUE(first.ok());
  auto again = service_->CreateLoadBalancer("front", "application", {});  // idempotent, as on AWS
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->arn, first->arn);
  EXPECT_EQ(service_->CreateLoadBalancer("front", "network", {}).status().error_code(), "DuplicateLoadBalancerName");
  EXPECT_EQ(service_->DescribeLoadBalancers({"nope"}).status().error_code(), "LoadBalancerNotFound");
}

}  // namespace
}  // namespace stratus::elb
