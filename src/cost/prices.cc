#include "cost/prices.h"

#include <nlohmann/json.hpp>

namespace stratus::cost {

namespace {

// AWS EC2 on-demand, Linux, us-east-1, USD per hour.
const std::map<std::string, double>& AwsInstancePrices() {
  static const std::map<std::string, double> prices = {
      {"t2.nano", 0.0058},    {"t2.micro", 0.0116},  {"t2.small", 0.023},    {"t2.medium", 0.0464},
      {"t2.large", 0.0928},   {"t2.xlarge", 0.1856}, {"t2.2xlarge", 0.3712},
      {"t3.nano", 0.0052},    {"t3.micro", 0.0104},  {"t3.small", 0.0208},   {"t3.medium", 0.0416},
      {"t3.large", 0.0832},   {"t3.xlarge", 0.1664}, {"t3.2xlarge", 0.3328},
      {"t3a.nano", 0.0047},   {"t3a.micro", 0.0094}, {"t3a.small", 0.0188},  {"t3a.medium", 0.0376},
      {"t3a.large", 0.0752},
      {"m5.large", 0.096},    {"m5.xlarge", 0.192},  {"m5.2xlarge", 0.384},
      {"m6i.large", 0.096},   {"m6i.xlarge", 0.192},
      {"c5.large", 0.085},    {"c5.xlarge", 0.17},   {"c5.2xlarge", 0.34},
      {"c6i.large", 0.085},   {"c6i.xlarge", 0.17},
      {"r5.large", 0.126},    {"r5.xlarge", 0.252},
  };
  return prices;
}

Status CheckPrice(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1e6) {
    return InvalidArgument(where + " must be a number in [0, 1000000]");
  }
  return Status::Ok();
}

}  // namespace

PriceList PriceList::AwsDefaults() {
  PriceList p;
  p.instance_hour = AwsInstancePrices();
  return p;
}

double PriceList::InstanceHour(const std::string& type) const {
  auto it = instance_hour.find(type);
  return it == instance_hour.end() ? 0 : it->second;
}

Status PriceList::AddFromJson(const std::string& json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("instance type config is not valid JSON");
  PriceList next = *this;
  const nlohmann::json* types = &j;
  if (j.is_object()) {
    if (auto prices = j.find("prices"); prices != j.end()) {
      if (!prices->is_object()) return InvalidArgument("\"prices\" must be an object");
      if (auto v = prices->find("load_balancer_hour"); v != prices->end()) {
        STRATUS_RETURN_IF_ERROR(CheckPrice(*v, "prices.load_balancer_hour"));
        next.load_balancer_hour = v->get<double>();
      }
      if (auto v = prices->find("image_gib_month"); v != prices->end()) {
        STRATUS_RETURN_IF_ERROR(CheckPrice(*v, "prices.image_gib_month"));
        next.image_gib_month = v->get<double>();
      }
    }
    auto it = j.find("instance_types");
    types = it == j.end() ? nullptr : &*it;
  }
  if (types && types->is_array()) {
    for (const auto& t : *types) {
      if (!t.is_object() || !t.contains("price_per_hour")) continue;
      auto name = t.find("name");
      if (name == t.end() || !name->is_string()) continue;  // the type table reports it
      STRATUS_RETURN_IF_ERROR(CheckPrice(t["price_per_hour"], "instance type " + name->get<std::string>() + ": \"price_per_hour\""));
      next.instance_hour[name->get<std::string>()] = t["price_per_hour"].get<double>();
    }
  }
  *this = std::move(next);
  return Status::Ok();
}

}  // namespace stratus::cost
