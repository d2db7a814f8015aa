// Small pieces every AWS protocol needs: case-insensitive headers, URL coding, timestamps, XML escaping,
// SHA-256/HMAC (OpenSSL). Base64 is common/base64.h's, included here for the protocols' blobs.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base64.h"  // blobs: Base64Encode, Base64Decode(..., Base64Decoding::kLenient)
#include "common/status.h"

namespace stratus::aws {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

// HTTP headers; names compare case-insensitively, a name may repeat.
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

// Returns the first value of header `name`, or "" when absent.
std::string HeaderValue(const Headers& headers, const std::string& name);

// Percent-decodes `s`. With plus_is_space (HTML forms), '+' becomes ' '. Malformed escapes are kept literally.
std::string UrlDecode(std::string_view s, bool plus_is_space);

// Percent-encodes every byte except A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash), as SigV4 requires.
std::string UriEncode(std::string_view s, bool keep_slash);

// Splits "a=1&b=2" into decoded pairs in order; a key without '=' gets an empty value; empty pieces are skipped.
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view s, bool plus_is_space);

// Parses an AWS timestamp: ISO 8601 ("2024-05-01T12:00:00Z", fractional seconds, "+02:00" offsets, date only),
// epoch seconds ("1714564800", "1714564800.5") or RFC 822 ("Wed, 01 May 2024 12:00:00 GMT").
// Returns seconds since the epoch.
Result<double> ParseTimestamp(std::string_view text);

// Formats epoch seconds as ISO 8601 UTC with milliseconds: "2024-05-01T12:00:00.000Z".
std::string FormatIso8601(double epoch_seconds);
// Formats epoch seconds as RFC 822: "Wed, 01 May 2024 12:00:00 GMT".
std::string FormatRfc822(double epoch_seconds);
// Formats epoch seconds as SigV4's basic ISO 8601: "20240501T120000Z".
std::string FormatAmzDate(long long epoch_seconds);

// Escapes & < > " ' for XML text and attribute values; drops bytes XML 1.0 cannot carry (control characters).
std::string XmlEscape(std::string_view s);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HexEncode(std::string_view bytes);

// Decompresses a gzip body (Content-Encoding: gzip, which botocore uses for large PutMetricData requests).
// Fails with InvalidArgument on corrupt input or when the result would exceed max_bytes.
Result<std::string> GunzipBody(std::string_view data, size_t max_bytes);

// The gzip bodies Python's gzip.compress(body) (which botocore uses for request compression) produces for `plain`
// with header mtime in [mtime_hint - 2, mtime_hint], plus zlib's own gzip framing with mtime 0. Servers that
// decompress transparently (cpp-httplib built with zlib) lose the signed bytes; these rebuild them for SigV4.
std::vector<std::string> PythonGzipCandidates(std::string_view plain, long long mtime_hint);

// A fresh request id in AWS's UUID form ("8f1c9a2e-...").
std::string NewRequestId();

}  // namespace stratus::aws
