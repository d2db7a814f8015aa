// The worker's loop, connection pools and timers. The HTTP/TCP state machines are in http_proxy.cc.
#include "lb/worker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/log.h"
#include "lb/session.h"

namespace stratus::lb {

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

Worker::Worker(int id, SnapshotSource* source, AccessLog* access_log)
    : id_(id), source_(source), access_log_(access_log) {}

Worker::~Worker() {
  Stop();
  for (char* b : free_bufs_) delete[] b;
  for (Session* s : free_sessions_) delete s;
  for (Upstream* u : free_upstreams_) delete u;
  delete[] tls_scratch_;
}

Status Worker::Start() {
  epfd_.reset(epoll_create1(EPOLL_CLOEXEC));
  wakefd_.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!epfd_.valid() || !wakefd_.valid()) return Internal(std::string("worker: epoll/eventfd: ") + strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wake_handle_;
  epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, wakefd_.get(), &ev);
  free_bufs_.reserve(1024);
  dead_sessions_.reserve(1024);
  dead_upstreams_.reserve(1024);
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Worker::Wake() {
  uint64_t one = 1;
  if (wakefd_.valid()) {
    ssize_t r = write(wakefd_.get(), &one, sizeof one);
    (void)r;
  }
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  Wake();
  thread_.join();
  while (sessions_) CloseSession(sessions_);
  while (idle_) CloseUpstream(idle_);
  FreeGraveyard();
  for (auto& reg : listeners_) epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, reg->fd, nullptr);
  listeners_.clear();
  snap_.reset();
}

void Worker::Run() {
  epoll_event events[256];
  while (!stop_.load(std::memory_order_relaxed)) {
    if (source_->generation() != adopted_.load(std::memory_order_relaxed)) Adopt();
    int n = epoll_wait(epfd_.get(), events, 256, deferred_.empty() ? 100 : 0);
    now_ms_ = NowMs();
    handshake_budget_ = kHandshakesPerIteration;
    for (int i = 0; i < n; ++i) HandleEvent(static_cast<Handle*>(events[i].data.ptr), events[i].events);
    RunDeferredHandshakes();
    FreeGraveyard();
    if (now_ms_ >= next_sweep_ms_) {
      Sweep();
      FreeGraveyard();
      next_sweep_ms_ = now_ms_ + 100;
    }
  }
}

// Switches to the newest snapshot: listening sockets are added and removed by identity.
void Worker::Adopt() {
  snap_ = source_->Get();
  if (!snap_) return;
  std::vector<std::unique_ptr<ListenerReg>> next;
  for (const auto& l : snap_->listeners) {
    if (!snap_->accepting) break;  // handed over to a new stratus-lb: it accepts on these sockets now
    std::unique_ptr<ListenerReg> reg;
    for (auto& old : listeners_) {
      if (old && old->sockets == l->sockets.get()) reg = std::move(old);
    }
    if (!reg) {
      reg = std::make_unique<ListenerReg>();
      reg->handle.owner = reg.get();
      reg->sockets = l->sockets.get();
      reg->fd = l->sockets->fd(id_);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = &reg->handle;
      epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, reg->fd, &ev);
    }
    reg->listener = l.get();
    next.push_back(std::move(reg));
  }
  for (auto& old : listeners_) {
    if (old) epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, old->fd, nullptr);
  }
  listeners_ = std::move(next);
  adopted_.store(snap_->generation, std::memory_order_release);
}

void Worker::HandleEvent(Handle* h, uint32_t events) {
  switch (h->kind) {
    case HandleKind::kWake: {
      uint64_t v;
      ssize_t r = read(wakefd_.get(), &v, sizeof v);
      (void)r;
      break;
    }
    case HandleKind::kListener:
      Accept(static_cast<ListenerReg*>(h->owner));
      break;
    case HandleKind::kClient: {
      Session* s = static_cast<Session*>(h->owner);
      if (s->dead) break;
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s->c_readable = true;
      if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s->c_hup = true;
      if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) s->c_writable = true;
      Drive(s);
      break;
    }
    case HandleKind::kUpstream: {
      Upstream* u = static_cast<Upstream*>(h->owner);
      if (u->dead) break;
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) u->readable = true;
      if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) u->hup = true;
      if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) u->writable = true;
      if (events & EPOLLERR) u->error = true;
      if (u->session) {
        Drive(u->session);
      } else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        CloseUpstream(u);  // an idle pooled connection closed (or sent junk): drop it
      }
      break;
    }
  }
}

