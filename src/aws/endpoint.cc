#include "aws/endpoint.h"

#include <exception>

#include "aws/protocol_cbor.h"
#include "aws/protocol_json.h"
#include "aws/protocol_query.h"
#include "aws/shape_values.h"
#include "common/log.h"

namespace stratus::aws {

using nlohmann::json;

struct AwsEndpoint::Routed {
  Protocol protocol = Protocol::kQuery;
  const ServiceModel* service = nullptr;  // once known (credential scope), else a guess for the error format
  const Operation* op = nullptr;
  std::string op_name;       // from Action, X-Amz-Target or the CBOR path
  std::string path_service;  // json/cbor: the target prefix / path service name the client used
  std::string body;          // decompressed
  QueryParams params;        // ec2/query
  AwsCallContext ctx;
};

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool IsFormPost(const AwsRequest& request) {
  return request.method == "POST" &&
         StartsWith(HeaderValue(request.headers, "Content-Type"), "application/x-www-form-urlencoded");
}

// The signing service named by the request's credential (header or presigned query), or "".
std::string ScopeService(const AwsRequest& request) {
  auto auth = ParseAuthorizationHeader(HeaderValue(request.headers, "Authorization"));
  if (auth.ok()) return auth->service;
  for (auto& [k, v] : ParseQueryString(request.query, false)) {
    if (k != "X-Amz-Credential") continue;
    // AK/date/region/service/aws4_request
    size_t a = v.find('/'), b = v.find('/', a + 1), c = v.find('/', b + 1), d = v.find('/', c + 1);
    if (a == std::string::npos || b == std::string::npos || c == std::string::npos || d == std::string::npos) return "";
    return v.substr(c + 1, d - c - 1);
  }
  return "";
}

std::string ParamValue(const QueryParams& params, const std::string& key) {
  for (const auto& [k, v] : params) {
    if (k == key) return v;
  }
  return "";
}

AwsError AuthError(const SigV4Failure& failure, bool ec2) {
  using Kind = SigV4Failure::Kind;
  switch (failure.kind) {
    case Kind::kMissing:
      return {"MissingAuthenticationToken", failure.message, ec2 ? 401 : 403};
    case Kind::kIncomplete:
      return {"IncompleteSignature", failure.message, ec2 ? 400 : 403};
    case Kind::kUnknownKey:
      if (ec2) return {"AuthFailure", "AWS was not able to validate the provided access credentials", 401};
      return {"InvalidClientTokenId", failure.message, 403};
    case Kind::kMismatch:
      if (ec2) return {"AuthFailure", "AWS was not able to validate the provided access credentials: " + failure.message, 401};
      return {"SignatureDoesNotMatch", failure.message, 403};
    case Kind::kExpired:
      if (ec2) return {"RequestExpired", "Request has expired. " + failure.message, 400};
      return {"SignatureDoesNotMatch", failure.message, 403};
  }
  return {"InternalFailure", "unreachable", 500};
}

}  // namespace

Result<std::unique_ptr<AwsEndpoint>> AwsEndpoint::Create(CredentialLookup lookup, AwsHandler* handler,
                                                         AwsEndpointOptions options) {
  STRATUS_ASSIGN_OR_RETURN(std::unique_ptr<ModelSet> models, ModelSet::LoadEmbedded());
  return std::unique_ptr<AwsEndpoint>(new AwsEndpoint(std::move(models), std::move(lookup), handler, std::move(options)));
}

AwsEndpoint::AwsEndpoint(std::unique_ptr<ModelSet> models, CredentialLookup lookup, AwsHandler* handler,
                         AwsEndpointOptions options)
    : models_(std::move(models)),
      verifier_(std::move(lookup), SigV4Verifier::Options{options.max_clock_skew_seconds,
                                                          options.allow_unsigned_payload, options.now}),
      handler_(handler),
      options_(std::move(options)) {}

bool AwsEndpoint::Matches(const AwsRequest& request) const {
  if (StartsWith(HeaderValue(request.headers, "Authorization"), "AWS4-HMAC-SHA256")) return true;
  if (!HeaderValue(request.headers, "X-Amz-Target").empty()) return true;
  if (StartsWith(request.path, "/service/")) return true;
  for (const auto& [k, v] : ParseQueryString(request.query, true)) {
    if (k == "Action" || k == "X-Amz-Algorithm") return true;
  }
  if (IsFormPost(request) && (request.path == "/" || request.path.empty())) {
    for (const auto& [k, v] : ParseQueryString(request.body, true)) {
      if (k == "Action") return true;
    }
  }
  return false;
}

