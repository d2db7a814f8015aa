// TLS termination for https and tls listeners: one OpenSSL context per listener certificate, the certificate chosen
// by SNI (the listener's first certificate when no name matches), ELBv2 security policies, ALPN, and stateless
// session tickets whose keys are shared by every listener and rotated. Contexts are immutable once built; a
// configuration that changes a certificate builds new ones, and connections keep the context they started with.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "lb/config.h"

namespace stratus::lb {

// Session ticket keys: a current key that encrypts new tickets and the previous one, still accepted (its tickets
// are then renewed). A new key is made every `rotation_ms`, so a ticket resumes for between one and two periods.
class TicketKeys {
 public:
  TicketKeys();
  void set_rotation_ms(int ms) { rotation_ms_.store(ms, std::memory_order_relaxed); }
  int rotation_ms() const { return rotation_ms_.load(std::memory_order_relaxed); }

  // OpenSSL's ticket key callback (SSL_CTX_set_tlsext_ticket_key_evp_cb), called from the workers.
  int Callback(unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc);

 private:
  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aes{};
    std::array<unsigned char, 32> hmac{};
    int64_t created_ms = 0;
  };
  static Key NewKey(int64_t now_ms);
  void RotateIfDueLocked(int64_t now_ms);

  std::atomic<int> rotation_ms_{3600000};
  std::mutex mu_;  // held for a key copy per full handshake, never for I/O
  Key current_;
  Key previous_;
  bool has_previous_ = false;
};

// The TLS side of one listener.
class TlsContext {
 public:
  // Builds the contexts for `l` from the certificates of `config`. Errors name the certificate, never key material.
  static Result<std::shared_ptr<TlsContext>> Create(const ListenerConfig& l, const LbConfig& config,
                                                    std::shared_ptr<TicketKeys> keys);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server-side SSL for an accepted socket (nullptr when OpenSSL is out of memory).
  SSL* NewSsl(int fd) const;

  // What a configuration change must compare to decide whether the contexts can be kept.
  static std::string Fingerprint(const ListenerConfig& l, const LbConfig& config);

 private:
  TlsContext() = default;
  SSL_CTX* ForServerName(const char* name) const;
  static int OnServerName(SSL* ssl, int* alert, void* arg);

  std::shared_ptr<TicketKeys> keys_;
  std::vector<SSL_CTX*> ctxs_;  // one per certificate, [0] the default
  std::vector<std::pair<std::string, SSL_CTX*>> names_;  // lower-case DNS names (maybe "*.x.y") -> context
};

}  // namespace stratus::lb
