// PriceList: what an instance-hour, a load-balancer-hour and a GiB-month of image storage cost.
//
// Defaults are AWS's public on-demand prices (us-east-1, Linux, USD) for the instance type names
// Stratus knows, $0.0225 per Application Load Balancer hour (LCUs are not modelled) and $0.05 per
// GiB-month (EBS snapshot storage, which is what an AMI's storage is billed as). Operators override
// them in the instance types file (--instance-types):
//   {"instance_types": [{"name": "t3.micro", "vcpus": 2, "memory_mib": 1024, "price_per_hour": 0.02}],
//    "prices": {"load_balancer_hour": 0.03, "image_gib_month": 0.1}}
#pragma once

#include <map>
#include <string>

#include "common/status.h"

namespace stratus::cost {

// AWS bills a month as 730 hours.
inline constexpr double kHoursPerMonth = 730;
inline constexpr double kBytesPerGiB = 1024.0 * 1024 * 1024;

struct PriceList {
  std::map<std::string, double> instance_hour;  // by instance type name
  double load_balancer_hour = 0.0225;
  double image_gib_month = 0.05;

  // AWS's prices for the built-in instance types.
  static PriceList AwsDefaults();

  // The hourly price of `type`; 0 for a type without a price (a custom type the file gave none).
  double InstanceHour(const std::string& type) const;

  // Applies the overrides of an instance types file (JSON text as above). Entries without
  // "price_per_hour" keep their price. InvalidArgument names a bad value; then nothing changes.
  Status AddFromJson(const std::string& json_text);
};

}  // namespace stratus::cost
