// The CLI's client of the native REST API (docs/api.md): one request in, the decoded JSON or a
// Status carrying the API's Error.Message back.
//
// A request is plain data (ApiRequest), built by the functions in cli/requests.h, so what a
// command line turns into can be checked without a server. A Transport sends it; the HTTP one
// talks TCP or a unix socket, tests substitute their own.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus::cli {

using Json = nlohmann::json;

// One call of the REST API.
struct ApiRequest {
  std::string method;  // "GET", "POST", "PATCH", "DELETE"
  std::string path;    // "/v1/instances/i-0123"; path segments already escaped
  std::vector<std::pair<std::string, std::string>> query;  // repeated keys allowed, order kept
  std::optional<Json> body;                                // sent as application/json when set

  // "/v1/instances?filter=state%3Drunning": the path with the query percent-encoded.
  std::string Target() const;
};

// What came back, undecoded.
struct ApiResponse {
  int status = 0;
  std::string body;
};

// Sends requests somewhere. Implementations: the HTTP transport below, fakes in tests.
class Transport {
 public:
  virtual ~Transport() = default;

  // Sends `request` and returns the HTTP status and body. Returns Unavailable when the server
  // cannot be reached or the connection broke; an HTTP error status is not an error here.
  virtual Result<ApiResponse> Send(const ApiRequest& request) = 0;
};
using TransportPtr = std::unique_ptr<Transport>;

// Percent-encodes `segment` for use as one path segment ("/v1/images/" + EscapePathSegment(name)).
std::string EscapePathSegment(const std::string& segment);

// Where stratusd listens, parsed from --endpoint.
struct Endpoint {
  std::string url;          // as the user gave it, for messages
  bool unix_socket = false;  // true for unix:///path
  std::string address;      // "http://127.0.0.1:7600" or the socket path
};

// Parses "http://host:port", "https://host:port", "host:port" (http assumed) or
// "unix:///path/to.sock". Returns InvalidArgument naming the value otherwise.
Result<Endpoint> ParseEndpoint(const std::string& url);

struct HttpOptions {
  std::string token;  // sent as "Authorization: Bearer <token>" when not empty
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds read_timeout{600};  // long: --wait calls return when instances run
};

// A Transport speaking HTTP/1.1 to `endpoint` (cpp-httplib; AF_UNIX for unix sockets).
TransportPtr NewHttpTransport(const Endpoint& endpoint, const HttpOptions& options);

// Turns responses into JSON values or Statuses.
class ApiClient {
 public:
  explicit ApiClient(TransportPtr transport) : transport_(std::move(transport)) {}

  // Sends `request`. On a 2xx returns the decoded body ({} when empty). On an HTTP error returns a
  // Status whose message is the API's Error.Message (or the status line and body when the
  // server sent no API error) and whose code follows the HTTP status. Transport failures are
  // returned as they are.
  Result<Json> Call(const ApiRequest& request);

 private:
  TransportPtr transport_;
};

// The Status for an HTTP error response: the code from the HTTP status, the message from the
// body's Error.Message when there is one.
Status StatusFromErrorResponse(const ApiResponse& response);

}  // namespace stratus::cli
