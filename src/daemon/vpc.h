// The default VPC and its subnets: derived from --vpc-cidr on first start, then kept in the store so
// their ids never change.
#pragma once

#include <string>

#include "common/status.h"
#include "net/vpc.h"
#include "store/store.h"

namespace stratus {

// Loads the default VPC from the store, or creates it from `cidr`: three subnets, each 1/16th of the
// VPC (AWS's default VPC 172.31.0.0/16 has 172.31.0.0/20, 172.31.16.0/20, ...), in zones
// <region>a, <region>b, <region>c. FailedPrecondition when the store holds a VPC with another CIDR.
Result<VpcInfo> LoadOrCreateDefaultVpc(Store* store, const std::string& cidr, const std::string& region);

// The default VPC the store holds (NotFound when none was created yet): what `stratusd --uninstall` tears
// down, whatever --vpc-cidr says.
Result<VpcInfo> LoadDefaultVpc(Store* store);

// Records the daemon's --name in the store on first start; FailedPrecondition when the store was created
// by an installation of another name (its host resources carry that name).
Status RecordInstallationName(Store* store, const std::string& name);

// Records `name` whatever the store held (a restore forced onto another installation).
Status SetInstallationName(Store* store, const std::string& name);

// The recorded --name ("" for a store older than the record); NotFound when none is recorded.
Result<std::string> LoadInstallationName(Store* store);

}  // namespace stratus
