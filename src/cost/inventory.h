// The daemon's inventory for the cost meter: instances (type, state, group, tags), load balancers
// and images with the bytes of their layers.
#pragma once

#include <functional>

#include "compute/instance_service.h"
#include "cost/cost_meter.h"
#include "elb/load_balancer_service.h"
#include "image/image_store.h"

namespace stratus::cost {

// Any pointer but `instances` may be null. Image bytes are ImageStore::LayerBytes (measured once per
// digest), so a pass costs a Describe and a few map lookups.
std::function<Inventory()> MakeDaemonInventory(InstanceService* instances, elb::LoadBalancerService* elb,
                                               ImageStore* images);

}  // namespace stratus::cost
