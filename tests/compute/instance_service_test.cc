// InstanceService behind a FakeInstanceHost: the EC2 rules (validation, state transitions, idempotent
// launches, launch from a launch template, recovery) without root.
#include "compute/instance_service.h"

#include <gtest/gtest.h>

#include "fake_instance_host.h"
#include "test_stores.h"

namespace stratus {
namespace {

using namespace std::chrono_literals;

class InstanceServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    image_id_ = stores_.RegisterImage("busybox");
    MakeService();
  }
  void TearDown() override { service_.reset(); }
  void MakeService() {
    service_.reset();
    InstanceServiceOptions o;
    o.vpc_id = "vpc-1";
    o.subnet_ids = {"subnet-a", "subnet-b"};
    o.max_count = 5;
    o.validate_type = [](const std::string& t) {
      return t == "t3.micro" || t == "t3.small" ? Status::Ok() : NotFound("instance type " + t + " does not exist");
    };
    o.apply_launch_template = [this](RunRequest& r) -> Status {
      if (r.launch_template != "lt-1") return NotFound("launch template " + r.launch_template + " does not exist");
      if (r.image.empty()) r.image = image_id_;
      if (r.instance_type.empty()) r.instance_type = "t3.small";
      return Status::Ok();
    };
    service_ = std::make_unique<InstanceService>(stores_.store.get(), stores_.images.get(), &host_, o);
    ASSERT_TRUE(service_->Recover().ok());
  }
  Instance RunOne(RunRequest r = {}) {
    if (r.image.empty() && r.launch_template.empty()) r.image = "busybox";
    auto launched = service_->Run(r);
    EXPECT_TRUE(launched.ok()) << launched.status().ToString();
    if (!launched.ok() || launched->empty()) return {};
    return launched->front();
  }
  Instance WaitFor(const std::string& id, InstanceState state) {
    auto waited = service_->WaitForState({id}, {state}, 10s);
    EXPECT_TRUE(waited.ok()) << waited.status().ToString();
    return waited.ok() ? waited->front() : Instance{};
  }

  TestStores stores_{"instance-service-test"};
  FakeInstanceHost host_;
  std::unique_ptr<InstanceService> service_;
  std::string image_id_;
};

TEST_F(InstanceServiceTest, LaunchRunsOnTheHostWithAnAddressAndTheDefaults) {
  Instance i = RunOne();
  EXPECT_EQ(i.state, InstanceState::kPending);
  EXPECT_EQ(i.image_id, image_id_);
  EXPECT_EQ(i.instance_type, "t3.micro");  // the default when the request names none
  EXPECT_EQ(i.vpc_id, "vpc-1");
  Instance running = WaitFor(i.instance_id, InstanceState::kRunning);
  EXPECT_EQ(running.private_ip.rfind("10.0.0.", 0), 0u);
  EXPECT_TRUE(host_.Running(i.instance_id));
  auto console = service_->ConsoleOutput(i.instance_id);
  ASSERT_TRUE(console.ok());
  EXPECT_NE(console->find(i.instance_id), std::string::npos);
}

TEST_F(InstanceServiceTest, LaunchesAreSpreadOverTheSubnets) {
  RunRequest r;
  r.image = "busybox";
  r.count = 2;
  auto launched = service_->Run(r);
  ASSERT_TRUE(launched.ok());
  ASSERT_EQ(launched->size(), 2u);
  EXPECT_NE((*launched)[0].subnet_id, (*launched)[1].subnet_id);
}

TEST_F(InstanceServiceTest, BadRequestsAreRefusedWithEc2CodesAndChangeNothing) {
  auto code = [this](RunRequest r) {
    auto launched = service_->Run(r);
    return launched.ok() ? std::string("ok") : launched.status().error_code();
  };
  RunRequest r;
  r.image = "no-such-image";
  EXPECT_EQ(code(r), "InvalidAMIID.NotFound");
  r.image = "busybox";
  r.count = 6;
  EXPECT_EQ(code(r), "InstanceLimitExceeded");
  r.count = 0;
  EXPECT_EQ(code(r), "InvalidParameterValue");
  r.count = 1;
  r.instance_type = "x9.huge";
  EXPECT_EQ(code(r), "InvalidParameterValue");
  r.instance_type = "";
  r.subnet_id = "subnet-zzz";
  EXPECT_EQ(code(r), "InvalidSubnetID.NotFound");
  r.subnet_id = "";
  r.user_data = std::string(16 * 1024 + 1, 'x');
  EXPECT_EQ(code(r), "InvalidParameterValue");
  RunRequest no_image;
  auto missing = service_->Run(no_image);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().error_code(), "MissingParameter");
  EXPECT_NE(missing.status().message().find("ImageId"), std::string::npos);
  EXPECT_TRUE(service_->Describe({})->empty());
}