void Worker::Accept(ListenerReg* reg) {
  for (int i = 0; i < 64; ++i) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    int fd = accept4(reg->fd, reinterpret_cast<sockaddr*>(&a), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Session* s = NewSession();
    s->fd = fd;
    s->snap = snap_;
    s->listener = reg->listener;
    s->sockets = reg->sockets;
    s->conn_metrics = reg->listener->metrics;
    inet_ntop(AF_INET, &a.sin_addr, s->client_ip, sizeof s->client_ip);
    s->client_addr = ntohl(a.sin_addr.s_addr);
    MetricShard& m = s->conn_metrics->shard(id_);
    m.c[kNewConnectionCount].Add(1);
    m.c[kActiveConnectionCount].Add(1);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &s->handle;
    epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev);
    if (reg->listener->tls) {
      // The client speaks first: its ClientHello (already queued or not) triggers the first edge.
      s->tls = reg->listener->tls;
      s->ssl = s->tls->NewSsl(fd);
      s->phase = Phase::kHandshake;
      s->deadline_ms = now_ms_ + snap_->settings.handshake_timeout_ms;
      if (!s->ssl) CloseSession(s);
      continue;
    }
    if (reg->listener->cfg.protocol == Protocol::kTcp) {
      s->phase = Phase::kTcp;
      s->deadline_ms = now_ms_ + snap_->settings.idle_timeout_ms;
      if (!StartTcp(s)) continue;
    } else {
      s->phase = Phase::kReadHead;
      s->deadline_ms = now_ms_ + snap_->settings.header_timeout_ms;
    }
    Drive(s);
  }
}

bool Worker::Acquire(Buf* b) {
  if (b->data) return true;
  if (free_bufs_.empty()) {
    b->data = new char[kBufSize];
  } else {
    b->data = free_bufs_.back();
    free_bufs_.pop_back();
  }
  b->start = b->end = 0;
  return true;
}

void Worker::Release(Buf* b) {
  if (!b->data) return;
  free_bufs_.push_back(b->data);
  b->data = nullptr;
  b->start = b->end = 0;
}

Session* Worker::NewSession() {
  Session* s;
  if (free_sessions_.empty()) {
    s = new Session();
  } else {
    s = free_sessions_.back();
    free_sessions_.pop_back();
    *s = Session();
  }
  s->handle.owner = s;
  s->next = sessions_;
  if (sessions_) sessions_->prev = s;
  sessions_ = s;
  return s;
}

void Worker::CloseSession(Session* s) {
  if (s->dead) return;
  if (s->up) {
    if (s->target) s->target->worker(id_).outstanding--;
    CloseUpstream(s->up);
    s->up = nullptr;
  }
  s->dead = true;
  if (s->conn_metrics) s->conn_metrics->shard(id_).c[kActiveConnectionCount].Add(-1);
  if (s->handshake_deferred) std::replace(deferred_.begin(), deferred_.end(), s, static_cast<Session*>(nullptr));
  if (s->ssl) {
    SSL_free(s->ssl);
    s->ssl = nullptr;
  }
  if (s->fd >= 0) {
    ::close(s->fd);  // closing removes it from epoll
    s->fd = -1;
  }
  Release(&s->in);
  Release(&s->out);
  Release(&s->req);
  if (s->prev) s->prev->next = s->next;
  if (s->next) s->next->prev = s->prev;
  if (sessions_ == s) sessions_ = s->next;
  dead_sessions_.push_back(s);
}

Upstream* Worker::NewUpstream() {
  Upstream* u;
  if (free_upstreams_.empty()) {
    u = new Upstream();
  } else {
    u = free_upstreams_.back();
    free_upstreams_.pop_back();
    *u = Upstream();
  }
  u->handle.owner = u;
  return u;
}

void Worker::UnlinkIdle(Upstream* u) {
  TargetWorkerState& ws = u->target->worker(id_);
  if (u->tprev) u->tprev->tnext = u->tnext;
  if (u->tnext) u->tnext->tprev = u->tprev;
  if (ws.idle_head == u) ws.idle_head = u->tnext;
  if (u->iprev) u->iprev->inext = u->inext;
  if (u->inext) u->inext->iprev = u->iprev;
  if (idle_ == u) idle_ = u->inext;
  u->tprev = u->tnext = u->iprev = u->inext = nullptr;
}

void Worker::CloseUpstream(Upstream* u) {
  if (u->dead) return;
  if (!u->session) UnlinkIdle(u);
  u->dead = true;
  if (u->fd >= 0) {
    ::close(u->fd);
    u->fd = -1;
  }
  u->target->worker(id_).open_conns.Add(-1);
  Release(&u->in);
  u->session = nullptr;
  dead_upstreams_.push_back(u);
}

