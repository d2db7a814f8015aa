// The EC2 instance metadata service (IMDS) that instances reach at http://169.254.169.254/.
//
// The host network DNATs 169.254.169.254:80 to this service and keeps the instance's source
// address, so the caller is identified by the TCP peer address alone: an instance sees only its
// own data. IMDSv2 tokens (PUT /latest/api/token) are bound to the instance they were issued to;
// GETs work without a token (IMDSv1) unless tokens are required, globally or per instance, as
// EC2's HttpTokens=required. Paths, listings, status codes and content types follow EC2.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace httplib {
class Server;
}

namespace stratus::net {

// What the metadata service knows about one instance.
struct InstanceMetadata {
  std::string instance_id;        // "i-0123456789abcdef0"
  std::string ami_id;             // "ami-..."
  std::string instance_type;      // "t3.nano"
  std::string local_ipv4;         // "172.31.0.5"
  std::string local_hostname;     // "ip-172-31-0-5.ec2.internal"
  std::string availability_zone;  // "us-east-1a"
  std::string region;             // "us-east-1"
  std::string mac;                // "2a:bf:4e:be:64:a3"
  std::string account_id;         // for the identity document; may be empty
  std::string reservation_id;     // "r-..."; may be empty
  std::string launch_time;        // ISO 8601, "2026-11-27T05:30:00Z" (identity document pendingTime)
  int ami_launch_index = 0;
  std::vector<std::string> security_groups;  // group names
  std::map<std::string, std::string> tags;
  std::string user_data;         // raw bytes; empty means none (GET /latest/user-data is 404)
  bool tokens_required = false;  // this instance's HttpTokens=required
  // The volumes attached to it, served as block-device-mapping/ebsN -> device ("sdf"), in attach order.
  std::vector<std::string> volume_devices;
};

// Looks instances up by private IP. Called from the service's worker threads concurrently: an
// implementation must be thread-safe and fast (it runs on every request).
class InstanceDirectory {
 public:
  virtual ~InstanceDirectory() = default;
  // The instance holding `ip` on this host, or nullopt.
  virtual std::optional<InstanceMetadata> FindByPrivateIp(const std::string& ip) = 0;
};

// One request, reduced to what the service looks at.
struct MetadataRequest {
  std::string method;       // "GET", "HEAD", "PUT", ...
  std::string path;         // "/latest/meta-data/instance-id"
  std::string source_ip;    // TCP peer address
  std::string token;        // X-aws-ec2-metadata-token, empty when absent
  std::string ttl_seconds;  // X-aws-ec2-metadata-token-ttl-seconds, empty when absent
  bool forwarded = false;   // an X-Forwarded-For header was present (EC2 refuses token PUTs then)
};

struct MetadataResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::string ttl_seconds;  // echoed in X-aws-ec2-metadata-token-ttl-seconds on token responses
};

struct MetadataServiceOptions {
  std::string listen_address = "127.0.0.1";  // HostNetwork::MetadataAddress() in the daemon
  int port = 0;                              // 0: any free port (see MetadataService::port())
  bool tokens_required = false;              // IMDSv2 only, for every instance
  int threads = 4;                           // worker threads
};

// The request handling, without sockets: tokens and path resolution. Thread-safe.
class MetadataHandler {
 public:
  MetadataHandler(InstanceDirectory* directory, bool tokens_required);

  // Answers one request as EC2's IMDS would.
  MetadataResponse Handle(const MetadataRequest& req);

  // Requires (or stops requiring) tokens from every instance, from the next request on.
  void SetTokensRequired(bool required) { tokens_required_ = required; }

  // Number of live tokens, for tests.
  size_t TokenCountForTest();

 private:
  struct Token {
    std::string instance_id;
    std::chrono::steady_clock::time_point expires;
  };

  MetadataResponse IssueToken(const MetadataRequest& req, const InstanceMetadata& md);
  // Ok, or the 401 to send: the token is valid for `md`, or absent and allowed to be.
  std::optional<MetadataResponse> CheckToken(const MetadataRequest& req, const InstanceMetadata& md);

  InstanceDirectory* directory_;
  std::atomic<bool> tokens_required_;
  std::mutex mu_;
  std::map<std::string, Token> tokens_;  // GUARDED_BY(mu_)
};

// The HTTP server around a MetadataHandler.
class MetadataService {
 public:
  // Binds options.listen_address:options.port and starts serving. `directory` must outlive the
  // service. Unavailable when the address cannot be bound.
  static Result<std::unique_ptr<MetadataService>> Start(const MetadataServiceOptions& options,
                                                        InstanceDirectory* directory);

  // Stops serving and joins the server thread.
  ~MetadataService();

  // The port actually bound.
  int port() const { return port_; }

  void SetTokensRequired(bool required) { handler_.SetTokensRequired(required); }

  MetadataHandler& handler() { return handler_; }

 private:
  MetadataService(InstanceDirectory* directory, bool tokens_required);

  MetadataHandler handler_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace stratus::net
