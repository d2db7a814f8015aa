// The image routes of the REST API (docs/api.md, docs/images.md) over ImageService:
//   POST   /v1/images/builds              start a build {Recipe, ContextDir, Name, Description, Tags, Wait}
//   GET    /v1/images/builds/{id}?from=N  its state and progress lines from N (&wait=1 blocks up to 10 s for news)
//   POST   /v1/images                     CreateImage from an instance {InstanceId, Name, Description, Tags}
//   DELETE /v1/images/{id}                deregister (refused while in use)
//   POST   /v1/images/{id}/tags           {Tags}      DELETE /v1/images/{id}/tags?key=K
//   POST   /v1/images/{id}/export         {Path}: an OCI image layout dir or .tar on the daemon's host
//   POST   /v1/images/import              {Path, Name, Ref}
//   POST   /v1/images/prune               remove unreferenced layers
// GET /v1/images and GET /v1/images/{id} stay in RestApi.
#pragma once

#include <httplib.h>

#include "image/image_service.h"

namespace stratus {

// Registers the routes above on `server`; `images` must outlive it.
void MountImageRoutes(httplib::Server& server, ImageService* images);

}  // namespace stratus