void Worker::PoolUpstream(Upstream* u) {
  u->session = nullptr;
  u->idle_since_ms = now_ms_;
  Release(&u->in);
  TargetWorkerState& ws = u->target->worker(id_);
  u->tnext = ws.idle_head;
  if (ws.idle_head) ws.idle_head->tprev = u;
  ws.idle_head = u;
  u->inext = idle_;
  if (idle_) idle_->iprev = u;
  idle_ = u;
}

Upstream* Worker::TakePooled(TargetRuntime* t) {
  Upstream* u = t->worker(id_).idle_head;
  if (!u) return nullptr;
  UnlinkIdle(u);
  return u;
}

// Attaches an upstream connection to `t` (pooled, or a new non-blocking connect). False when the connect failed
// at once (the caller handles it like any connect failure).
bool Worker::ConnectUpstream(Session* s, TargetRuntime* t, TargetPtr owner) {
  s->target = t;
  t->worker(id_).outstanding++;
  Upstream* u = TakePooled(t);
  if (u) {
    u->reused = true;
    u->session = s;
    s->up = u;
    return true;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    t->worker(id_).outstanding--;
    return false;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = connect(fd, reinterpret_cast<const sockaddr*>(&t->addr), sizeof t->addr);
  if (r != 0 && errno != EINPROGRESS) {
    ::close(fd);
    t->worker(id_).outstanding--;
    t->RecordFailure(now_ms_, snap_->settings);
    t->metrics.shard(id_).c[kTargetConnectionErrors].Add(1);
    return false;
  }
  u = NewUpstream();
  u->fd = fd;
  u->target = owner ? std::move(owner) : nullptr;
  u->session = s;
  u->connecting = r != 0;
  u->writable = r == 0;
  u->connect_deadline_ms = now_ms_ + snap_->settings.connect_timeout_ms;
  t->worker(id_).open_conns.Add(1);
  t->metrics.shard(id_).c[kNewConnectionCount].Add(1);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &u->handle;
  epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev);
  s->up = u;
  return true;
}

// The owning pointer of a target of this worker's snapshot (taken once per new upstream connection).
TargetPtr Worker::OwnerOf(TargetGroupRuntime* g, TargetRuntime* t) {
  for (auto& p : g->targets) {
    if (p.get() == t) return p;
  }
  for (auto& p : g->draining) {
    if (p.get() == t) return p;
  }
  return nullptr;
}

void Worker::Sweep() {
  for (Session* s = sessions_; s;) {
    Session* next = s->next;
    SweepSession(s);
    s = next;
  }
  int64_t max_idle = snap_ ? snap_->settings.upstream_idle_ms : 30000;
  for (Upstream* u = idle_; u;) {
    Upstream* next = u->inext;
    if (now_ms_ - u->idle_since_ms > max_idle || u->target->draining.load(std::memory_order_relaxed) ||
        u->target->removed.load(std::memory_order_relaxed)) {
      CloseUpstream(u);
    }
    u = next;
  }
}

void Worker::SweepSession(Session* s) {
  if (s->up && s->up->target->removed.load(std::memory_order_relaxed)) {
    // Deregistration delay over: in-flight requests to the target are cut, as ALB does.
    CloseSession(s);
    return;
  }
  if (s->phase == Phase::kProxy && s->up && s->up->connecting && now_ms_ >= s->up->connect_deadline_ms) {
    UpstreamFailed(s, Failure::kConnect);
    if (!s->dead) Drive(s);
    return;
  }
  if (s->deadline_ms == 0 || now_ms_ < s->deadline_ms) return;
  if (s->phase == Phase::kHandshake) s->conn_metrics->shard(id_).c[kClientTlsNegotiationErrors].Add(1);
  if (s->phase == Phase::kReadHead && !s->in.empty() && s->out.empty()) {
    SendError(s, 408);  // a started request head that never completed (an idle keep-alive connection just closes)
    Drive(s);
    return;
  }
  if (s->phase == Phase::kProxy && !s->resp_head_done) {
    UpstreamFailed(s, Failure::kTimeout);
    if (!s->dead) Drive(s);
    return;
  }
  CloseSession(s);
}

void Worker::FreeGraveyard() {
  for (Session* s : dead_sessions_) {
    s->snap.reset();
    s->conn_metrics.reset();
    s->tls.reset();
    free_sessions_.push_back(s);
  }
  dead_sessions_.clear();
  for (Upstream* u : dead_upstreams_) {
    u->target.reset();
    free_upstreams_.push_back(u);
  }
  dead_upstreams_.clear();
}

}  // namespace stratus::lb
