// FakeBuildRuntime: the BuildRuntime (image/image_builder.h) of unit tests. Instead of starting a build
// instance it "runs" the step at once: it writes the files the test scripted for that command into the
// instance's upper dir, then the step's output and exit code where the builder looks for them.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "common/files.h"
#include "compute/instance_runtime.h"
#include "image/image_builder.h"

namespace stratus {

class FakeBuildRuntime : public BuildRuntime {
 public:
  struct Script {
    std::map<std::string, std::string> files;  // path in the image (no leading /) -> content
    int exit_code = 0;
    std::string output;
  };

  Status Start(const RuntimeSpec& spec) override {
    std::string command;
    if (!spec.services.empty()) {
      auto it = spec.services[0].env.find("STRATUS_STEP");
      if (it != spec.services[0].env.end()) command = it->second;
    }
    Script script;
    {
      std::lock_guard lock(mu_);
      ++starts_;
      auto it = scripts_.find(command);
      if (it != scripts_.end()) script = it->second;
    }
    InstancePaths paths(spec.instance_dir);
    STRATUS_RETURN_IF_ERROR(MakeDirs(paths.upper, 0755));
    STRATUS_RETURN_IF_ERROR(MakeDirs(paths.run_dir, 0755));
    for (const auto& [path, content] : script.files) {
      std::string full = paths.upper + "/" + path;
      STRATUS_RETURN_IF_ERROR(MakeDirs(full.substr(0, full.rfind('/')), 0755));
      STRATUS_RETURN_IF_ERROR(WriteFileAtomic(full, content, 0644));
    }
    STRATUS_RETURN_IF_ERROR(WriteFileAtomic(paths.run_dir + "/build.log", script.output, 0644));
    return WriteFileAtomic(paths.run_dir + "/build.exit", std::to_string(script.exit_code) + "\n", 0644);
  }
  Status Stop(const std::string&, std::chrono::milliseconds, const std::string&) override { return Status::Ok(); }
  Status Destroy(const std::string&, const std::string& instance_dir, std::chrono::milliseconds) override {
    return RemoveAll(instance_dir);
  }

  void When(const std::string& command, Script script) {
    std::lock_guard lock(mu_);
    scripts_[command] = std::move(script);
  }
  int starts() const {
    std::lock_guard lock(mu_);
    return starts_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Script> scripts_;
  int starts_ = 0;
};

}  // namespace stratus