AwsResponse AwsEndpoint::Handle(const AwsRequest& request) {
  Routed routed;
  routed.ctx.request_id = NewRequestId();
  routed.ctx.region = options_.region;
  routed.ctx.account_id = options_.account_id;
  DetectProtocol(request, &routed);
  AwsResponse resp = HandleRouted(request, &routed);
  resp.headers.emplace("x-amzn-RequestId", routed.ctx.request_id);
  Log(resp.status >= 500 ? LogLevel::kWarn : LogLevel::kDebug, "aws request",
      {{"service", routed.service ? routed.service->signing_name() : "?"},
       {"operation", routed.op ? routed.op->name : routed.op_name.substr(0, 64)},
       {"protocol", routed.ctx.protocol},
       {"status", std::to_string(resp.status)},
       {"request_id", routed.ctx.request_id}});
  return resp;
}

void AwsEndpoint::DetectProtocol(const AwsRequest& request, Routed* routed) const {
  // The protocol follows from the request's shape; the service (final after verification) from the credential scope.
  std::string target = HeaderValue(request.headers, "X-Amz-Target");
  routed->service = models_->Find(ScopeService(request));
  if (StartsWith(request.path, "/service/")) {
    routed->protocol = Protocol::kCbor;
    std::string rest = request.path.substr(9);
    size_t slash = rest.find('/');
    routed->path_service = rest.substr(0, slash);
    if (slash != std::string::npos && StartsWith(rest.substr(slash), "/operation/")) {
      routed->op_name = rest.substr(slash + 11);
    }
  } else if (!target.empty()) {
    routed->protocol = Protocol::kJson;
    size_t dot = target.rfind('.');
    routed->path_service = dot == std::string::npos ? "" : target.substr(0, dot);
    routed->op_name = dot == std::string::npos ? target : target.substr(dot + 1);
  } else {
    const ServiceModel* ec2 = models_->Find("ec2");
    bool looks_ec2 = routed->service == ec2;
    if (routed->service == nullptr) {  // unsigned: guess from Version so the error reads right
      QueryParams probe = ParseQueryString(request.query, true);
      if (IsFormPost(request)) {
        QueryParams body = ParseQueryString(request.body, true);
        probe.insert(probe.end(), body.begin(), body.end());
      }
      looks_ec2 = ParamValue(probe, "Version") == ec2->api_version();
    }
    routed->protocol = looks_ec2 ? Protocol::kEc2 : Protocol::kQuery;
  }
  if (routed->service == nullptr && (routed->protocol == Protocol::kJson || routed->protocol == Protocol::kCbor)) {
    routed->service = models_->Find("monitoring");
  }
  static const char* kNames[] = {"ec2", "query", "json", "cbor"};
  routed->ctx.protocol = kNames[static_cast<int>(routed->protocol)];
}

std::variant<SigV4Identity, AwsError> AwsEndpoint::Authenticate(const AwsRequest& request, bool inflated,
                                                                bool ec2) const {
  SigV4Request sig{request.method, request.path, request.query, &request.headers, request.body};
  auto verified = verifier_.Verify(sig);
  // An HTTP server that inflated a gzip body on its own (cpp-httplib with zlib) leaves us the plain bytes while the
  // signature covers the compressed ones: rebuild what botocore's gzip.compress produced and verify that.
  if (inflated && std::holds_alternative<SigV4Failure>(verified) &&
      std::get<SigV4Failure>(verified).kind == SigV4Failure::Kind::kMismatch) {
    auto when = ParseTimestamp(HeaderValue(request.headers, "X-Amz-Date"));
    for (const std::string& candidate : PythonGzipCandidates(request.body, when.ok() ? static_cast<long long>(*when) : 0)) {
      sig.body = candidate;
      verified = verifier_.Verify(sig);
      if (std::holds_alternative<SigV4Identity>(verified)) break;
    }
  }
  if (auto* failure = std::get_if<SigV4Failure>(&verified)) return AuthError(*failure, ec2);
  return std::get<SigV4Identity>(verified);
}

std::optional<AwsError> AwsEndpoint::ReadBody(const AwsRequest& request, bool inflated, Routed* routed) const {
  routed->body = request.body;
  if (HeaderValue(request.headers, "Content-Encoding") == "gzip" && !inflated) {
    auto plain = GunzipBody(request.body, options_.max_body_bytes);
    if (!plain.ok()) return AwsError{"SerializationException", plain.status().message(), 400};
    routed->body = std::move(*plain);
  }
  if (routed->body.size() > options_.max_body_bytes) {
    return AwsError{"RequestEntityTooLarge", "request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes",
                    413};
  }
  if (routed->protocol == Protocol::kEc2 || routed->protocol == Protocol::kQuery) {
    routed->params = ParseQueryString(request.query, true);
    if (request.method == "POST") {
      QueryParams form = ParseQueryString(routed->body, true);
      routed->params.insert(routed->params.end(), form.begin(), form.end());
    }
    routed->op_name = ParamValue(routed->params, "Action");
    if (routed->op_name.empty()) return AwsError{"MissingAction", "The request must contain the parameter Action", 400};
  }
  return std::nullopt;
}

