#include "lb/tls.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cstring>

#include "lb/ssl_policy.h"
#include "lb/state.h"

namespace stratus::lb {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The last OpenSSL error as text (reasons only: OpenSSL never puts key material in them).
std::string SslError() {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr MemBio(const std::string& s) { return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size()))); }

// DNS names of a certificate: subjectAltName DNS entries, or the subject CN when there are none (as browsers
// did before RFC 6125 and as ELB matches).
std::vector<std::string> CertificateNames(X509* cert) {
  std::vector<std::string> out;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
      if (n->type != GEN_DNS) continue;
      const unsigned char* d = ASN1_STRING_get0_data(n->d.dNSName);
      out.push_back(Lower(std::string(reinterpret_cast<const char*>(d),
                                      static_cast<size_t>(ASN1_STRING_length(n->d.dNSName)))));
    }
    GENERAL_NAMES_free(sans);
  }
  if (out.empty()) {
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) {
      out.push_back(Lower(cn));
    }
  }
  return out;
}

int TicketCallback(SSL* ssl, unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX* cipher,
                   EVP_MAC_CTX* mac, int enc) {
  auto* keys = static_cast<TicketKeys*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  return keys ? keys->Callback(key_name, iv, cipher, mac, enc) : 0;
}

// ALPN "HTTP1Only": http/1.1 when the client offers it, else no ALPN at all (the handshake goes on, as ELB does).
int SelectHttp1(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* sel = nullptr;
  if (SSL_select_next_proto(&sel, outlen, kHttp11, sizeof kHttp11, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

// One context for one certificate under the listener's policy.
Result<SSL_CTX*> BuildContext(const CertificateConfig& c, const ListenerConfig& l, const SslPolicy& policy,
                              TicketKeys* keys, std::vector<std::string>* names) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return Internal("tls: " + SslError());
  auto fail = [&](const std::string& what) -> Status {
    std::string err = SslError();
    SSL_CTX_free(ctx);
    return InvalidArgument("certificate " + c.name + ": " + what + (err.empty() ? "" : " (" + err + ")"));
  };
  SSL_CTX_set_min_proto_version(ctx, policy.min_version);
  SSL_CTX_set_max_proto_version(ctx, policy.max_version);
  if (!policy.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, std::string(policy.ciphers).c_str()) != 1) {
    return fail("cipher list of " + l.ssl_policy);
  }
  if (SSL_CTX_set_ciphersuites(ctx, std::string(policy.tls13_suites).c_str()) != 1) {
    return fail("TLS 1.3 suites of " + l.ssl_policy);
  }
  SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384");
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Partial writes and moving buffers fit the worker's streaming; released buffers make an idle TLS connection
  // cost no 16 KiB record buffers (as nginx and HAProxy do).
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // Resumption by stateless tickets only: no per-session memory in the load balancer.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_timeout(ctx, static_cast<long>(keys->rotation_ms() / 1000 > 0 ? keys->rotation_ms() / 1000 : 1));
  SSL_CTX_set_app_data(ctx, keys);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, TicketCallback);
  if (l.alpn_policy == "HTTP1Only") SSL_CTX_set_alpn_select_cb(ctx, SelectHttp1, nullptr);

  BioPtr cert_bio = MemBio(c.certificate);
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  if (!cert) return fail("the certificate is not valid PEM");
  *names = CertificateNames(cert);
  int ok = SSL_CTX_use_certificate(ctx, cert);
  X509_free(cert);
  if (ok != 1) return fail("the certificate cannot be used");
  // Intermediates: after the leaf in `certificate`, and in `chain`.
  for (const std::string* pem : {&c.certificate, &c.chain}) {
    BioPtr bio = MemBio(*pem);
    if (pem == &c.certificate) X509_free(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
        X509_free(extra);
        return fail("a chain certificate cannot be used");
      }
    }
    ERR_clear_error();  // the end of the PEM data
  }
  BioPtr key_bio = MemBio(c.private_key);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (!key) return fail("the private key is not valid PEM (or is encrypted)");
  ok = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1) return fail("the private key does not match the certificate");
  return ctx;
}

}  // namespace

TicketKeys::TicketKeys() : current_(NewKey(NowMs())) {}

TicketKeys::Key TicketKeys::NewKey(int64_t now_ms) {
  Key k;
  RAND_bytes(k.name.data(), static_cast<int>(k.name.size()));
  RAND_bytes(k.aes.data(), static_cast<int>(k.aes.size()));
  RAND_bytes(k.hmac.data(), static_cast<int>(k.hmac.size()));
  k.created_ms = now_ms;
  return k;
}

