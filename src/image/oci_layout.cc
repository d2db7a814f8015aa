#include "image/oci_layout.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <regex>
#include <vector>

#include "common/fd.h"
#include "common/files.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "image/layer_tar.h"

namespace stratus {
namespace {

using nlohmann::json;

constexpr char kLayerTar[] = "application/vnd.oci.image.layer.v1.tar";
constexpr char kManifestType[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kIndexType[] = "application/vnd.oci.image.index.v1+json";
constexpr char kConfigType[] = "application/vnd.oci.image.config.v1+json";
constexpr char kRefName[] = "org.opencontainers.image.ref.name";

std::string HexOf(const unsigned char* md, unsigned len) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; i++) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string Sha256(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return "sha256:" + HexOf(md, len);
}

Result<std::string> Sha256File(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return NotFound("open " + path + ": " + strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t r = read(fd.get(), buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Internal("read " + path + ": " + strerror(errno));
    if (r == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(r));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return "sha256:" + HexOf(md, len);
}

bool ValidDigest(const std::string& d) {
  static const std::regex re("sha256:[0-9a-f]{64}");
  return std::regex_match(d, re);
}

std::string BlobPath(const std::string& root, const std::string& digest) {
  return root + "/blobs/sha256/" + digest.substr(7);
}

// Writes a JSON blob; returns its descriptor.
Result<json> PutJsonBlob(const std::string& root, const json& doc, const char* media_type) {
  std::string text = doc.dump();
  std::string digest = Sha256(text);
  STRATUS_RETURN_IF_ERROR(WriteFileAtomic(BlobPath(root, digest), text));
  return json{{"mediaType", media_type}, {"digest", digest}, {"size", text.size()}};
}

// Writes a layer's tar stream as a blob; the digest must be the layer's own.
Result<json> PutLayerBlob(ImageStore& images, const std::string& root, const std::string& layer) {
  std::string tmp = root + "/blobs/sha256/.tmp-" + RandomHex(8);
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return Internal("create " + tmp + ": " + strerror(errno));
  auto digest = WriteLayerTar(images.LayerDir(layer), fd.get());
  struct stat st;
  if (!digest.ok() || fstat(fd.get(), &st) != 0) {
    unlink(tmp.c_str());
    return digest.ok() ? Internal("stat " + tmp) : digest.status();
  }
  if (*digest != layer) {
    unlink(tmp.c_str());
    return Internal("layer " + layer + " on disk now digests to " + *digest + "; it was modified");
  }
  if (rename(tmp.c_str(), BlobPath(root, layer).c_str()) != 0) return Internal("rename blob: " + std::string(strerror(errno)));
  return json{{"mediaType", kLayerTar}, {"digest", layer}, {"size", st.st_size}};
}

json OciConfig(const Image& image) {
  json cfg = json::object();
  cfg["Env"] = image.config.env;
  json ports = json::object();
  for (int p : image.config.ports) ports[std::to_string(p) + "/tcp"] = json::object();
  if (!ports.empty()) cfg["ExposedPorts"] = ports;
  if (!image.config.services.empty()) cfg["Entrypoint"] = image.config.services.front().command;
  json full = ToJson(image);
  json mine = {{"Services", full["Services"]}, {"HealthCheck", full["HealthCheck"]}, {"Sysctls", full["Sysctls"]},
               {"Ports", full["Ports"]}, {"Env", full["Env"]}, {"Description", image.description}};
  cfg["Labels"] = {{kStratusConfigLabel, mine.dump()}};
  json history = json::array();
  for (size_t i = 0; i < image.layers.size(); i++) history.push_back({{"created_by", "stratus layer " + std::to_string(i)}});
  return {{"architecture", "amd64"}, {"os", "linux"}, {"created", image.creation_date}, {"config", cfg},
          {"rootfs", {{"type", "layers"}, {"diff_ids", image.layers}}}, {"history", history}};
}

std::string RefFor(const Image& image) {
  static const std::regex re("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  return std::regex_match(image.name, re) ? image.name : "latest";
}

Status WriteLayout(ImageStore& images, const Image& image, const std::string& root, ExportResult& out) {
  STRATUS_RETURN_IF_ERROR(MakeDirs(root + "/blobs/sha256"));
  STRATUS_RETURN_IF_ERROR(WriteFileAtomic(root + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  json layers = json::array();
  for (const auto& l : image.layers) {
    STRATUS_ASSIGN_OR_RETURN(json d, PutLayerBlob(images, root, l));
    layers.push_back(d);
  }
  STRATUS_ASSIGN_OR_RETURN(json config, PutJsonBlob(root, OciConfig(image), kConfigType));
  json manifest = {{"schemaVersion", 2}, {"mediaType", kManifestType}, {"config", config}, {"layers", layers},
                   {"annotations", {{"org.opencontainers.image.created", image.creation_date},
                                    {"org.stratus.image.id", image.image_id}}}};
  STRATUS_ASSIGN_OR_RETURN(json md, PutJsonBlob(root, manifest, kManifestType));
  out.reference = RefFor(image);
  out.manifest_digest = md["digest"];
  md["annotations"] = {{kRefName, out.reference}};
  md["platform"] = {{"architecture", "amd64"}, {"os", "linux"}};
  json index = {{"schemaVersion", 2}, {"mediaType", kIndexType}, {"manifests", json::array({md})}};
  return WriteFileAtomic(root + "/index.json", index.dump());
}

Result<json> ReadJson(const std::string& path, const std::string& what) {
  auto text = ReadFile(path);
  if (!text.ok()) return InvalidArgument("the OCI layout has no " + what + " (" + path + ")");
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument(what + " is not a JSON object");
  return j;
}

// Reads a blob named by a descriptor, checking its digest.
Result<json> ReadJsonBlob(const std::string& root, const json& desc, const std::string& what) {
  std::string digest = desc.is_object() ? desc.value("digest", "") : "";
  if (!ValidDigest(digest)) return InvalidArgument(what + " has no valid sha256 digest");
  auto text = ReadFile(BlobPath(root, digest));
  if (!text.ok()) return InvalidArgument(what + " blob " + digest + " is missing");
  if (Sha256(*text) != digest) return InvalidArgument(what + " blob " + digest + " does not match its digest");
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument(what + " " + digest + " is not a JSON object");
  return j;
}

// Finds the image manifest in the index (following one nested index), by ref name or platform.
Result<json> PickManifest(const std::string& root, const json& index, const std::string& ref, std::string* ref_out) {
  if (!index.contains("manifests") || !index["manifests"].is_array() || index["manifests"].empty()) {
    return InvalidArgument("index.json lists no manifests");
  }
  for (const auto& m : index["manifests"]) {
    std::string name = m.contains("annotations") ? m["annotations"].value(kRefName, "") : "";
    if (!ref.empty() && name != ref) continue;
    if (m.contains("platform") && m["platform"].value("architecture", "amd64") != "amd64") continue;
    *ref_out = name;
    if (m.value("mediaType", "") == kIndexType) {
      STRATUS_ASSIGN_OR_RETURN(json nested, ReadJsonBlob(root, m, "nested index"));
      std::string ignored;
      return PickManifest(root, nested, "", &ignored);
    }
    return ReadJsonBlob(root, m, "manifest");
  }
  return NotFound(ref.empty() ? "the OCI layout has no linux/amd64 manifest" : "the OCI layout has no image tagged " + ref);
}

ImageConfig ConfigFromOci(const json& cfg_blob, std::string* description) {
  ImageConfig c;
  json cfg = cfg_blob.value("config", json::object());
  if (!cfg.is_object()) return c;
  json labels = cfg.value("Labels", json::object());
  if (labels.is_object() && labels.contains(kStratusConfigLabel) && labels[kStratusConfigLabel].is_string()) {
    json mine = json::parse(labels[kStratusConfigLabel].get<std::string>(), nullptr, false);
    if (mine.is_object()) {
      mine["ImageId"] = "ami-import";
      auto parsed = ImageFromJson(mine);
      if (parsed.ok()) {
        *description = parsed->description;
        return parsed->config;
      }
    }
  }
  if (cfg.contains("Env") && cfg["Env"].is_array()) {
    for (const auto& e : cfg["Env"]) {
      if (e.is_string()) c.env.push_back(e);
    }
  }
  if (cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object()) {
    for (const auto& [k, v] : cfg["ExposedPorts"].items()) {
      int p = atoi(k.c_str());
      if (p > 0 && p < 65536) c.ports.push_back(p);
    }
  }
  std::vector<std::string> argv;
  for (const char* key : {"Entrypoint", "Cmd"}) {
    if (!cfg.contains(key) || !cfg[key].is_array()) continue;
    for (const auto& a : cfg[key]) {
      if (a.is_string()) argv.push_back(a);
    }
  }
  if (!argv.empty()) c.services.push_back(ServiceSpec{"main", argv, {}, RestartPolicy::kAlways});
  return c;
}

// Stores one layer blob; returns the layer's digest in the store.
Result<std::string> ImportLayer(ImageStore& images, const std::string& root, const json& desc, const std::string& diff_id) {
  std::string digest = desc.is_object() ? desc.value("digest", "") : "";
  if (!ValidDigest(digest)) return InvalidArgument("a layer descriptor has no valid sha256 digest");
  if (ValidDigest(diff_id) && PathExists(images.LayerDir(diff_id))) return diff_id;  // stored once
  std::string blob = BlobPath(root, digest);
  STRATUS_ASSIGN_OR_RETURN(std::string actual, Sha256File(blob));
  if (actual != digest) return InvalidArgument("layer blob " + digest + " does not match its digest (got " + actual + ")");
  STRATUS_ASSIGN_OR_RETURN(std::string dir, images.NewScratchDir());
  Status st = UnpackLayerTar(blob, dir);
  if (!st.ok()) {
    (void)RemoveAll(dir);
    return st;
  }
  auto stored = images.AddLayerFromDir(dir);
  if (!stored.ok()) (void)RemoveAll(dir);
  return stored;
}

}  // namespace

Result<ExportResult> ExportOciLayout(ImageStore& images, const Image& image, const std::string& path) {
  if (path.empty() || path.front() != '/') return InvalidArgument("the export path must be absolute: " + path);
  ExportResult out;
  out.path = path;
  bool archive = path.ends_with(".tar");
  std::error_code ec;
  if (!archive && PathExists(path) && !std::filesystem::is_empty(path, ec)) {
    return AlreadyExists("export target " + path + " exists and is not empty");
  }
  if (archive && PathExists(path)) return AlreadyExists("export target " + path + " exists");
  if (!archive) {
    Status st = WriteLayout(images, image, path, out);
    if (!st.ok()) (void)RemoveAll(path);
    if (!st.ok()) return st;
    return out;
  }
  STRATUS_ASSIGN_OR_RETURN(std::string tmp, images.NewScratchDir());
  Status st = WriteLayout(images, image, tmp, out);
  if (st.ok()) {
    std::string partial = path + ".partial-" + RandomHex(6);
    RunOptions ro;
    ro.timeout = std::chrono::minutes(30);
    auto tar = RunChecked({"tar", "--sort=name", "--numeric-owner", "-cf", partial, "-C", tmp, "."}, ro);
    st = tar.ok() ? Status::Ok() : tar.status();
    if (st.ok() && rename(partial.c_str(), path.c_str()) != 0) st = Internal("rename " + partial + ": " + strerror(errno));
    if (!st.ok()) unlink(partial.c_str());
  }
  (void)RemoveAll(tmp);
  if (!st.ok()) return st;
  return out;
}

Result<Image> ImportOciLayout(ImageStore& images, const std::string& path, const std::string& name,
                              const std::string& ref) {
  if (path.empty() || path.front() != '/') return InvalidArgument("the import path must be absolute: " + path);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return NotFound("import source " + path + " does not exist");
  std::string root = path;
  std::string tmp;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      if (!dir.empty()) (void)RemoveAll(dir);
    }
  } cleanup;
  if (!S_ISDIR(st.st_mode)) {
    STRATUS_ASSIGN_OR_RETURN(tmp, images.NewScratchDir());
    cleanup.dir = tmp;
    RunOptions ro;
    ro.timeout = std::chrono::minutes(30);
    auto tar = RunChecked({"tar", "-xf", path, "-C", tmp, "--no-same-owner"}, ro);
    if (!tar.ok()) return InvalidArgument("cannot read archive " + path + ": " + tar.status().message());
    root = tmp;
  }
  STRATUS_ASSIGN_OR_RETURN(json index, ReadJson(root + "/index.json", "index.json"));
  std::string ref_name;
  STRATUS_ASSIGN_OR_RETURN(json manifest, PickManifest(root, index, ref, &ref_name));
  if (!manifest.contains("layers") || !manifest["layers"].is_array()) return InvalidArgument("the manifest has no layers");
  STRATUS_ASSIGN_OR_RETURN(json config, ReadJsonBlob(root, manifest.value("config", json()), "image config"));
  json diff_ids = config.contains("rootfs") ? config["rootfs"].value("diff_ids", json::array()) : json::array();
  Image image;
  image.name = !name.empty() ? name : !ref_name.empty() ? ref_name : "imported-" + RandomHex(8);
  image.config = ConfigFromOci(config, &image.description);
  if (image.description.empty()) image.description = "imported from " + path;
  size_t i = 0;
  for (const auto& desc : manifest["layers"]) {
    std::string diff_id = i < diff_ids.size() && diff_ids[i].is_string() ? diff_ids[i].get<std::string>() : "";
    STRATUS_ASSIGN_OR_RETURN(std::string layer, ImportLayer(images, root, desc, diff_id));
    image.layers.push_back(layer);
    i++;
  }
  if (image.layers.empty()) {
    STRATUS_ASSIGN_OR_RETURN(std::string dir, images.NewScratchDir());
    STRATUS_ASSIGN_OR_RETURN(std::string empty, images.AddLayerFromDir(dir));
    image.layers.push_back(empty);
  }
  return images.Register(image);
}

}  // namespace stratus
