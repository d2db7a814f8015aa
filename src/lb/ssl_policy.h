// ELBv2 security policies (SslPolicy names) as OpenSSL settings: protocol range, TLS 1.2-and-older cipher list and
// TLS 1.3 suites, in the order ELB lists them (the server's order is preferred, as ELB does). docs/lb.md has the
// table. No OpenSSL types here: the config model (which stratusd links) validates names with it too.
#pragma once

#include <string_view>

namespace stratus::lb {

struct SslPolicy {
  std::string_view name;
  int min_version;  // 0x0301 TLS 1.0 .. 0x0304 TLS 1.3 (OpenSSL's TLS1_VERSION ..)
  int max_version;
  std::string_view ciphers;      // OpenSSL cipher list for TLS <= 1.2 (empty: none)
  std::string_view tls13_suites;  // OpenSSL ciphersuites for TLS 1.3 (empty: none)
};

inline constexpr std::string_view kTls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

inline constexpr SslPolicy kSslPolicies[] = {
    {"ELBSecurityPolicy-2016-08", 0x0301, 0x0303,
     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"
     "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
     "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA:"
     "AES128-GCM-SHA256:AES128-SHA256:AES128-SHA:AES256-GCM-SHA384:AES256-SHA256:AES256-SHA:@SECLEVEL=0",
     ""},
    {"ELBSecurityPolicy-TLS-1-2-2017-01", 0x0303, 0x0303,
     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:"
     "AES128-GCM-SHA256:AES128-SHA256:AES256-GCM-SHA384:AES256-SHA256",
     ""},
    {"ELBSecurityPolicy-TLS13-1-2-2021-06", 0x0303, 0x0304,
     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:"
     "AES128-GCM-SHA256:AES128-SHA256:AES256-GCM-SHA384:AES256-SHA256",
     kTls13Suites},
    {"ELBSecurityPolicy-TLS13-1-2-Res-2021-06", 0x0303, 0x0304,
     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
     "ECDHE-RSA-AES256-GCM-SHA384",
     kTls13Suites},
    {"ELBSecurityPolicy-TLS13-1-3-2021-06", 0x0304, 0x0304, "", kTls13Suites},
};

// The policy with this name, or nullptr.
inline const SslPolicy* FindSslPolicy(std::string_view name) {
  for (const SslPolicy& p : kSslPolicies) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace stratus::lb
