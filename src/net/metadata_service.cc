#include "net/metadata_service.h"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/ids.h"
#include "common/log.h"

namespace stratus::net {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxTtlSeconds = 21600;
constexpr size_t kMaxTokens = 65536;

const char* Reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

// EC2's IMDS answers errors with a small XHTML page.
MetadataResponse Error(int status) {
  std::string title = std::to_string(status) + " - " + Reason(status);
  MetadataResponse r;
  r.status = status;
  r.content_type = "text/html";
  r.body =
      "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
      "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
      "\t\t \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
      "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
      " <head>\n  <title>" +
      title +
      "</title>\n </head>\n"
      " <body>\n  <h1>" +
      title + "</h1>\n </body>\n</html>\n";
  return r;
}

MetadataResponse Text(std::string body) {
  MetadataResponse r;
  r.body = std::move(body);
  return r;
}

std::string IdentityDocument(const InstanceMetadata& m) {
  nlohmann::json doc = {
      {"accountId", m.account_id},
      {"architecture", "x86_64"},
      {"availabilityZone", m.availability_zone},
      {"billingProducts", nullptr},
      {"devpayProductCodes", nullptr},
      {"marketplaceProductCodes", nullptr},
      {"imageId", m.ami_id},
      {"instanceId", m.instance_id},
      {"instanceType", m.instance_type},
      {"kernelId", nullptr},
      {"pendingTime", m.launch_time},
      {"privateIp", m.local_ipv4},
      {"ramdiskId", nullptr},
      {"region", m.region},
      {"version", "2017-09-30"},
  };
  return doc.dump(2);
}

// Tag keys that cannot be a path segment are not served (EC2 does the same for "/" and spaces).
bool ServableTagKey(const std::string& k) {
  return !k.empty() && k != "." && k != ".." && k.find_first_of("/ ") == std::string::npos;
}

// Every leaf under /latest/, by path relative to it. Listings are derived from these paths.
std::map<std::string, std::string> Leaves(const InstanceMetadata& m) {
  std::map<std::string, std::string> l;
  const std::string md = "meta-data/";
  l[md + "ami-id"] = m.ami_id;
  l[md + "ami-launch-index"] = std::to_string(m.ami_launch_index);
  l[md + "hostname"] = m.local_hostname;
  l[md + "instance-id"] = m.instance_id;
  l[md + "instance-type"] = m.instance_type;
  l[md + "local-hostname"] = m.local_hostname;
  l[md + "local-ipv4"] = m.local_ipv4;
  l[md + "mac"] = m.mac;
  l[md + "placement/availability-zone"] = m.availability_zone;
  l[md + "placement/region"] = m.region;
  if (!m.reservation_id.empty()) l[md + "reservation-id"] = m.reservation_id;
  if (!m.security_groups.empty()) {
    std::string sg;
    for (const auto& g : m.security_groups) sg += (sg.empty() ? "" : "\n") + g;
    l[md + "security-groups"] = sg;
  }
  if (!m.mac.empty()) {
    const std::string nic = md + "network/interfaces/macs/" + m.mac + "/";
    l[nic + "mac"] = m.mac;
    l[nic + "local-ipv4s"] = m.local_ipv4;
    l[nic + "local-hostname"] = m.local_hostname;
  }
  for (const auto& [k, v] : m.tags) {
    if (ServableTagKey(k)) l[md + "tags/instance/" + k] = v;
  }
  for (size_t i = 0; i < m.volume_devices.size(); ++i) {
    l[md + "block-device-mapping/ebs" + std::to_string(i + 1)] = m.volume_devices[i];
  }
  l["dynamic/instance-identity/document"] = IdentityDocument(m);
  if (!m.user_data.empty()) l["user-data"] = m.user_data;
  return l;
}

// Resolves `rel` (path under /latest/, no trailing slash) to a leaf or a listing.
MetadataResponse Resolve(const InstanceMetadata& m, const std::string& rel) {
  std::map<std::string, std::string> leaves = Leaves(m);
  if (auto it = leaves.find(rel); it != leaves.end()) return Text(it->second);
  std::string dir = rel.empty() ? "" : rel + "/";
  std::set<std::string> children;
  for (auto it = leaves.lower_bound(dir); it != leaves.end() && it->first.compare(0, dir.size(), dir) == 0;
       ++it) {
    std::string rest = it->first.substr(dir.size());
    size_t slash = rest.find('/');
    children.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
  }
  if (children.empty()) return Error(404);
  std::string body;
  for (const auto& c : children)
    body +=
        (body.empty() ? "" : "\n") + (c == "meta-data/" || c == "dynamic/" ? c.substr(0, c.size() - 1) : c);
  return Text(body);
}

// Splits "/latest/meta-data/x/" into version "latest" and "meta-data/x". False when the path does
// not start with a version EC2 knows ("latest", "1.0" or a date).
bool SplitVersion(const std::string& path, std::string* version, std::string* rel) {
  if (path.empty() || path[0] != '/') return false;
  std::string p = path.substr(1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  size_t slash = p.find('/');
  *version = p.substr(0, slash);
  *rel = slash == std::string::npos ? "" : p.substr(slash + 1);
  if (*version == "latest" || *version == "1.0") return true;
  if (version->size() != 10 || (*version)[4] != '-' || (*version)[7] != '-') return false;
  return version->find_first_not_of("0123456789-") == std::string::npos;
}

}  // namespace

MetadataHandler::MetadataHandler(InstanceDirectory* directory, bool tokens_required)
    : directory_(directory), tokens_required_(tokens_required) {}

size_t MetadataHandler::TokenCountForTest() {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_.size();
}

MetadataResponse MetadataHandler::IssueToken(const MetadataRequest& req, const InstanceMetadata& md) {
  if (req.forwarded) return Error(403);
  const std::string& t = req.ttl_seconds;
  if (t.empty() || t.size() > 6 || t.find_first_not_of("0123456789") != std::string::npos) return Error(400);
  int ttl = std::stoi(t);
  if (ttl < 1 || ttl > kMaxTtlSeconds) return Error(400);
  std::string token = RandomHex(56);
  auto now = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (tokens_.size() >= 1024)
      std::erase_if(tokens_, [now](const auto& kv) { return kv.second.expires <= now; });
    if (tokens_.size() >= kMaxTokens) return Error(503);
    tokens_[token] = {md.instance_id, now + std::chrono::seconds(ttl)};
  }
  MetadataResponse r = Text(token);
  r.ttl_seconds = std::to_string(ttl);
  return r;
}