AwsResponse AwsEndpoint::HandleRouted(const AwsRequest& request, Routed* routed) {
  if (request.method != "POST" && request.method != "GET") {
    return EncodeError(*routed, {"UnsupportedProtocol", "method " + request.method.substr(0, 16) + " is not supported", 400});
  }
  bool inflated = HeaderValue(request.headers, "Content-Encoding") == "gzip" && !StartsWith(request.body, "\x1f\x8b");
  auto identity = Authenticate(request, inflated, routed->protocol == Protocol::kEc2);
  if (auto* err = std::get_if<AwsError>(&identity)) return EncodeError(*routed, *err);
  const SigV4Identity& who = std::get<SigV4Identity>(identity);
  routed->ctx.region = who.region;
  routed->ctx.access_key_id = who.access_key_id;
  routed->service = models_->Find(who.service);
  if (routed->service == nullptr) {
    return EncodeError(*routed, {"InvalidAction", "service '" + who.service.substr(0, 64) +
                                                      "' is not served here (ec2, elasticloadbalancing, autoscaling, "
                                                      "monitoring, acm)", 400});
  }
  const ServiceModel& service = *routed->service;
  bool rpc = routed->protocol == Protocol::kJson || routed->protocol == Protocol::kCbor;
  if (!rpc) routed->protocol = service.protocol();
  if (!service.SupportsProtocol(routed->protocol) || (rpc && routed->path_service != service.target_prefix())) {
    return EncodeError(*routed, {"UnknownOperationException", "service '" + who.service +
                                                                  "' does not speak this protocol here", 400});
  }
  if (auto err = ReadBody(request, inflated, routed)) return EncodeError(*routed, *err);
  routed->op = service.FindOperation(routed->op_name);
  if (routed->op == nullptr) {
    return EncodeError(*routed, {rpc ? "UnknownOperationException" : "InvalidAction",
                                 "The action " + routed->op_name.substr(0, 128) + " is not valid for this web service (" +
                                     who.service + ").", 400});
  }
  return Invoke(routed);
}

AwsResponse AwsEndpoint::Invoke(Routed* routed) {
  const ServiceModel& service = *routed->service;
  const Operation& op = *routed->op;
  std::variant<json, AwsError> input;
  switch (routed->protocol) {
    case Protocol::kEc2:
    case Protocol::kQuery: input = DecodeQueryInput(service, op, routed->params, routed->protocol); break;
    case Protocol::kJson: input = DecodeJsonInput(service, op, routed->body); break;
    case Protocol::kCbor: input = DecodeCborInput(service, op, routed->body); break;
  }
  if (auto* err = std::get_if<AwsError>(&input)) return EncodeError(*routed, *err);
  json& in = std::get<json>(input);
  if (op.input != nullptr) {
    if (auto err = ValidateInput(service, *op.input, in)) return EncodeError(*routed, *err);
  }
  // EC2's DryRun checks permissions only; Stratus has no IAM, so a valid dry run always "would have succeeded".
  if (service.signing_name() == "ec2" && in.value("DryRun", false)) {
    return EncodeError(*routed, {"DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412});
  }
  std::variant<json, AwsError> output;
  try {
    output = handler_->Call(service.signing_name(), op.name, in, routed->ctx);
  } catch (const std::exception& e) {
    LogError("aws handler threw", {{"operation", op.name}, {"error", e.what()}, {"request_id", routed->ctx.request_id}});
    output = AwsError{"InternalFailure", "The request processing has failed because of an unknown error.", 500};
  }
  if (auto* err = std::get_if<AwsError>(&output)) return EncodeError(*routed, *err);
  const json& out = std::get<json>(output);
  switch (routed->protocol) {
    case Protocol::kEc2:
    case Protocol::kQuery: return EncodeXmlResponse(service, op, out, routed->ctx.request_id, routed->protocol);
    case Protocol::kJson: return EncodeJsonResponse(op, out, service.json_version());
    case Protocol::kCbor: return EncodeCborResponse(op, out);
  }
  return EncodeError(*routed, {"InternalFailure", "unknown protocol", 500});
}

AwsResponse AwsEndpoint::EncodeError(const Routed& routed, const AwsError& error) const {
  bool query_compatible = routed.service == nullptr || routed.service->query_compatible();
  std::string ns = routed.service ? routed.service->xml_namespace() : "";
  switch (routed.protocol) {
    case Protocol::kEc2:
    case Protocol::kQuery: return EncodeXmlError(ns, error, routed.ctx.request_id, routed.protocol);
    case Protocol::kJson: return EncodeJsonError(error, query_compatible, routed.service ? routed.service->json_version() : "1.0");
    case Protocol::kCbor: return EncodeCborError(error, query_compatible);
  }
  return EncodeXmlError(ns, error, routed.ctx.request_id, Protocol::kQuery);
}

}  // namespace stratus::aws
