#include "cli/api_client.h"

#include <sys/socket.h>

#include <httplib.h>

namespace stratus::cli {

namespace {

// RFC 3986 unreserved characters pass, everything else is %XX.
std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// What went wrong, in words a person can act on.
std::string DescribeHttpError(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "connection failed";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "connection closed or timed out while reading the response";
    case httplib::Error::Write:
      return "connection closed while sending the request";
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return "TLS handshake failed";
    default:
      return httplib::to_string(error);
  }
}

Code CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return Code::kInvalidArgument;
    case 401:
      return Code::kUnauthenticated;
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 409:
      return Code::kFailedPrecondition;
    case 429:
      return Code::kResourceExhausted;
    case 503:
      return Code::kUnavailable;
    default:
      return status >= 400 && status < 500 ? Code::kInvalidArgument : Code::kInternal;
  }
}

class HttpTransport : public Transport {
 public:
  HttpTransport(const Endpoint& endpoint, const HttpOptions& options)
      : endpoint_(endpoint), client_(endpoint.address) {
    if (endpoint.unix_socket) client_.set_address_family(AF_UNIX);
    client_.set_connection_timeout(options.connect_timeout);
    client_.set_read_timeout(options.read_timeout);
    client_.set_write_timeout(options.connect_timeout);
    if (!options.token.empty()) client_.set_bearer_token_auth(options.token);
  }

  Result<ApiResponse> Send(const ApiRequest& request) override {
    if (request.method != "GET" && request.method != "POST" && request.method != "PUT" &&
        request.method != "PATCH" && request.method != "DELETE") {
      return Internal("unsupported HTTP method " + request.method);
    }
    httplib::Result res = Dispatch(request);
    if (!res) {
      return Unavailable("cannot reach stratusd at " + endpoint_.url + ": " +
                         DescribeHttpError(res.error()) + " (is it running?)");
    }
    return ApiResponse{res->status, res->body};
  }

 private:
  httplib::Result Dispatch(const ApiRequest& request) {
    const std::string target = request.Target();
    const std::string body = request.body ? request.body->dump() : std::string();
    const char* type = "application/json";
    const httplib::Headers headers = {{"Accept", "application/json"}};
    if (request.method == "GET") return client_.Get(target, headers);
    if (request.method == "POST") return client_.Post(target, headers, body, type);
    if (request.method == "PUT") return client_.Put(target, headers, body, type);
    if (request.method == "PATCH") return client_.Patch(target, headers, body, type);
    if (request.body) return client_.Delete(target, headers, body, type);
    return client_.Delete(target, headers);
  }

  Endpoint endpoint_;
  httplib::Client client_;
};

}  // namespace

std::string EscapePathSegment(const std::string& segment) { return PercentEncode(segment); }

std::string ApiRequest::Target() const {
  std::string out = path;
  char sep = '?';
  for (const auto& [key, value] : query) {
    out += sep;
    out += PercentEncode(key) + "=" + PercentEncode(value);
    sep = '&';
  }
  return out;
}

Result<Endpoint> ParseEndpoint(const std::string& url) {
  Endpoint ep;
  ep.url = url;
  const std::string unix_prefix = "unix://";
  if (url.rfind(unix_prefix, 0) == 0) {
    ep.unix_socket = true;
    ep.address = url.substr(unix_prefix.size());
    if (ep.address.empty() || ep.address[0] != '/') {
      return InvalidArgument("invalid endpoint \"" + url +
                             "\": a unix socket is written unix:///absolute/path");
    }
    return ep;
  }
  if (url.empty()) return InvalidArgument("the endpoint is empty");
  if (url.find("://") == std::string::npos) {
    ep.address = "http://" + url;
  } else if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) {
    ep.address = url;
  } else {
    return InvalidArgument("invalid endpoint \"" + url +
                           "\": expected http://HOST:PORT, https://HOST:PORT or unix:///PATH");
  }
  while (ep.address.size() > 8 && ep.address.back() == '/') ep.address.pop_back();
  return ep;
}

TransportPtr NewHttpTransport(const Endpoint& endpoint, const HttpOptions& options) {
  return std::make_unique<HttpTransport>(endpoint, options);
}

Status StatusFromErrorResponse(const ApiResponse& response) {
  Code code = CodeForHttpStatus(response.status);
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("Error") && body["Error"].is_object()) {
    const Json& err = body["Error"];
    if (err.contains("Message") && err["Message"].is_string()) {
      return Status(code, err["Message"].get<std::string>());
    }
    if (err.contains("Code") && err["Code"].is_string()) {
      return Status(code, err["Code"].get<std::string>());
    }
  }
  std::string text = response.body.substr(0, 200);
  while (!text.empty() && isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::string msg = "stratusd answered HTTP " + std::to_string(response.status);
  if (!text.empty()) msg += ": " + text;
  return Status(code, msg);
}

Result<Json> ApiClient::Call(const ApiRequest& request) {
  STRATUS_ASSIGN_OR_RETURN(ApiResponse response, transport_->Send(request));
  if (response.status < 200 || response.status >= 300) return StatusFromErrorResponse(response);
  if (response.body.empty()) return Json::object();
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return Internal("stratusd sent a response that is not JSON: " + response.body.substr(0, 200));
  }
  return body;
}

}  // namespace stratus::cli
