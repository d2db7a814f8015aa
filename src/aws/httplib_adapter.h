// Glue between cpp-httplib and the AWS endpoint. The daemon mounts the endpoint with
//   stratus::aws::MountAwsRoutes(server, endpoint);   // POST /, GET /, POST /service/<S>/operation/<Op>
// Two cpp-httplib behaviours matter here:
//  - it refuses application/x-www-form-urlencoded bodies over 8 KiB (CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH,
//    compiled into Debian's library) with 413 unless the route reads its body through a ContentReader, which is
//    what MountAwsRoutes does (PutMetricData, CreateLaunchTemplate with user data easily exceed 8 KiB);
//  - built with zlib it inflates Content-Encoding: gzip bodies itself; AwsEndpoint copes (see endpoint.cc).
#pragma once

#include <httplib.h>

#include <string>

#include "aws/endpoint.h"

namespace stratus::aws {

// Copies an httplib request into an AwsRequest, keeping the raw (percent-encoded) path and query from the
// request target, as SigV4 signs them. `body` replaces req.body when given (ContentReader routes).
inline AwsRequest FromHttplib(const httplib::Request& req, const std::string* body = nullptr) {
  AwsRequest out;
  out.method = req.method;
  size_t q = req.target.find('?');
  out.path = req.target.substr(0, q);
  out.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  for (const auto& [name, value] : req.headers) out.headers.emplace(name, value);
  out.body = body != nullptr ? *body : req.body;
  return out;
}

// Writes an AwsResponse into an httplib response.
inline void ToHttplib(const AwsResponse& resp, httplib::Response* res) {
  res->status = resp.status;
  for (const auto& [name, value] : resp.headers) res->set_header(name.c_str(), value);
  res->set_content(resp.body, resp.content_type.c_str());
}

// Handles `request` with `endpoint` when it is an AWS call. Returns false (leaving `res` alone) otherwise.
inline bool HandleWithEndpoint(AwsEndpoint& endpoint, const AwsRequest& request, httplib::Response* res) {
  if (!endpoint.Matches(request)) return false;
  ToHttplib(endpoint.Handle(request), res);
  return true;
}

// Registers POST / and POST /service/.* (bodies read through a ContentReader, at most `max_body_bytes`) and GET /
// on `server`. Requests there that are not AWS calls get 404. `endpoint` must outlive the server.
inline void MountAwsRoutes(httplib::Server& server, AwsEndpoint& endpoint, size_t max_body_bytes = 16 << 20) {
  auto post = [&endpoint, max_body_bytes](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& reader) {
    std::string body;
    bool ok = reader([&](const char* data, size_t len) {
      body.append(data, len);
      return body.size() <= max_body_bytes;
    });
    if (!ok || body.size() > max_body_bytes) {
      res.status = 413;
      res.set_content("request body too large\n", "text/plain");
      return;
    }
    if (!HandleWithEndpoint(endpoint, FromHttplib(req, &body), &res)) {
      res.status = 404;
      res.set_content("not an AWS request\n", "text/plain");
    }
  };
  server.Post("/", post);
  server.Post(R"(/service/.*)", post);
  server.Get("/", [&endpoint](const httplib::Request& req, httplib::Response& res) {
    if (!HandleWithEndpoint(endpoint, FromHttplib(req), &res)) {
      res.status = 404;
      res.set_content("not an AWS request\n", "text/plain");
    }
  });
}

}  // namespace stratus::aws
