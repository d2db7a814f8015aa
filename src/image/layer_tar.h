// Layer tar streams: the one byte format in which a layer is digested, exported and imported.
//
// On disk a layer is an unpacked directory in overlayfs's own format, so that it can be an overlay
// lower dir as it is: a deleted path is a whiteout (a character device 0/0) and a directory that
// hides everything below it carries the xattr trusted.overlay.opaque=y. In the tar stream (the
// layer's digest, and the blobs of an exported OCI image layout) these become OCI whiteouts: an
// empty file ".wh.NAME" and an empty file ".wh..wh..opq" in the opaque directory.
//
// The stream is deterministic: entries sorted by name (bytes), no "./" prefix and no root entry,
// mtime 0, numeric uid/gid kept, no user/group names, pax headers only for long names or sizes,
// hard links kept (the first path in sorted order holds the data). Xattrs other than the opaque
// marker are not recorded. So the same tree always gives the same bytes and the same digest.
#pragma once

#include <string>

#include "common/status.h"

namespace stratus {

inline constexpr char kWhiteoutPrefix[] = ".wh.";
inline constexpr char kOpaqueWhiteout[] = ".wh..wh..opq";
inline constexpr char kOverlayOpaqueXattr[] = "trusted.overlay.opaque";

// Writes the tar stream of `dir` to `out_fd` (skipped when -1) and returns "sha256:<hex>" of it.
// Errors name the path that could not be read or the write that failed (e.g. ENOSPC).
Result<std::string> WriteLayerTar(const std::string& dir, int out_fd);

// Unpacks the tar file `tar_path` (plain or compressed: gzip, zstd, xz, bzip2) into the existing
// empty directory `dir`, owners and modes kept, and turns OCI whiteouts into overlay ones.
// Paths outside `dir` are refused by tar itself.
Status UnpackLayerTar(const std::string& tar_path, const std::string& dir);

// Turns the OCI whiteouts under `dir` into overlay whiteouts (see above), recursively.
Status ConvertOciWhiteouts(const std::string& dir);

// Prepares an overlay upper dir to become a layer: drops overlay's bookkeeping xattrs
// (trusted.overlay.* other than opaque), recursively.
Status CleanOverlayXattrs(const std::string& dir);

}  // namespace stratus