void TicketKeys::RotateIfDueLocked(int64_t now_ms) {
  int period = rotation_ms();
  if (now_ms - current_.created_ms < period) return;
  // After a long quiet spell the current key may be more than a period old: then nothing it sealed is valid
  // any more and it is not kept as the previous key either.
  has_previous_ = now_ms - current_.created_ms < 2 * static_cast<int64_t>(period);
  previous_ = current_;
  current_ = NewKey(now_ms);
}

int TicketKeys::Callback(unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                         int enc) {
  Key k;
  int result = 1;
  {
    std::lock_guard<std::mutex> l(mu_);
    RotateIfDueLocked(NowMs());
    if (enc) {
      k = current_;
    } else if (std::memcmp(key_name, current_.name.data(), 16) == 0) {
      k = current_;
    } else if (has_previous_ && std::memcmp(key_name, previous_.name.data(), 16) == 0 &&
               NowMs() - previous_.created_ms < 2 * static_cast<int64_t>(rotation_ms())) {
      k = previous_;
      result = 2;  // accepted, and a fresh ticket under the current key is issued
    } else {
      return 0;  // unknown or expired key: a full handshake
    }
  }
  // Fetched once: OpenSSL 3's implicit fetch by EVP_aes_256_cbc() costs a method-store lookup per handshake.
  static EVP_CIPHER* const kAes = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k.hmac.data(), k.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  if (enc) {
    std::memcpy(key_name, k.name.data(), 16);
    if (RAND_bytes(iv, 16) != 1) return -1;
    if (EVP_EncryptInit_ex(cipher, kAes, nullptr, k.aes.data(), iv) != 1) return -1;
  } else if (EVP_DecryptInit_ex(cipher, kAes, nullptr, k.aes.data(), iv) != 1) {
    return -1;
  }
  if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
  OPENSSL_cleanse(&k, sizeof k);
  return result;
}

Result<std::shared_ptr<TlsContext>> TlsContext::Create(const ListenerConfig& l, const LbConfig& config,
                                                       std::shared_ptr<TicketKeys> keys) {
  const SslPolicy* policy = FindSslPolicy(l.ssl_policy);
  if (!policy) return InvalidArgument("listener " + l.name + ": unknown security policy " + l.ssl_policy);
  std::shared_ptr<TlsContext> t(new TlsContext());
  t->keys_ = std::move(keys);
  for (const auto& name : l.certificates) {
    const CertificateConfig* c = config.FindCertificate(name);
    if (!c) return InvalidArgument("listener " + l.name + ": unknown certificate " + name);
    std::vector<std::string> names;
    auto ctx = BuildContext(*c, l, *policy, t->keys_.get(), &names);
    if (!ctx.ok()) return InvalidArgument("listener " + l.name + ": " + ctx.status().message());
    t->ctxs_.push_back(*ctx);
    for (auto& n : names) t->names_.emplace_back(std::move(n), *ctx);
  }
  if (t->ctxs_.empty()) return InvalidArgument("listener " + l.name + ": needs a certificate");
  SSL_CTX_set_tlsext_servername_callback(t->ctxs_[0], OnServerName);
  SSL_CTX_set_tlsext_servername_arg(t->ctxs_[0], t.get());
  return t;
}

TlsContext::~TlsContext() {
  for (SSL_CTX* c : ctxs_) SSL_CTX_free(c);  // live connections hold their own reference
}

std::string TlsContext::Fingerprint(const ListenerConfig& l, const LbConfig& config) {
  std::string f = l.ssl_policy + "|" + l.alpn_policy;
  for (const auto& name : l.certificates) {
    const CertificateConfig* c = config.FindCertificate(name);
    f += "|" + name;
    if (c) f += "|" + c->certificate + "|" + c->private_key + "|" + c->chain;
  }
  return f;
}

SSL* TlsContext::NewSsl(int fd) const {
  SSL* ssl = SSL_new(ctxs_[0]);
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return ssl;
}

// Exact names first, then wildcards ("*.example.com" covers one label), in the listener's certificate order.
SSL_CTX* TlsContext::ForServerName(const char* name) const {
  std::string host = Lower(name);
  for (const auto& [n, ctx] : names_) {
    if (n == host) return ctx;
  }
  size_t dot = host.find('.');
  if (dot == std::string::npos || dot == 0) return nullptr;
  std::string_view parent = std::string_view(host).substr(dot);
  for (const auto& [n, ctx] : names_) {
    if (n.size() > 2 && n[0] == '*' && n[1] == '.' && std::string_view(n).substr(1) == parent) return ctx;
  }
  return nullptr;
}

int TlsContext::OnServerName(SSL* ssl, int*, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_NOACK;
  SSL_CTX* ctx = static_cast<const TlsContext*>(arg)->ForServerName(name);
  if (ctx && ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace stratus::lb
