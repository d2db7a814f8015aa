// Glue between cpp-httplib and the AWS endpoint: the daemon mounts the endpoint on its server with
//   server.Post("/", ...) / server.Get("/", ...) / server.Post(R"(/service/.*)", ...) calling HandleWithEndpoint.
#pragma once

#include <httplib.h>

#include "aws/endpoint.h"

namespace stratus::aws {

// Copies an httplib request into an AwsRequest, keeping the raw (percent-encoded) path and query from the
// request target, as SigV4 signs them.
inline AwsRequest FromHttplib(const httplib::Request& req) {
  AwsRequest out;
  out.method = req.method;
  size_t q = req.target.find('?');
  out.path = req.target.substr(0, q);
  out.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  for (const auto& [name, value] : req.headers) out.headers.emplace(name, value);
  out.body = req.body;
  return out;
}

// Writes an AwsResponse into an httplib response.
inline void ToHttplib(const AwsResponse& resp, httplib::Response* res) {
  res->status = resp.status;
  for (const auto& [name, value] : resp.headers) res->set_header(name.c_str(), value);
  res->set_content(resp.body, resp.content_type.c_str());
}

// Handles `req` with `endpoint` when it is an AWS call. Returns false (leaving `res` alone) otherwise.
inline bool HandleWithEndpoint(AwsEndpoint& endpoint, const httplib::Request& req, httplib::Response* res) {
  AwsRequest request = FromHttplib(req);
  if (!endpoint.Matches(request)) return false;
  ToHttplib(endpoint.Handle(request), res);
  return true;
}

}  // namespace stratus::aws
