#include "api/rest_console.h"

#include <filesystem>
#include <map>
#include <memory>

#include "api/http_errors.h"
#include "api/rest_api.h"
#include "common/files.h"

namespace stratus {

namespace {

struct Asset {
  std::string body;
  std::string gzip;  // empty when there is no .gz twin
  std::string type;
};

std::string ContentType(const std::string& path) {
  static const std::map<std::string, std::string> types = {
      // cpp-httplib compresses text/* bodies itself (brotli or gzip, per response). The script bundle is the one
      // large file: it goes out as its gzip twin, made once at build time, under a JavaScript type that httplib
      // leaves alone (it matches application/javascript only without parameters).
      {".html", "text/html; charset=utf-8"}, {".js", "application/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
      {".png", "image/png"},                 {".json", "application/json"},
      {".ico", "image/x-icon"},              {".txt", "text/plain; charset=utf-8"}};
  auto it = types.find(std::filesystem::path(path).extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

std::map<std::string, Asset> LoadAssets(const std::string& dir) {
  std::map<std::string, Asset> assets;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() == ".gz") continue;
    std::string rel = std::filesystem::relative(it->path(), dir).generic_string();
    auto body = ReadFile(it->path().string());
    if (!body.ok()) continue;
    Asset a{*body, "", ContentType(rel)};
    if (it->path().extension() == ".js") {
      if (auto gz = ReadFile(it->path().string() + ".gz"); gz.ok()) a.gzip = *gz;
    }
    assets[rel] = std::move(a);
  }
  return assets;
}

void SecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
}

}  // namespace

bool IsConsolePath(const std::string& path) { return path == "/console" || path.rfind("/console/", 0) == 0; }

void MountConsoleRoutes(httplib::Server& server, const std::string& dir) {
  auto assets = std::make_shared<const std::map<std::string, Asset>>(LoadAssets(dir));
  server.Get("/console", [](const httplib::Request&, httplib::Response& res) {
    SecurityHeaders(res);
    res.set_redirect("/console/");
  });
  server.Get(R"(/console/(.*))", [assets, dir](const httplib::Request& req, httplib::Response& res) {
    SecurityHeaders(res);
    std::string rel = req.matches[1].str();
    auto it = assets->find(rel);
    // Page paths (/console/instances, ...) are routes of the single page: they get index.html.
    if (it == assets->end() && rel.find('.') == std::string::npos) it = assets->find("index.html");
    if (it == assets->end()) {
      Status st = assets->empty() ? NotFound("the console is not installed: no files in " + dir)
                                  : NotFound("no console file " + rel);
      res.status = 404;
      res.set_content(ErrorBody(st).dump(), "application/json");
      return;
    }
    const Asset& a = it->second;
    // index.html names the bundles by content hash, so they may be cached for good; the page may not.
    res.set_header("Cache-Control", it->first == "index.html" ? "no-cache" : "public, max-age=31536000, immutable");
    res.set_header("Vary", "Accept-Encoding");
    if (!a.gzip.empty() && req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos) {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(a.gzip, a.type);
    } else {
      res.set_content(a.body, a.type);
    }
  });
}

}  // namespace stratus
