// TCP listeners: a bidirectional byte copy between the client and one target, with half-close passed through
// (the client's FIN becomes a shutdown(SHUT_WR) towards the target and vice versa).
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "lb/session.h"

namespace stratus::lb {

// Picks a target and connects; false (session closed) when there is none.
bool Worker::StartTcp(Session* s) {
  TargetGroupRuntime* g = s->listener->default_group;
  s->group = g;
  const TargetRuntime* exclude = nullptr;
  for (int attempt = 0; attempt <= snap_->settings.max_retries; ++attempt) {
    TargetRuntime* t = g->Select(id_, now_ms_, exclude, {});
    if (!t) break;
    if (ConnectUpstream(s, t, OwnerOf(g, t))) return true;
    exclude = t;
  }
  CountElbError(s, 503);
  CloseSession(s);
  return false;
}

// A connect in progress: false while waiting; on failure the next target is tried (or the session closed).
bool Worker::TcpCheckConnect(Session* s) {
  Upstream* u = s->up;
  if (!u->writable && !u->error && !u->readable) return false;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err == 0 && !u->error) {
    u->connecting = false;
    u->writable = true;
    return true;
  }
  TargetRuntime* t = s->target;
  t->worker(id_).outstanding--;
  t->RecordFailure(now_ms_, snap_->settings);
  t->metrics.shard(id_).c[kTargetConnectionErrors].Add(1);
  CloseUpstream(u);
  s->up = nullptr;
  TargetRuntime* next =
      ++s->attempts <= snap_->settings.max_retries ? s->group->Select(id_, now_ms_, t, {}) : nullptr;
  if (!next || !ConnectUpstream(s, next, OwnerOf(s->group, next))) {
    s->up = nullptr;
    CloseSession(s);
  }
  return true;
}

// Client -> target: read, write, and pass the client's FIN on once everything is written.
bool Worker::TcpClientToTarget(Session* s) {
  Upstream* u = s->up;
  bool progress = !s->c_eof && ReadClient(s);
  if (!s->in.empty() && u->writable) {
    ssize_t n = write(u->fd, s->in.rptr(), s->in.size());
    if (n > 0) {
      if (static_cast<size_t>(n) < s->in.size()) u->writable = false;
      s->in.consume(static_cast<size_t>(n));
      progress = true;
    } else if (errno == EAGAIN || errno == EINTR) {
      u->writable = false;
    } else {
      CloseSession(s);
      return true;
    }
  }
  if (s->c_eof && s->in.empty() && !s->u_shut_wr) {
    shutdown(u->fd, SHUT_WR);
    s->u_shut_wr = true;
    progress = true;
  }
  return progress;
}

// Target -> client, the same way round; a reset from the target resets the client (by closing).
bool Worker::TcpTargetToClient(Session* s) {
  Upstream* u = s->up;
  bool progress = false;
  if (!u->eof && u->readable) {
    Acquire(&u->in);
    if (u->in.space() == 0 && u->in.start > 0) {
      std::memmove(u->in.data, u->in.rptr(), u->in.size());
      u->in.end -= u->in.start;
      u->in.start = 0;
    }
    size_t space = u->in.space();
    ssize_t n = space > 0 ? read(u->fd, u->in.wptr(), space) : -2;
    if (n > 0) {
      u->in.end += static_cast<uint32_t>(n);
      if (static_cast<size_t>(n) < space && !u->hup) u->readable = false;
      progress = true;
    } else if (n == 0) {
      u->eof = true;
      progress = true;
    } else if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
      u->readable = false;
    } else if (n == -1) {
      CloseSession(s);
      return true;
    }
  }
  if (!u->in.empty() && s->c_writable) {
    iovec iov{u->in.rptr(), u->in.size()};
    ssize_t n = ClientWritev(s, &iov, 1);
    if (n > 0) {
      if (static_cast<size_t>(n) < u->in.size()) s->c_writable = false;
      u->in.consume(static_cast<size_t>(n));
      s->conn_metrics->shard(id_).c[kProcessedBytes].Add(n);
      progress = true;
    } else if (errno == EAGAIN || errno == EINTR) {
      s->c_writable = false;
    } else {
      CloseSession(s);
      return true;
    }
  }
  if (u->eof && u->in.empty() && !s->shut_wr) {
    ClientShutdownWrite(s);
    s->shut_wr = true;
    progress = true;
  }
  return progress;
}

bool Worker::StepTcp(Session* s) {
  if (!s->up) {
    CloseSession(s);
    return true;
  }
  if (s->up->connecting) return TcpCheckConnect(s);
  bool progress = TcpClientToTarget(s);
  if (s->dead) return true;
  progress |= TcpTargetToClient(s);
  if (s->dead) return true;
  if (s->shut_wr && s->u_shut_wr) {
    CloseSession(s);
    return true;
  }
  if (progress) s->deadline_ms = now_ms_ + snap_->settings.idle_timeout_ms;
  return progress;
}

}  // namespace stratus::lb
