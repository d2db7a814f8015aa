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

void ConnectNetworkInUseChecks(vpc::VpcService* vpcs, const InstanceService* instances) {
  vpcs->AddInUseCheck([instances](const std::string& id) -> Status {
    if (id.rfind("subnet-", 0) != 0) return Status::Ok();
    auto in_subnet = instances->Describe(
        {{"subnet-id", {id}}, {"instance-state-name", {"pending", "running", "stopping", "stopped", "shutting-down"}}});
    if (!in_subnet.ok()) return in_subnet.status();
    if (in_subnet->empty()) return Status::Ok();
    return FailedPrecondition("The subnet '" + id + "' has dependencies and cannot be deleted: instance " +
                              in_subnet->front().instance_id)
        .WithErrorCode("DependencyViolation");
  });
}

}  // namespace stratus
