#include "daemon/service_rules.h"

namespace stratus {

std::function<Status(RunRequest&)> LaunchFromTemplates(const scaling::LaunchTemplateService* templates) {
  return [templates](RunRequest& request) { return templates->ApplyTo(request); };
}

void ConnectInUseChecks(ImageService* images, scaling::LaunchTemplateService* templates,
                        const scaling::AutoScalingService* groups) {
  if (images != nullptr) {
    images->AddInUseCheck("a launch template", [templates](const std::string& image_id) {
      return templates->UsesImage(image_id);
    });
  }
  templates->AddInUseCheck([groups](const scaling::LaunchTemplate& lt) {
    return groups->CheckTemplateUnused(lt.launch_template_id);
  });
}

void ConnectCertificates(elb::CertificateService* certificates, elb::LoadBalancerService* load_balancers) {
  load_balancers->UseCertificates(certificates);
  certificates->SetInUseCheck([load_balancers](const std::string& arn) {
    return load_balancers->LoadBalancersUsingCertificate(arn);
  });
  certificates->SetChangeListener([load_balancers](const std::string&) { load_balancers->CertificatesChanged(); });
}

std::function<Result<std::vector<std::string>>(const std::string&, const std::vector<std::string>&)> ResolveGroupsWith(
    const vpc::VpcService* vpcs) {
  return [vpcs](const std::string& vpc_id, const std::vector<std::string>& ids) { return vpcs->ResolveGroups(vpc_id, ids); };
}

void ConnectNetworkInUseChecks(vpc::VpcService* vpcs, const InstanceService* instances) {
  vpcs->AddInUseCheck([instances](const std::string& id) -> Status {
    bool subnet = id.rfind("subnet-", 0) == 0;
    auto users = instances->Describe({{subnet ? "subnet-id" : "instance.group-id", {id}},
                                      {"instance-state-name", {"pending", "running", "stopping", "stopped", "shutting-down"}}});
    if (!users.ok()) return users.status();
    if (users->empty()) return Status::Ok();
    return FailedPrecondition(std::string(subnet ? "The subnet '" : "resource ") + id +
                              (subnet ? "' has dependencies and cannot be deleted" : " has a dependent object") +
                              ": instance " + users->front().instance_id)
        .WithErrorCode("DependencyViolation");
  });
}

}  // namespace stratus
