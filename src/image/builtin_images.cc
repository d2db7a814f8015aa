#include "image/builtin_images.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/files.h"
#include "common/log.h"
#include "common/subprocess.h"

namespace stratus {
namespace {

Status CopyExecutable(const std::string& from, const std::string& to) {
  STRATUS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(from));
  return WriteFileAtomic(to, bytes, 0755);
}

// The minimal tree of a Linux root: mount points, passwd/group, hosts.
Status WriteBaseTree(const std::string& root) {
  for (const char* d : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "run", "tmp", "var/log",
                        "var/lib", "root", "home"}) {
    STRATUS_RETURN_IF_ERROR(MakeDirs(root + "/" + d));
  }
  chmod((root + "/tmp").c_str(), 01777);
  STRATUS_RETURN_IF_ERROR(WriteFileAtomic(root + "/etc/passwd",
                                          "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"));
  STRATUS_RETURN_IF_ERROR(WriteFileAtomic(root + "/etc/group", "root:x:0:\nnogroup:x:65534:\n"));
  return WriteFileAtomic(root + "/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n");
}

Result<std::string> BuildBusyboxLayer(ImageStore& images, const std::string& busybox) {
  STRATUS_ASSIGN_OR_RETURN(std::string dir, images.NewScratchDir());
  STRATUS_RETURN_IF_ERROR(WriteBaseTree(dir));
  STRATUS_RETURN_IF_ERROR(CopyExecutable(busybox, dir + "/bin/busybox"));
  STRATUS_ASSIGN_OR_RETURN(auto list, RunChecked({busybox, "--list-full"}));
  std::istringstream in(list.out);
  std::string applet;
  while (std::getline(in, applet)) {
    if (applet.empty() || applet == "bin/busybox") continue;
    std::string link = dir + "/" + applet;
    if (symlink("/bin/busybox", link.c_str()) != 0 && errno != EEXIST) {
      return Internal("symlink " + link + ": " + strerror(errno));
    }
  }
  return images.AddLayerFromDir(dir);
}

Result<std::string> BuildDemoWebLayer(ImageStore& images, const std::string& demo_web) {
  STRATUS_ASSIGN_OR_RETURN(std::string dir, images.NewScratchDir());
  STRATUS_RETURN_IF_ERROR(MakeDirs(dir + "/usr/bin"));
  STRATUS_RETURN_IF_ERROR(CopyExecutable(demo_web, dir + "/usr/bin/demo-web"));
  return images.AddLayerFromDir(dir);
}

}  // namespace

Status EnsureBuiltinImages(ImageStore& images, const BuiltinImageSources& sources) {
  bool have_busybox = images.Find("busybox").ok();
  bool have_demo = images.Find("demo-web").ok();
  if (have_busybox && have_demo) return Status::Ok();

  STRATUS_ASSIGN_OR_RETURN(std::string busybox_layer, BuildBusyboxLayer(images, sources.busybox));
  if (!have_busybox) {
    Image image;
    image.name = "busybox";
    image.description = "BusyBox from Debian's busybox-static";
    image.layers = {busybox_layer};
    image.config.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    image.builtin = true;
    STRATUS_ASSIGN_OR_RETURN(Image registered, images.Register(image));
    LogInfo("registered built-in image", {{"image", registered.image_id}, {"name", "busybox"}});
  }
  if (!have_demo) {
    STRATUS_ASSIGN_OR_RETURN(std::string web_layer, BuildDemoWebLayer(images, sources.demo_web));
    Image image;
    image.name = "demo-web";
    image.description = "BusyBox and a small HTTP server on port 80 (GET /, /healthz, /burn?ms=N, /sleep?ms=N)";
    image.layers = {busybox_layer, web_layer};
    image.config.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    ServiceSpec web;
    web.name = "web";
    web.command = {"/usr/bin/demo-web", "--port", "80"};
    web.restart = RestartPolicy::kAlways;
    image.config.services = {web};
    image.config.ports = {80};
    image.config.health_check = {"HTTP", 80, "/healthz", "200"};
    image.builtin = true;
    STRATUS_ASSIGN_OR_RETURN(Image registered, images.Register(image));
    LogInfo("registered built-in image", {{"image", registered.image_id}, {"name", "demo-web"}});
  }
  return Status::Ok();
}

}  // namespace stratus
