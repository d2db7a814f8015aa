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

}  // namespace stratus
