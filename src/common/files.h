// Small file-system helpers with Status results.
#pragma once

#include <string>

#include "common/status.h"

namespace stratus {

Result<std::string> ReadFile(const std::string& path);

// Writes `data` to path via a temporary file, fsync and rename: readers see the old or the new
// content, never a torn one, and the content survives a crash once this returns.
Status WriteFileAtomic(const std::string& path, const std::string& data, int mode = 0644);

// mkdir -p
Status MakeDirs(const std::string& path, int mode = 0755);

// rm -rf; succeeds when the path does not exist. Does not cross mount points (returns an error
// naming the mount instead), so a forgotten overlay mount is never emptied through.
Status RemoveAll(const std::string& path);

bool PathExists(const std::string& path);

}  // namespace stratus
