// REST routes for certificates (docs/api.md), over elb::CertificateService. Private keys go in, never out.
#pragma once

#include <httplib.h>

#include "elb/certificate_service.h"

namespace stratus {

void MountCertificateRoutes(httplib::Server& server, elb::CertificateService* service);

}  // namespace stratus
