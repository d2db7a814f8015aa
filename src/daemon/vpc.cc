#include "daemon/vpc.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "common/ids.h"

namespace stratus {

namespace {

constexpr char kKey[] = "vpcs/default";
// The --name this state dir was created with (backups carry it; restore compares it).
constexpr char kInstallationKey[] = "installation";

Result<std::pair<uint32_t, int>> ParseCidr(const std::string& cidr) {
  auto slash = cidr.find('/');
  in_addr addr{};
  if (slash == std::string::npos || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &addr) != 1) {
    return InvalidArgument("--vpc-cidr " + cidr + " is not an IPv4 CIDR such as 172.31.0.0/16");
  }
  int prefix = atoi(cidr.c_str() + slash + 1);
  if (prefix < 8 || prefix > 24) {
    return InvalidArgument("--vpc-cidr " + cidr + ": the prefix must be between /8 and /24 (AWS allows /16 to /28; "
                           "Stratus needs room for three subnets)");
  }
  uint32_t base = ntohl(addr.s_addr);
  uint32_t mask = prefix == 0 ? 0 : ~((1u << (32 - prefix)) - 1);
  if (base & ~mask) return InvalidArgument("--vpc-cidr " + cidr + " has host bits set");
  return std::make_pair(base, prefix);
}

std::string FormatCidr(uint32_t base, int prefix) {
  in_addr a{htonl(base)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix);
}

}  // namespace

Result<VpcInfo> LoadDefaultVpc(Store* store) {
  STRATUS_ASSIGN_OR_RETURN(auto existing, store->Get(kKey));
  auto j = nlohmann::json::parse(existing.value, nullptr, false);
  if (!j.is_object()) return Internal("the store's default VPC record is not JSON");
  VpcInfo vpc{j.value("VpcId", ""), j.value("CidrBlock", ""), {}};
  for (const auto& s : j.value("Subnets", nlohmann::json::array())) {
    vpc.subnets.push_back({s.value("SubnetId", ""), s.value("CidrBlock", ""), s.value("AvailabilityZone", "")});
  }
  return vpc;
}

Result<VpcInfo> LoadOrCreateDefaultVpc(Store* store, const std::string& cidr, const std::string& region) {
  STRATUS_ASSIGN_OR_RETURN(auto parsed, ParseCidr(cidr));
  auto existing = LoadDefaultVpc(store);
  if (existing.ok()) {
    VpcInfo vpc = std::move(*existing);
    if (vpc.cidr != cidr) {
      return FailedPrecondition("this state dir's VPC is " + vpc.cidr + ", not " + cidr +
                                "; use the same --vpc-cidr or another --state-dir");
    }
    return vpc;
  }
  if (existing.status().code() != Code::kNotFound) return existing.status();

  auto [base, prefix] = parsed;
  int subnet_prefix = prefix + 4;
  VpcInfo vpc{NewId("vpc"), cidr, {}};
  nlohmann::json subnets = nlohmann::json::array();
  for (uint32_t n = 0; n < 3; n++) {
    SubnetInfo s{NewId("subnet"), FormatCidr(base + (n << (32 - subnet_prefix)), subnet_prefix),
                 region + static_cast<char>('a' + n)};
    subnets.push_back({{"SubnetId", s.subnet_id}, {"CidrBlock", s.cidr}, {"AvailabilityZone", s.availability_zone}});
    vpc.subnets.push_back(std::move(s));
  }
  nlohmann::json j = {{"VpcId", vpc.vpc_id}, {"CidrBlock", vpc.cidr}, {"Subnets", subnets}};
  auto rev = store->Put(kKey, j.dump(), kMustNotExist);
  if (!rev.ok()) return rev.status();
  return vpc;
}

Status RecordInstallationName(Store* store, const std::string& name) {
  auto existing = store->Get(kInstallationKey);
  if (existing.ok()) {
    auto j = nlohmann::json::parse(existing->value, nullptr, false);
    std::string recorded = j.is_object() ? j.value("Name", "") : "";
    if (recorded == name) return Status::Ok();
    if (!recorded.empty()) {
      return FailedPrecondition("this state dir belongs to the installation named " + recorded + ", not " + name +
                                "; use --name " + recorded + " or another --state-dir");
    }
  } else if (existing.status().code() != Code::kNotFound) {
    return existing.status();
  }
  return SetInstallationName(store, name);
}

Status SetInstallationName(Store* store, const std::string& name) {
  return store->Put(kInstallationKey, nlohmann::json{{"Name", name}}.dump()).status();
}

Result<std::string> LoadInstallationName(Store* store) {
  STRATUS_ASSIGN_OR_RETURN(auto existing, store->Get(kInstallationKey));
  auto j = nlohmann::json::parse(existing.value, nullptr, false);
  return j.is_object() ? j.value("Name", "") : std::string();
}

}  // namespace stratus
