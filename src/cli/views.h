// What the CLI shows of each kind of API object: the columns of `list` tables and the fields of
// `show` details. Adding a noun means adding its views here.
#pragma once

#include "cli/table.h"

namespace stratus::cli {

// Instances: ID, NAME (the Name tag), STATE, TYPE, PRIVATE IP, IMAGE, AGE.
// j[key] as table text: strings as they are, other values as JSON, "" when absent.
std::string FieldText(const Json& j, const char* key);
// The text of j[object][key], or "" when either is missing (never indexes a missing member).
std::string FieldText(const Json& j, const char* object, const char* key);
// An object's Tags as "KEY=VALUE, KEY=VALUE".
std::string TagsText(const Json& j);

Columns InstanceColumns(Clock::time_point now);
// The short table printed after stop/start/reboot/terminate/modify: ID, STATE, TYPE.
Columns InstanceStateColumns();
// `instance show`: every field of an Instance.
Columns InstanceDetails(Clock::time_point now);

// Images: ID, NAME, STATE, PORTS, AGE.
Columns ImageColumns(Clock::time_point now);
// `image show`.
Columns ImageDetails(Clock::time_point now);

// Instance types: TYPE, VCPUS, MEMORY (MIB), PIDS.
Columns InstanceTypeColumns();

// VPCs: ID, CIDR, DEFAULT.
Columns VpcColumns();
// Subnets: ID, VPC, CIDR, ZONE, PUBLIC IP, DEFAULT.
Columns SubnetColumns();

// `stratus health`: Status, Name, Version.
Columns HealthDetails();

}  // namespace stratus::cli
