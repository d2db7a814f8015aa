// AWS Signature Version 4: verification of signed requests (Authorization header or presigned query), and signing
// (used by tests and tools). https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "aws/wire.h"
#include "common/status.h"

namespace stratus::aws {

// Returns the secret access key of `access_key_id`, or nullopt when the key is unknown.
using CredentialLookup = std::function<std::optional<std::string>(const std::string& access_key_id)>;

// What a request is signed over. `path` and `query` are raw, as received (still percent-encoded).
struct SigV4Request {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  const Headers* headers = nullptr;
  std::string_view body;
};

// Who signed a verified request, from its credential scope.
struct SigV4Identity {
  std::string access_key_id;
  std::string date;     // scope date, yyyymmdd
  std::string region;   // scope region (any region is accepted)
  std::string service;  // scope service: ec2, elasticloadbalancing, autoscaling, monitoring, ...
};

// Why verification failed. The endpoint maps the kind to each service's error code.
struct SigV4Failure {
  enum class Kind {
    kMissing,        // no Authorization header / no presigned query (MissingAuthenticationToken)
    kIncomplete,     // malformed Authorization header or credential scope (IncompleteSignature)
    kUnknownKey,     // access key id not found (InvalidClientTokenId)
    kMismatch,       // signature or payload hash does not match (SignatureDoesNotMatch)
    kExpired,        // request time outside the clock-skew window or presigned URL expired (RequestExpired)
  };
  Kind kind;
  std::string message;
};

// The parts of "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/iam/aws4_request, SignedHeaders=a;b, Signature=..".
struct SigV4Authorization {
  std::string access_key_id, date, region, service;
  std::vector<std::string> signed_headers;  // lowercase, in the order given
  std::string signature;                    // lowercase hex
};

// Parses an Authorization header value. Fails with InvalidArgument naming what is missing or malformed.
Result<SigV4Authorization> ParseAuthorizationHeader(std::string_view value);

// Returns the canonical request (method, canonical URI, canonical query, canonical headers, signed headers,
// payload hash). `query` is the raw query string; X-Amz-Signature is excluded from it (presigned requests).
std::string CanonicalRequest(std::string_view method, std::string_view raw_path, std::string_view raw_query,
                             const Headers& headers, const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash);

// Returns "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request);

// Returns the raw signing key HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);

class SigV4Verifier {
 public:
  struct Options {
    int64_t max_skew_seconds = 15 * 60;  // AWS's window for X-Amz-Date against the server clock
    bool allow_unsigned_payload = false;  // accept x-amz-content-sha256: UNSIGNED-PAYLOAD (body not covered)
    std::function<int64_t()> now;         // epoch seconds; the system clock when empty (tests inject one)
  };

  SigV4Verifier(CredentialLookup lookup, Options options);

  // Verifies the signature of `request`. Returns the signer's identity, or why it failed. Never throws.
  std::variant<SigV4Identity, SigV4Failure> Verify(const SigV4Request& request) const;

 private:
  std::variant<SigV4Identity, SigV4Failure> VerifyParts(const SigV4Request& request, const SigV4Authorization& auth,
                                                        const std::string& amz_date, std::string_view payload_hash,
                                                        int64_t expires) const;
  int64_t Now() const;

  CredentialLookup lookup_;
  Options options_;
};

// Signs a request for tests and tools: adds X-Amz-Date (from `epoch`), x-amz-content-sha256 when asked, and the
// Authorization header to `headers`, signing every header present (host must be there).
void SignRequest(std::string_view method, std::string_view raw_path, std::string_view raw_query, Headers* headers,
                 std::string_view body, std::string_view access_key_id, std::string_view secret,
                 std::string_view region, std::string_view service, int64_t epoch);

}  // namespace stratus::aws
