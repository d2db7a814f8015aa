#include "aws/sigv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>

namespace stratus::aws {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t next = s.find(sep, pos);
    out.emplace_back(s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

// Trims a header value and collapses runs of spaces into one, as the canonical form requires.
std::string CanonicalHeaderValue(std::string_view v) {
  v = Trim(v);
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// Removes "." and ".." segments; the empty path is "/".
std::string NormalizePath(std::string_view raw) {
  if (raw.empty()) return "/";
  std::vector<std::string> out;
  for (const std::string& seg : Split(raw.substr(raw[0] == '/' ? 1 : 0), '/')) {
    if (seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  std::string path;
  for (const std::string& seg : out) path += "/" + seg;
  if (path.empty()) path = "/";
  bool trailing = raw.size() > 1 && raw.back() == '/';
  if (trailing && path.back() != '/') path.push_back('/');
  return path;
}

Status ParseCredential(std::string_view credential, SigV4Authorization* out) {
  std::vector<std::string> parts = Split(credential, '/');
  if (parts.size() != 5 || parts[0].empty()) {
    return InvalidArgument("Credential should be scoped to a valid region, not '" + std::string(credential) + "'");
  }
  if (parts[4] != "aws4_request") {
    return InvalidArgument("Credential should be scoped with a valid terminator: 'aws4_request', not '" + parts[4] + "'");
  }
  if (parts[1].size() != 8 || !std::all_of(parts[1].begin(), parts[1].end(), ::isdigit)) {
    return InvalidArgument("Credential should be scoped to a valid date, not '" + parts[1] + "'");
  }
  if (parts[2].empty() || parts[3].empty()) return InvalidArgument("Credential should be scoped to a valid region and service");
  out->access_key_id = parts[0];
  out->date = parts[1];
  out->region = parts[2];
  out->service = parts[3];
  return Status::Ok();
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

Result<SigV4Authorization> ParseAuthorizationHeader(std::string_view value) {
  value = Trim(value);
  if (value.substr(0, kAlgorithm.size()) != kAlgorithm || value.size() == kAlgorithm.size() ||
      value[kAlgorithm.size()] != ' ') {
    return InvalidArgument("Authorization header requires the AWS4-HMAC-SHA256 algorithm");
  }
  SigV4Authorization auth;
  bool have_credential = false, have_headers = false, have_signature = false;
  for (const std::string& piece : Split(value.substr(kAlgorithm.size() + 1), ',')) {
    std::string_view kv = Trim(piece);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = kv.substr(0, eq), val = kv.substr(eq + 1);
    if (key == "Credential") {
      STRATUS_RETURN_IF_ERROR(ParseCredential(val, &auth));
      have_credential = true;
    } else if (key == "SignedHeaders") {
      for (const std::string& h : Split(val, ';')) {
        if (!h.empty()) auth.signed_headers.push_back(Lower(h));
      }
      have_headers = !auth.signed_headers.empty();
    } else if (key == "Signature") {
      auth.signature = Lower(val);
      have_signature = true;
    }
  }
  std::string missing;
  if (!have_credential) missing += " Credential";
  if (!have_headers) missing += " SignedHeaders";
  if (!have_signature) missing += " Signature";
  if (!missing.empty()) {
    return InvalidArgument("Authorization header requires the parameters:" + missing + ". Authorization=" +
                           std::string(value.substr(0, 200)));
  }
  return auth;
}

std::string CanonicalRequest(std::string_view method, std::string_view raw_path, std::string_view raw_query,
                             const Headers& headers, const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash) {
  std::string out(method);
  out += "\n" + UriEncode(NormalizePath(raw_path), /*keep_slash=*/true) + "\n";
  std::vector<std::pair<std::string, std::string>> params;
  for (auto& [k, v] : ParseQueryString(raw_query, /*plus_is_space=*/false)) {
    if (k == "X-Amz-Signature") continue;
    params.emplace_back(UriEncode(k, false), UriEncode(v, false));
  }
  std::sort(params.begin(), params.end());
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) out.push_back('&');
    out += params[i].first + "=" + params[i].second;
  }
  out.push_back('\n');
  for (const std::string& name : signed_headers) {
    std::string values;
    auto [begin, end] = headers.equal_range(name);
    for (auto it = begin; it != end; ++it) {
      if (it != begin) values.push_back(',');
      values += CanonicalHeaderValue(it->second);
    }
    out += name + ":" + values + "\n";
  }
  out.push_back('\n');
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i) out.push_back(';');
    out += signed_headers[i];
  }
  out.push_back('\n');
  out += payload_hash;
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out += "\n";
  out += amz_date;
  out += "\n";
  out += scope;
  out += "\n" + Sha256Hex(canonical_request);
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k = HmacSha256("AWS4" + std::string(secret), date);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, "aws4_request");
}

SigV4Verifier::SigV4Verifier(CredentialLookup lookup, Options options)
    : lookup_(std::move(lookup)), options_(std::move(options)) {}

int64_t SigV4Verifier::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::variant<SigV4Identity, SigV4Failure> SigV4Verifier::Verify(const SigV4Request& request) const {
  using Kind = SigV4Failure::Kind;
  const Headers& headers = *request.headers;
  std::string authorization = HeaderValue(headers, "Authorization");
  SigV4Authorization auth;
  std::string amz_date;
  int64_t expires = -1;
  if (!authorization.empty()) {
    auto parsed = ParseAuthorizationHeader(authorization);
    if (!parsed.ok()) return SigV4Failure{Kind::kIncomplete, parsed.status().message()};
    auth = std::move(*parsed);
    amz_date = HeaderValue(headers, "X-Amz-Date");
    if (amz_date.empty()) amz_date = HeaderValue(headers, "Date");
  } else {
    // Presigned: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature.
    std::map<std::string, std::string> q;
    for (auto& [k, v] : ParseQueryString(request.query, false)) q[k] = v;
    if (!q.count("X-Amz-Algorithm") && !q.count("X-Amz-Signature")) {
      return SigV4Failure{Kind::kMissing, "Request is missing Authentication Token"};
    }
    if (q["X-Amz-Algorithm"] != kAlgorithm || q["X-Amz-Signature"].empty() || q["X-Amz-SignedHeaders"].empty()) {
      return SigV4Failure{Kind::kIncomplete, "presigned request requires X-Amz-Algorithm=AWS4-HMAC-SHA256, "
                                             "X-Amz-SignedHeaders and X-Amz-Signature"};
    }
    Status st = ParseCredential(q["X-Amz-Credential"], &auth);
    if (!st.ok()) return SigV4Failure{Kind::kIncomplete, st.message()};
    for (const std::string& h : Split(q["X-Amz-SignedHeaders"], ';')) auth.signed_headers.push_back(Lower(h));
    auth.signature = Lower(q["X-Amz-Signature"]);
    amz_date = q["X-Amz-Date"];
    char* end = nullptr;
    expires = std::strtoll(q["X-Amz-Expires"].c_str(), &end, 10);
    if (q["X-Amz-Expires"].empty() || *end != '\0' || expires < 0) expires = 900;
  }
  std::string content_hash = HeaderValue(headers, "x-amz-content-sha256");
  std::string body_hash = Sha256Hex(request.body);
  if (!content_hash.empty()) {
    if (content_hash == kUnsignedPayload) {
      if (!options_.allow_unsigned_payload) {
        return SigV4Failure{Kind::kMismatch, "UNSIGNED-PAYLOAD is not accepted by this endpoint"};
      }
    } else if (!IsHex64(content_hash) || Lower(content_hash) != body_hash) {
      return SigV4Failure{Kind::kMismatch, "The provided 'x-amz-content-sha256' header does not match what was computed."};
    }
  }
  return VerifyParts(request, auth, amz_date, content_hash.empty() ? std::string_view(body_hash) : content_hash, expires);
}

std::variant<SigV4Identity, SigV4Failure> SigV4Verifier::VerifyParts(const SigV4Request& request,
                                                                     const SigV4Authorization& auth,
                                                                     const std::string& amz_date,
                                                                     std::string_view payload_hash,
                                                                     int64_t expires) const {
  using Kind = SigV4Failure::Kind;
  if (amz_date.empty()) {
    return SigV4Failure{Kind::kIncomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a "
                                           "'Date' header."};
  }
  auto when = ParseTimestamp(amz_date);
  if (!when.ok()) return SigV4Failure{Kind::kIncomplete, "invalid X-Amz-Date '" + amz_date + "'"};
  std::string basic_date = FormatAmzDate(static_cast<int64_t>(*when));
  if (basic_date.substr(0, 8) != auth.date) {
    return SigV4Failure{Kind::kMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                                         "date from HTTP: '" + auth.date + "' != '" + basic_date.substr(0, 8) + "'"};
  }
  bool host_signed = std::find(auth.signed_headers.begin(), auth.signed_headers.end(), "host") != auth.signed_headers.end();
  if (!host_signed) return SigV4Failure{Kind::kIncomplete, "'Host' must be a 'SignedHeader' in the AWS Authorization."};
  int64_t now = Now(), t = static_cast<int64_t>(*when);
  std::string now_s = FormatAmzDate(now);
  if (expires >= 0 && now > t + expires) {
    return SigV4Failure{Kind::kExpired, "Request has expired (presigned at " + basic_date + " for " +
                                            std::to_string(expires) + " s; now " + now_s + ")"};
  }
  if (t < now - options_.max_skew_seconds) {
    return SigV4Failure{Kind::kExpired, "Signature expired: " + basic_date + " is now earlier than " +
                                            FormatAmzDate(now - options_.max_skew_seconds) + " (" + now_s + " - 15 min.)"};
  }
  if (expires < 0 && t > now + options_.max_skew_seconds) {
    return SigV4Failure{Kind::kExpired, "Signature not yet current: " + basic_date + " is still later than " +
                                            FormatAmzDate(now + options_.max_skew_seconds) + " (" + now_s + " + 15 min.)"};
  }
  std::optional<std::string> secret = lookup_ ? lookup_(auth.access_key_id) : std::nullopt;
  if (!secret) return SigV4Failure{Kind::kUnknownKey, "The security token included in the request is invalid."};
  std::string canonical = CanonicalRequest(request.method, request.path, request.query, *request.headers,
                                           auth.signed_headers, payload_hash);
  std::string scope = auth.date + "/" + auth.region + "/" + auth.service + "/aws4_request";
  std::string sts = StringToSign(amz_date, scope, canonical);
  std::string expected = HexEncode(HmacSha256(SigningKey(*secret, auth.date, auth.region, auth.service), sts));
  if (auth.signature.size() != expected.size() ||
      CRYPTO_memcmp(auth.signature.data(), expected.data(), expected.size()) != 0) {
    return SigV4Failure{Kind::kMismatch, "The request signature we calculated does not match the signature you "
                                         "provided. Check your AWS Secret Access Key and signing method."};
  }
  return SigV4Identity{auth.access_key_id, auth.date, auth.region, auth.service};
}

void SignRequest(std::string_view method, std::string_view raw_path, std::string_view raw_query, Headers* headers,
                 std::string_view body, std::string_view access_key_id, std::string_view secret,
                 std::string_view region, std::string_view service, int64_t epoch) {
  std::string amz_date = FormatAmzDate(epoch);
  headers->erase("X-Amz-Date");
  headers->erase("Authorization");
  headers->emplace("X-Amz-Date", amz_date);
  std::vector<std::string> names;
  for (const auto& [name, value] : *headers) {
    std::string lower = Lower(name);
    if (names.empty() || names.back() != lower) names.push_back(lower);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string payload_hash = HeaderValue(*headers, "x-amz-content-sha256");
  if (payload_hash.empty()) payload_hash = Sha256Hex(body);
  std::string canonical = CanonicalRequest(method, raw_path, raw_query, *headers, names, payload_hash);
  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  std::string sig = HexEncode(HmacSha256(SigningKey(secret, date, region, service), StringToSign(amz_date, scope, canonical)));
  std::string signed_list;
  for (size_t i = 0; i < names.size(); ++i) signed_list += (i ? ";" : "") + names[i];
  headers->emplace("Authorization", std::string(kAlgorithm) + " Credential=" + std::string(access_key_id) + "/" + scope +
                                        ", SignedHeaders=" + signed_list + ", Signature=" + sig);
}

}  // namespace stratus::aws
