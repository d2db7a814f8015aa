// The client side's byte stream, plain or TLS, and the non-blocking TLS handshake with its per-iteration budget.
#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lb/session.h"

namespace stratus::lb {
namespace {

// Maps an SSL_read/SSL_write failure onto read(2)/write(2) conventions.
ssize_t SslFailure(SSL* ssl, int r) {
  int e = SSL_get_error(ssl, r);
  ERR_clear_error();
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return -1;
  }
  if (e == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify
  errno = ECONNRESET;
  return -1;
}

}  // namespace

ssize_t Worker::ClientRead(Session* s, char* buf, size_t n) {
  if (!s->ssl) return read(s->fd, buf, n);
  size_t got = 0;
  int r = SSL_read_ex(s->ssl, buf, n, &got);
  if (r == 1) return static_cast<ssize_t>(got);
  return SslFailure(s->ssl, r);
}

ssize_t Worker::ClientWritev(Session* s, const iovec* iov, int cnt) {
  if (!s->ssl) return writev(s->fd, iov, cnt);
  // One record for a small head + body (one write(2) instead of two); otherwise the pieces in turn. After a
  // would-block the same bytes come back first (nothing was consumed), which is what SSL_write's retry needs.
  size_t total = 0;
  for (int i = 0; i < cnt; ++i) total += iov[i].iov_len;
  if (cnt > 1 && total <= kBufSize) {
    if (!tls_scratch_) tls_scratch_ = new char[kBufSize];
    size_t off = 0;
    for (int i = 0; i < cnt; ++i) {
      std::memcpy(tls_scratch_ + off, iov[i].iov_base, iov[i].iov_len);
      off += iov[i].iov_len;
    }
    iovec one{tls_scratch_, total};
    return ClientWritev(s, &one, 1);
  }
  size_t done = 0;
  for (int i = 0; i < cnt; ++i) {
    size_t off = 0;
    while (off < iov[i].iov_len) {
      size_t wrote = 0;
      int r = SSL_write_ex(s->ssl, static_cast<const char*>(iov[i].iov_base) + off, iov[i].iov_len - off, &wrote);
      if (r != 1) {
        ssize_t f = SslFailure(s->ssl, r);
        if (done > 0 && f < 0 && errno == EAGAIN) return static_cast<ssize_t>(done);
        if (f == 0) errno = EPIPE;
        return -1;
      }
      off += wrote;
      done += wrote;
    }
  }
  return static_cast<ssize_t>(done);
}

void Worker::ClientShutdownWrite(Session* s) {
  if (s->ssl && SSL_is_init_finished(s->ssl)) {
    SSL_shutdown(s->ssl);  // close_notify; best effort on a non-blocking socket
    ERR_clear_error();
  }
  shutdown(s->fd, SHUT_WR);
}

// Runs the handshake as far as the socket allows. Done: the connection continues as HTTP (https) or as a byte
// stream to a target (tls). A failed handshake closes the connection and counts ClientTLSNegotiationErrorCount.
bool Worker::StepHandshake(Session* s) {
  if (handshake_budget_ <= 0) {
    if (!s->handshake_deferred) {
      s->handshake_deferred = true;
      deferred_.push_back(s);
    }
    return false;
  }
  handshake_budget_--;
  ERR_clear_error();
  int r = SSL_do_handshake(s->ssl);
  MetricShard& m = s->conn_metrics->shard(id_);
  if (r == 1) {
    m.c[kNewTlsHandshakes].Add(1);
    if (SSL_session_reused(s->ssl)) m.c[kResumedTlsHandshakes].Add(1);
    if (s->listener->cfg.protocol == Protocol::kTls) {
      s->phase = Phase::kTcp;
      s->deadline_ms = now_ms_ + snap_->settings.idle_timeout_ms;
      StartTcp(s);
    } else {
      s->phase = Phase::kReadHead;
      s->deadline_ms = now_ms_ + snap_->settings.header_timeout_ms;
    }
    return true;
  }
  int e = SSL_get_error(s->ssl, r);
  ERR_clear_error();
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return false;
  m.c[kClientTlsNegotiationErrors].Add(1);
  CloseSession(s);
  return true;
}

// Handshakes that waited for budget, oldest first, while this iteration's budget lasts.
void Worker::RunDeferredHandshakes() {
  if (deferred_.empty()) return;
  std::vector<Session*> batch;
  batch.swap(deferred_);
  size_t i = 0;
  for (; i < batch.size() && handshake_budget_ > 0; ++i) {
    Session* s = batch[i];
    if (!s) continue;  // closed while waiting
    s->handshake_deferred = false;
    Drive(s);
  }
  // The rest keep their place ahead of handshakes deferred during this pass.
  batch.erase(batch.begin(), batch.begin() + static_cast<ptrdiff_t>(i));
  batch.insert(batch.end(), deferred_.begin(), deferred_.end());
  deferred_.swap(batch);
}

}  // namespace stratus::lb
