// The AWS endpoint: HTTP request bytes in, SigV4 verified, routed by the credential scope's service to one
// operation of the model, decoded into neutral JSON, handed to the AwsHandler, and the result encoded back in the
// protocol the client spoke (ec2, query, awsJson1_0 or Smithy RPC v2 CBOR).
//
//   AwsEndpoint endpoint(lookup, &handler, {.region = "local", .account_id = "123456789012"});
//   if (endpoint.Matches(req)) return endpoint.Handle(req);
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "aws/model.h"
#include "aws/sigv4.h"
#include "aws/types.h"

namespace stratus::aws {

struct AwsEndpointOptions {
  std::string region = "local";            // reported when a request carries no credential scope
  std::string account_id = "000000000000";  // passed to the handler in AwsCallContext
  int64_t max_clock_skew_seconds = 15 * 60;
  bool allow_unsigned_payload = false;      // accept x-amz-content-sha256: UNSIGNED-PAYLOAD
  size_t max_body_bytes = 16 << 20;         // after gzip decompression
  std::function<int64_t()> now;             // epoch seconds; the system clock when empty (tests inject one)
};

class AwsEndpoint {
 public:
  // `handler` must outlive the endpoint. Fails only when the embedded models are corrupt (a build bug).
  static Result<std::unique_ptr<AwsEndpoint>> Create(CredentialLookup lookup, AwsHandler* handler,
                                                     AwsEndpointOptions options);

  // True when `request` looks like an AWS API call: a SigV4 Authorization header, X-Amz-Target, a
  // /service/<S>/operation/<Op> path, a presigned X-Amz-Algorithm query, or an Action= parameter (query string, or
  // form body of a POST to /).
  bool Matches(const AwsRequest& request) const;

  // Handles one request end to end. Never throws; every failure is an AWS error in the client's protocol
  // (4xx for client errors, 5xx only for internal failures). Thread-safe if the handler is.
  AwsResponse Handle(const AwsRequest& request);

  // The loaded models (for the daemon's docs/tests: which operations exist).
  const ModelSet& models() const { return *models_; }

 private:
  struct Routed;
  AwsEndpoint(std::unique_ptr<ModelSet> models, CredentialLookup lookup, AwsHandler* handler,
              AwsEndpointOptions options);

  void DetectProtocol(const AwsRequest& request, Routed* routed) const;
  std::variant<SigV4Identity, AwsError> Authenticate(const AwsRequest& request, bool inflated, bool ec2) const;
  std::optional<AwsError> ReadBody(const AwsRequest& request, bool inflated, Routed* routed) const;
  AwsResponse HandleRouted(const AwsRequest& request, Routed* routed);
  AwsResponse Invoke(Routed* routed);
  AwsResponse EncodeError(const Routed& routed, const AwsError& error) const;

  std::unique_ptr<ModelSet> models_;
  SigV4Verifier verifier_;
  AwsHandler* handler_;
  AwsEndpointOptions options_;
};

}  // namespace stratus::aws