TEST_F(InstanceServiceTest, AClientTokenMakesTheLaunchIdempotent) {
  RunRequest r;
  r.image = "busybox";
  r.client_token = "once";
  Instance first = RunOne(r);
  Instance again = RunOne(r);
  EXPECT_EQ(first.instance_id, again.instance_id);
  EXPECT_EQ(service_->Describe({})->size(), 1u);
}

TEST_F(InstanceServiceTest, LaunchFromALaunchTemplateFillsWhatTheRequestLeavesOut) {
  RunRequest r;
  r.launch_template = "lt-1";
  Instance i = RunOne(r);
  EXPECT_EQ(i.image_id, image_id_);
  EXPECT_EQ(i.instance_type, "t3.small");
  r.instance_type = "t3.micro";  // the request's own value wins
  EXPECT_EQ(RunOne(r).instance_type, "t3.micro");
  r.launch_template = "lt-unknown";
  auto refused = service_->Run(r);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kNotFound);
}

TEST_F(InstanceServiceTest, StopStartTerminateFollowEc2States) {
  Instance i = RunOne();
  WaitFor(i.instance_id, InstanceState::kRunning);
  auto wrong = service_->ModifyInstanceType(i.instance_id, "t3.small");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().error_code(), "IncorrectInstanceState");
  ASSERT_TRUE(service_->Stop(i.instance_id, false).ok());
  Instance stopped = WaitFor(i.instance_id, InstanceState::kStopped);
  EXPECT_FALSE(host_.Running(i.instance_id));
  ASSERT_TRUE(service_->ModifyInstanceType(i.instance_id, "t3.small").ok());
  ASSERT_TRUE(service_->Start(i.instance_id).ok());
  Instance restarted = WaitFor(i.instance_id, InstanceState::kRunning);
  EXPECT_EQ(restarted.private_ip, stopped.private_ip);  // the address is kept across stop and start
  EXPECT_EQ(restarted.instance_type, "t3.small");
  ASSERT_TRUE(service_->Terminate(i.instance_id).ok());
  WaitFor(i.instance_id, InstanceState::kTerminated);
  EXPECT_FALSE(host_.Attached(i.instance_id));
  auto again = service_->Start(i.instance_id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().error_code(), "IncorrectInstanceState");
  EXPECT_EQ(service_->Get("i-0000000000000000").status().error_code(), "InvalidInstanceID.NotFound");
}

TEST_F(InstanceServiceTest, AFailedBootTerminatesTheInstanceWithTheReason) {
  host_.FailBoots(Internal("runc said no"));
  Instance i = RunOne();
  Instance done = WaitFor(i.instance_id, InstanceState::kTerminated);
  EXPECT_NE(done.state_reason.find("runc said no"), std::string::npos) << done.state_reason;
}

TEST_F(InstanceServiceTest, TagsAndFilters) {
  RunRequest r;
  r.image = "busybox";
  r.tags = {{"Name", "web"}};
  Instance web = RunOne(r);
  Instance other = RunOne();
  auto by_tag = service_->Describe({{"tag:Name", {"web"}}});
  ASSERT_TRUE(by_tag.ok());
  ASSERT_EQ(by_tag->size(), 1u);
  EXPECT_EQ(by_tag->front().instance_id, web.instance_id);
  ASSERT_TRUE(service_->ChangeTags(other.instance_id, {{"Name", "db"}}, {}).ok());
  ASSERT_TRUE(service_->ChangeTags(web.instance_id, {}, {"Name"}).ok());
  EXPECT_EQ(service_->Describe({{"tag:Name", {"db"}}})->front().instance_id, other.instance_id);
  EXPECT_TRUE(service_->Describe({{"tag:Name", {"web"}}})->empty());
  auto bad = service_->Describe({{"no-such-filter", {"x"}}});
  EXPECT_FALSE(bad.ok());
}

TEST_F(InstanceServiceTest, ARestartedServiceRecoversItsInstances) {
  Instance i = RunOne();
  WaitFor(i.instance_id, InstanceState::kRunning);
  MakeService();
  auto back = service_->Get(i.instance_id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->state, InstanceState::kRunning);
  EXPECT_TRUE(host_.Running(i.instance_id));
}

}  // namespace
}  // namespace stratus
