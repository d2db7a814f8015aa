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

}  // namespace stratus