std::optional<MetadataResponse> MetadataHandler::CheckToken(const MetadataRequest& req,
                                                            const InstanceMetadata& md) {
  if (req.token.empty()) {
    if (tokens_required_ || md.tokens_required) return Error(401);
    return std::nullopt;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(req.token);
  if (it == tokens_.end()) return Error(401);
  if (it->second.expires <= Clock::now()) {
    tokens_.erase(it);
    return Error(401);
  }
  if (it->second.instance_id != md.instance_id) return Error(401);  // issued to another instance
  return std::nullopt;
}

MetadataResponse MetadataHandler::Handle(const MetadataRequest& req) {
  std::optional<InstanceMetadata> md = directory_->FindByPrivateIp(req.source_ip);
  if (!md) return Error(403);
  std::string version, rel;
  if (req.path == "/" || req.path.empty()) return req.method == "PUT" ? Error(405) : Text("latest");
  bool known = SplitVersion(req.path, &version, &rel);
  if (req.method == "PUT") {
    if (known && rel == "api/token") return IssueToken(req, *md);
    return Error(405);
  }
  if (req.method != "GET" && req.method != "HEAD") return Error(405);
  if (!known) return Error(404);
  if (rel == "api/token") return Error(405);
  if (auto denied = CheckToken(req, *md)) return *denied;
  return Resolve(*md, rel);
}

MetadataService::MetadataService(InstanceDirectory* directory, bool tokens_required)
    : handler_(directory, tokens_required), server_(std::make_unique<httplib::Server>()) {}

MetadataService::~MetadataService() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<MetadataService>> MetadataService::Start(const MetadataServiceOptions& options,
                                                                InstanceDirectory* directory) {
  std::unique_ptr<MetadataService> s(new MetadataService(directory, options.tokens_required));
  httplib::Server& srv = *s->server_;
  int threads = options.threads > 0 ? options.threads : 1;
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  srv.set_read_timeout(2, 0);
  srv.set_write_timeout(2, 0);
  srv.set_keep_alive_timeout(1);
  srv.set_payload_max_length(4096);
  MetadataHandler* handler = &s->handler_;
  auto serve = [handler](const httplib::Request& req, httplib::Response& res) {
    MetadataRequest mr{req.method,
                       req.path,
                       req.remote_addr,
                       req.get_header_value("X-aws-ec2-metadata-token"),
                       req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds"),
                       req.has_header("X-Forwarded-For")};
    MetadataResponse r = handler->Handle(mr);
    res.status = r.status;
    res.set_header("Server", "EC2ws");
    if (!r.ttl_seconds.empty()) res.set_header("X-aws-ec2-metadata-token-ttl-seconds", r.ttl_seconds);
    res.set_content(r.body, r.content_type.c_str());
  };
  // Every request is answered in the pre-routing handler, which cpp-httplib runs before it reads a
  // body: IMDS requests have none, and `curl -X PUT .../api/token` (EC2's own example) sends no
  // Content-Length, for which httplib would otherwise wait for EOF and answer 400.
  srv.set_pre_routing_handler([serve](const httplib::Request& req, httplib::Response& res) {
    serve(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  if (options.port == 0) {
    s->port_ = srv.bind_to_any_port(options.listen_address);
    if (s->port_ <= 0) return Unavailable("metadata service cannot listen on " + options.listen_address);
  } else {
    if (!srv.bind_to_port(options.listen_address, options.port))
      return Unavailable("metadata service cannot listen on " + options.listen_address + ":" +
                         std::to_string(options.port));
    s->port_ = options.port;
  }
  s->thread_ = std::thread([&srv] { srv.listen_after_bind(); });
  // stop() before the loop runs would be lost and the destructor's join would hang: wait for it.
  for (int i = 0; i < 2000 && !srv.is_running(); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  LogInfo("metadata service listening",
          {{"address", options.listen_address}, {"port", std::to_string(s->port_)}});
  return s;
}

}  // namespace stratus::net
