// OCI image layouts (https://github.com/opencontainers/image-spec/blob/main/image-layout.md):
// export an image as one, import one as an image. Interoperable with skopeo (oci:DIR[:REF],
// oci-archive:FILE.tar[:REF]) and umoci.
//
// Export writes each layer as an uncompressed tar blob (media type ...layer.v1.tar) whose bytes are
// exactly the layer's deterministic stream (layer_tar.h), so blob digest = diff_id = the layer's
// digest in Stratus. The config carries Env, ExposedPorts, Entrypoint (the first service) and the
// full Stratus config (services, health check, sysctls) in the label org.stratus.image.config.
// Import accepts uncompressed or compressed layers (gzip, zstd), checks every blob's digest,
// unpacks each layer with OCI whiteouts turned into overlay ones and stores it by its digest; a
// layer that is already stored (same diff_id) is not unpacked again. So export -> skopeo copy ->
// import gives back the same layer digests.
#pragma once

#include <string>

#include "common/status.h"
#include "image/image_store.h"

namespace stratus {

inline constexpr char kStratusConfigLabel[] = "org.stratus.image.config";

struct ExportResult {
  std::string path;             // the layout dir or archive written
  std::string manifest_digest;  // "sha256:..."
  std::string reference;        // the org.opencontainers.image.ref.name it is tagged with
};

// Writes `image` as an OCI image layout at `path`: a directory (created; must be absent or empty)
// or, when `path` ends in ".tar", an archive of one (skopeo's oci-archive). The layout is tagged
// with the image's name (or "latest" when the name is not a valid reference).
Result<ExportResult> ExportOciLayout(ImageStore& images, const Image& image, const std::string& path);

// Reads the OCI image layout at `path` (a directory or a .tar archive of one) and registers its
// image as `name` ("" = the layout's ref name, else "imported-<hex>"). `ref` picks a manifest by
// its ref name when the index holds several ("" = the only or the first linux/amd64 one).
// InvalidArgument for a malformed layout, naming what is wrong.
Result<Image> ImportOciLayout(ImageStore& images, const std::string& path, const std::string& name,
                              const std::string& ref = "");

}  // namespace stratus
