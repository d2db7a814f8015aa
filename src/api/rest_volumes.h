// The volume routes of the REST API (docs/api.md, docs/volumes.md) over VolumeService; bodies use EC2's member
// names and the answers EC2's Volume shape:
//   POST   /v1/volumes                   create {Size, VolumeType, Iops, Throughput, AvailabilityZone, Encrypted,
//                                        Tags}                                     -> {Volume}
//   GET    /v1/volumes?filter=NAME=V,V   list (DescribeVolumes' filters)           -> {Volumes}
//   GET    /v1/volumes/modifications     the last modification of each volume      -> {VolumesModifications}
//   GET    /v1/volumes/{id}                                                        -> {Volume}
//   PATCH  /v1/volumes/{id}              modify {Size, VolumeType, Iops, Throughput} -> {Volume, VolumeModification}
//   DELETE /v1/volumes/{id}
//   POST   /v1/volumes/{id}/attach       {InstanceId, Device}                      -> {Volume}
//   POST   /v1/volumes/{id}/detach       {InstanceId, Device, Force} (all optional) -> {Volume}
//   POST   /v1/volumes/{id}/tags {Tags}  DELETE /v1/volumes/{id}/tags?key=K
#pragma once

#include <httplib.h>

#include "volume/volume_service.h"

namespace stratus {

// Registers the routes above on `server`; `volumes` must outlive it.
void MountVolumeRoutes(httplib::Server& server, VolumeService* volumes);

}  // namespace stratus
