// The images every Stratus has after its first start: `busybox` (Debian's busybox-static, tiny and
// instant) and `demo-web` (busybox plus our small HTTP server on port 80).
#pragma once

#include <string>

#include "common/status.h"
#include "image/image_store.h"

namespace stratus {

struct BuiltinImageSources {
  std::string busybox = "/bin/busybox";  // a static busybox
  std::string demo_web;                  // the stratus-demo-web binary
};

// Registers the built-in images that are missing. Idempotent.
Status EnsureBuiltinImages(ImageStore& images, const BuiltinImageSources& sources);

}  // namespace stratus
