// Test helpers for TLS listeners: certificates made with the openssl command, a blocking OpenSSL client.
#pragma once

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>

#include "lb_fixture.h"

namespace stratus::lb::testing {

// Runs a shell command and returns its standard output.
inline std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// A self-signed ECDSA P-256 certificate for `name` (and its subjectAltName), written to dir/<file>.pem/.key.
inline CertificateConfig MakeCert(const std::string& dir, const std::string& file, const std::string& name) {
  std::string crt = dir + "/" + file + ".pem", key = dir + "/" + file + ".key";
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=" +
                    name + " -addext subjectAltName=DNS:" + name + " -keyout " + key + " -out " + crt +
                    " >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  CertificateConfig c;
  c.name = file;
  auto crt_pem = ReadFile(crt), key_pem = ReadFile(key);
  if (crt_pem.ok()) c.certificate = *crt_pem;
  if (key_pem.ok()) c.private_key = *key_pem;
  return c;
}

// A blocking TLS client connection (OpenSSL), for what curl cannot show: the certificate a name got,
// resumption, protocol versions, a connection kept across a certificate change.
class TlsClient {
 public:
  struct Options {
    std::string sni;
    int max_version = 0;
    int min_version = 0;
    SSL_SESSION* session = nullptr;
    Options& Sni(std::string v) { sni = std::move(v); return *this; }
    Options& Max(int v) { max_version = v; return *this; }
    Options& Min(int v) { min_version = v; return *this; }
    Options& Session(SSL_SESSION* v) { session = v; return *this; }
  };
  TlsClient(int port, const Options& o) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (o.max_version) SSL_CTX_set_max_proto_version(ctx_, o.max_version);
    if (o.min_version) SSL_CTX_set_min_proto_version(ctx_, o.min_version);
    fd_ = ConnectTo(port, 5000);
    if (fd_ < 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (!o.sni.empty()) SSL_set_tlsext_host_name(ssl_, o.sni.c_str());
    if (o.session) SSL_set_session(ssl_, o.session);
    ok_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~TlsClient() {
    if (ok_) SSL_shutdown(ssl_);  // else OpenSSL marks the session not resumable
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool ok() const { return ok_; }
  bool resumed() const { return ok_ && SSL_session_reused(ssl_); }
  std::string version() const { return ok_ ? SSL_get_version(ssl_) : ""; }
  std::string cipher() const { return ok_ ? SSL_get_cipher_name(ssl_) : ""; }
  // The subject CN of the certificate the server presented.
  std::string peer_cn() const {
    if (!ok_) return "";
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (!cert) return "";
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }
  std::string peer_fingerprint() const {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (!cert) return "";
    unsigned char md[32];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), md, &len);
    X509_free(cert);
    return std::string(reinterpret_cast<char*>(md), len);
  }
  // The session to resume with (after at least one request, so TLS 1.3 tickets have arrived).
  SSL_SESSION* session() const { return SSL_get1_session(ssl_); }

  bool Send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      int n = SSL_write(ssl_, s.data() + off, static_cast<int>(s.size() - off));
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Up to n bytes (0: closed or failed).
  int Read(char* buf, int n) {
    int r = SSL_read(ssl_, buf, n);
    return r > 0 ? r : 0;
  }
  // Reads one Content-Length response (the test backends' kind).
  HttpResponse Get(const std::string& path, const std::string& host = "test.local") {
    HttpResponse r;
    if (!ok_ || !Send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")) return r;
    std::string buf;
    char tmp[16384];
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      int n = SSL_read(ssl_, tmp, sizeof tmp);
      if (n <= 0) return r;
      buf.append(tmp, static_cast<size_t>(n));
    }
    std::string head = buf.substr(0, end);
    std::string lower = head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(c));
    r.status = std::atoi(head.substr(9, 3).c_str());
    size_t cl = lower.find("content-length: ");
    size_t len = cl == std::string::npos ? 0 : std::strtoul(lower.c_str() + cl + 16, nullptr, 10);
    while (buf.size() < end + 4 + len) {
      int n = SSL_read(ssl_, tmp, sizeof tmp);
      if (n <= 0) return r;
      buf.append(tmp, static_cast<size_t>(n));
    }
    r.body = buf.substr(end + 4, len);
    for (const char* h : {"x-backend", "x-seen-proto", "x-seen-version"}) {
      size_t p = lower.find(std::string(h) + ": ");
      if (p != std::string::npos) {
        size_t v = p + std::strlen(h) + 2;
        r.headers[h] = head.substr(v, head.find("\r\n", v) - v);
      }
    }
    r.ok = true;
    return r;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool ok_ = false;
};

using Opt = TlsClient::Options;

}  // namespace stratus::lb::testing
