// The per-connection state machines: HTTP/1.1 reverse proxying (keep-alive, pooling, streaming bodies, retries)
// and TCP stream copying. Each Step* does what it can without blocking and returns whether anything changed;
// Drive() repeats them until nothing does (the sockets are edge-triggered).
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "lb/access_log.h"
#include "lb/session.h"

namespace stratus::lb {
namespace {

// Appends to a fixed buffer; `ok` turns false (and stays) when it does not fit.
struct Appender {
  Buf* b;
  bool ok = true;
  void Add(std::string_view s) {
    if (!ok || s.size() > kBufSize - b->end) {
      ok = false;
      return;
    }
    std::memcpy(b->wptr(), s.data(), s.size());
    b->end += static_cast<uint32_t>(s.size());
  }
  void AddInt(uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
      tmp[sizeof tmp - 1 - n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    Add(std::string_view(tmp + sizeof tmp - n, static_cast<size_t>(n)));
  }
};

bool IsHopByHop(std::string_view n) {
  switch (n.size()) {
    case 7: return EqualsIgnoreCase(n, "upgrade");
    case 10: return EqualsIgnoreCase(n, "connection") || EqualsIgnoreCase(n, "keep-alive");
    case 16: return EqualsIgnoreCase(n, "proxy-connection");
    default: return false;
  }
}

bool IsForwardedHeader(std::string_view n) {
  if (n.size() < 15 || (n[0] | 0x20) != 'x') return false;
  return EqualsIgnoreCase(n, "x-forwarded-for") || EqualsIgnoreCase(n, "x-forwarded-proto") ||
         EqualsIgnoreCase(n, "x-forwarded-port");
}

std::string_view ErrorResponse(int code) {
  switch (code) {
    case 408:
      return "HTTP/1.1 408 Request Timeout\r\nServer: stratus-lb\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n"
             "Connection: close\r\n\r\nrequest timeout\n";
    case 400:
      return "HTTP/1.1 400 Bad Request\r\nServer: stratus-lb\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
             "Connection: close\r\n\r\nbad request\n";
    case 502:
      return "HTTP/1.1 502 Bad Gateway\r\nServer: stratus-lb\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
             "Connection: close\r\n\r\nbad gateway\n";
    case 503:
      return "HTTP/1.1 503 Service Unavailable\r\nServer: stratus-lb\r\nContent-Type: text/plain\r\n"
             "Content-Length: 20\r\nConnection: close\r\n\r\nservice unavailable\n";
    default:
      return "HTTP/1.1 504 Gateway Timeout\r\nServer: stratus-lb\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n"
             "Connection: close\r\n\r\ngateway timeout\n";
  }
}

std::string_view ReasonPhrase(int code) {
  switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

// Replaces #{protocol}, #{host}, #{port}, #{path} and #{query} in one part of a redirect.
std::string Expand(std::string_view part, std::string_view proto, std::string_view host, std::string_view port,
                   std::string_view path, std::string_view query) {
  std::string out;
  while (!part.empty()) {
    size_t open = part.find("#{");
    size_t close = open == std::string_view::npos ? open : part.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(part.substr(0, open));
    std::string_view name = part.substr(open + 2, close - open - 2);
    if (name == "protocol") out.append(proto);
    else if (name == "host") out.append(host);
    else if (name == "port") out.append(port);
    else if (name == "path") out.append(path);
    else if (name == "query") out.append(query);
    else out.append(part.substr(open, close - open + 1));
    part.remove_prefix(close + 1);
  }
  out.append(part);
  return out;
}

// True when the comma-separated header value `v` has `token` (case-insensitive), as in "keep-alive, Upgrade".
bool HasToken(std::string_view v, std::string_view token) {
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view t = v.substr(0, comma);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (EqualsIgnoreCase(t, token)) return true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

// A WebSocket handshake (RFC 6455 4.1): GET over HTTP/1.1 with "Upgrade: websocket" and "Connection: upgrade".
// Other upgrades (h2c) are not passed on: their headers are dropped as hop-by-hop.
bool IsWebSocketUpgrade(const RequestHead& h) {
  if (h.version_minor != 1 || h.method != "GET") return false;
  bool upgrade = false, connection = false;
  for (size_t i = 0; i < h.num_headers; ++i) {
    const HeaderField& f = h.headers[i];
    if (EqualsIgnoreCase(f.name, "upgrade")) upgrade = upgrade || HasToken(f.value, "websocket");
    if (EqualsIgnoreCase(f.name, "connection")) connection = connection || HasToken(f.value, "upgrade");
  }
  return upgrade && connection;
}

// Value of the AWSALB cookie in a Cookie header, or empty.
std::string_view StickyCookie(std::string_view cookie) {
  size_t pos = 0;
  while ((pos = cookie.find("AWSALB=", pos)) != std::string_view::npos) {
    if (pos == 0 || cookie[pos - 1] == ' ' || cookie[pos - 1] == ';') {
      std::string_view v = cookie.substr(pos + 7);
      return v.substr(0, v.find(';'));
    }
    pos += 7;
  }
  return {};
}

}  // namespace

void Worker::Drive(Session* s) {
  for (int i = 0; i < 256 && !s->dead; ++i) {
    bool progress = false;
    switch (s->phase) {
      case Phase::kHandshake: progress = StepHandshake(s); break;
      case Phase::kReadHead: progress = StepReadHead(s); break;
      case Phase::kProxy: progress = StepProxy(s); break;
      case Phase::kTcp: progress = StepTcp(s); break;
      case Phase::kClosing: progress = StepClosing(s); break;
    }
    if (!progress) return;
  }
}

// Reads from the client into s->in. True when something happened (data, EOF or an error).
bool Worker::ReadClient(Session* s) {
  if (!s->c_readable || s->c_eof) return false;
  Acquire(&s->in);
  if (s->in.space() == 0 && s->in.start > 0) {
    std::memmove(s->in.data, s->in.rptr(), s->in.size());
    s->in.end -= s->in.start;
    s->in.start = 0;
  }
  size_t space = s->in.space();
  if (space == 0) return false;
  ssize_t n = ClientRead(s, s->in.wptr(), space);
  if (n > 0) {
    s->in.end += static_cast<uint32_t>(n);
    // A short read drained a plain socket; TLS returns one record at a time, so it reads on until EAGAIN.
    if (static_cast<size_t>(n) < space && !s->c_hup && !s->ssl) s->c_readable = false;
    s->conn_metrics->shard(id_).c[kProcessedBytes].Add(n);
    return true;
  }
  if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    s->c_eof = true;
    return true;
  }
  s->c_readable = false;
  return false;
}

bool Worker::StepReadHead(Session* s) {
  if (!s->out.empty()) {  // a local response (redirect, fixed) goes out before the next request is read
    bool progress = WriteClient(s);
    if (s->dead || !s->out.empty()) return progress;
    Release(&s->out);
  }
  if (!s->in.empty()) {
    RequestHead& h = req_head_;
    ParseResult r = ParseRequestHead(s->in.rptr(), s->in.size(), &h);
    if (r == ParseResult::kDone && h.head_len > kBufSize - 1024) r = ParseResult::kError;
    if (r == ParseResult::kDone) return StartRequest(s, h);
    if (r == ParseResult::kError || s->in.size() >= kBufSize - 1024) {
      SendError(s, 400);
      return true;
    }
  }
  if (s->c_eof) {
    CloseSession(s);
    return true;
  }
  bool was_empty = s->in.empty();
  if (!ReadClient(s)) {
    ReleaseIfEmpty(&s->in);  // idle keep-alive connections hold no buffer
    return false;
  }
  if (was_empty && !s->in.empty() && s->requests > 0) {
    s->deadline_ms = now_ms_ + snap_->settings.header_timeout_ms;
  }
  return true;
}

bool Worker::StartRequest(Session* s, RequestHead& h) {
  if (s->snap != snap_) {
    ListenerRuntime* l = nullptr;
    for (const auto& cand : snap_->listeners) {
      if (cand->sockets.get() == s->sockets) l = cand.get();
    }
    if (!l) {
      CloseSession(s);  // the listener was removed
      return true;
    }
    s->snap = snap_;
    s->listener = l;
  }
  s->request_start_ms = now_ms_;
  s->keep_alive = h.keep_alive;
  s->http10 = h.version_minor == 0;
  s->is_head = h.is_head;
  s->upgrade = IsWebSocketUpgrade(h);
  s->idempotent = h.idempotent;
  s->nothing_sent = false;
  s->attempts = 0;
  s->reuse_retries = 0;
  s->body_sent = 0;
  s->req_ready = 0;
  s->resp_head_done = false;
  s->resp_ready = 0;
  s->resp_status = 0;
  s->upstream_write_failed = false;
  s->close_after = false;
  s->requests++;
  s->listener->metrics->shard(id_).c[kRequestCount].Add(1);
  const ActionRuntime& action = s->listener->Route(h, s->client_addr);
  if (action.cfg->type != ActionType::kForward) return LocalResponse(s, h, *action.cfg);
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  TargetGroupRuntime* g = action.PickGroup(rng_);
  s->group = g;
  if (!g) {
    s->in.consume(h.head_len);
    SendError(s, 503);  // every group of the forward action has weight 0
    return true;
  }
  std::string_view sticky = g->cfg.stickiness.enabled ? StickyCookie(h.cookie) : std::string_view();
  TargetRuntime* t = g->Select(id_, now_ms_, nullptr, sticky);
  if (!BuildRequestHead(s, h)) {
    SendError(s, 400);
    return true;
  }
  s->req_body.Start(h.body, h.content_length);
  s->in.consume(h.head_len);
  s->phase = Phase::kProxy;
  s->deadline_ms = now_ms_ + snap_->settings.request_timeout_ms;
  if (!t) {
    SendError(s, 503);
    return true;
  }
  s->set_cookie = g->cfg.stickiness.enabled && sticky != t->id;
  g->metrics->shard(id_).c[kRequestCount].Add(1);
  s->sent_at_us = NowUs();
  if (!ConnectUpstream(s, t, OwnerOf(g, t))) UpstreamFailed(s, Failure::kConnect);
  return true;
}

// A redirect or fixed-response action: the answer comes from the load balancer. The connection stays open when
// the request has no body (there is nothing left to read past its head), as ALB does.
bool Worker::LocalResponse(Session* s, const RequestHead& h, const ActionConfig& a) {
  MetricShard& m = s->listener->metrics->shard(id_);
  bool close = !s->keep_alive || h.body != BodyKind::kNone;
  Acquire(&s->out);
  s->out.clear();
  Appender ap{&s->out};
  ap.Add("HTTP/1.1 ");
  ap.AddInt(static_cast<uint64_t>(a.status_code));
  ap.Add(" ");
  ap.Add(ReasonPhrase(a.status_code));
  ap.Add("\r\nServer: stratus-lb\r\n");
  if (a.type == ActionType::kRedirect) {
    std::string_view host = h.host.substr(0, h.host.rfind(':'));
    std::string_view proto = s->ssl ? "https" : "http";
    const std::string& bind = s->listener->cfg.bind;
    std::string_view port = std::string_view(bind).substr(bind.rfind(':') + 1);
    std::string_view path = h.path.empty() ? h.path : h.path.substr(1);
    size_t q = h.target.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view() : h.target.substr(q + 1);
    std::string to_proto = Expand(a.protocol, proto, host, port, path, query);
    for (auto& c : to_proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string to_port = Expand(a.port, proto, host, port, path, query);
    std::string to_query = Expand(a.query, proto, host, port, path, query);
    ap.Add("Location: ");
    ap.Add(to_proto);
    ap.Add("://");
    ap.Add(Expand(a.host, proto, host, port, path, query));
    if (!((to_proto == "http" && to_port == "80") || (to_proto == "https" && to_port == "443"))) {
      ap.Add(":");
      ap.Add(to_port);
    }
    ap.Add(Expand(a.path, proto, host, port, path, query));
    if (!to_query.empty()) {
      ap.Add("?");
      ap.Add(to_query);
    }
    ap.Add("\r\nContent-Length: 0\r\n");
    m.c[kRedirects].Add(1);
  } else {
    ap.Add("Content-Type: ");
    ap.Add(a.content_type);
    ap.Add("\r\nContent-Length: ");
    ap.AddInt(a.message_body.size());
    ap.Add("\r\n");
    m.c[kFixedResponses].Add(1);
  }
  if (close) {
    ap.Add("Connection: close\r\n");
  } else if (s->http10) {
    ap.Add("Connection: keep-alive\r\n");
  }
  ap.Add("\r\n");
  if (a.type == ActionType::kFixedResponse && !s->is_head) ap.Add(a.message_body);
  s->in.consume(h.head_len);
  if (!ap.ok) {
    SendError(s, 400);  // a Location longer than a buffer
    return true;
  }
  if (access_log_) access_log_->Record(id_, s->client_ip, "-", 0, a.status_code, 0);
  if (close) {
    s->phase = Phase::kClosing;
    s->deadline_ms = now_ms_ + 2000;
  } else {
    s->deadline_ms = now_ms_ + (s->in.empty() ? snap_->settings.idle_timeout_ms : snap_->settings.header_timeout_ms);
  }
  return true;
}

bool Worker::BuildRequestHead(Session* s, const RequestHead& h) {
  Acquire(&s->req);
  s->req.clear();
  s->req_sent = 0;
  Appender a{&s->req};
  a.Add(h.method);
  a.Add(" ");
  a.Add(h.target);
  a.Add(" HTTP/1.1\r\n");
  for (size_t i = 0; i < h.num_headers; ++i) {
    const HeaderField& f = h.headers[i];
    if (IsHopByHop(f.name) || IsForwardedHeader(f.name)) continue;
    a.Add(f.name);
    a.Add(": ");
    a.Add(f.value);
    a.Add("\r\n");
  }
  if (h.version_minor == 0 && h.host.empty()) a.Add("Host: localhost\r\n");
  if (s->upgrade) a.Add("Connection: Upgrade\r\nUpgrade: websocket\r\n");
  a.Add("X-Forwarded-For: ");
  if (!h.x_forwarded_for.empty()) {
    a.Add(h.x_forwarded_for);
    a.Add(", ");
  }
  a.Add(s->client_ip);
  a.Add(s->ssl ? "\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: " : "\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: ");
  const std::string& bind = s->listener->cfg.bind;
  a.Add(std::string_view(bind).substr(bind.rfind(':') + 1));
  a.Add("\r\n\r\n");
  return a.ok;
}

bool Worker::StepProxy(Session* s) {
  bool progress = false;
  if (s->up && s->up->connecting) {
    if (!CheckConnect(s)) return false;
    progress = true;
    if (s->phase != Phase::kProxy || !s->up) return true;
  }
  if (s->up && !s->upstream_write_failed) {
    progress |= SendRequest(s);
    if (s->dead || s->phase != Phase::kProxy) return true;
  }
  if (!s->req_body.done() && ReadClient(s)) progress = true;
  if (s->c_eof && !s->req_body.done()) {
    if (!FeedRequestBody(s)) return true;
    if (!s->req_body.done() && s->in.size() == s->req_ready) {
      CloseSession(s);  // the client gave up in the middle of its request body
      return true;
    }
  }
  if (s->up) {
    progress |= ReadUpstream(s);
    if (s->dead || s->phase != Phase::kProxy) return true;
  }
  progress |= WriteClient(s);
  if (s->dead || s->phase != Phase::kProxy) return true;
  progress |= CheckDone(s);
  return progress;
}

// A connect in progress: done when the socket turns writable (or errors). False while still waiting.
bool Worker::CheckConnect(Session* s) {
  Upstream* u = s->up;
  if (!u->writable && !u->error && !u->readable) return false;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0 || u->error) {
    UpstreamFailed(s, Failure::kConnect);
    return true;
  }
  u->connecting = false;
  u->writable = true;
  return true;
}

// Validates newly arrived request body bytes. False (after answering 400 / closing) on a framing error.
bool Worker::FeedRequestBody(Session* s) {
  size_t have = s->in.size();
  if (s->req_body.done() || have <= s->req_ready) return true;
  int64_t r = s->req_body.Feed(s->in.rptr() + s->req_ready, have - s->req_ready);
  if (r < 0) {
    if (!s->resp_head_done && s->out.empty()) {
      SendError(s, 400);
    } else {
      CloseSession(s);
    }
    return false;
  }
  s->req_ready += static_cast<uint64_t>(r);
  return true;
}

bool Worker::SendRequest(Session* s) {
  Upstream* u = s->up;
  bool progress = false;
  while (true) {
    if (!FeedRequestBody(s)) return true;
    iovec iov[2];
    int cnt = 0;
    size_t head_left = s->req.size() - s->req_sent;
    if (head_left > 0) iov[cnt++] = {s->req.rptr() + s->req_sent, head_left};
    if (s->req_ready > 0) iov[cnt++] = {s->in.rptr(), static_cast<size_t>(s->req_ready)};
    if (cnt == 0 || !u->writable) return progress;
    ssize_t n = writev(u->fd, iov, cnt);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        u->writable = false;
        return progress;
      }
      if (!s->resp_head_done && u->in.empty()) {
        // A pooled connection the target had already closed refused the very first byte: the request never
        // reached the target, so even a non-idempotent one is retried on a fresh connection.
        s->nothing_sent = u->reused && s->req_sent == 0 && s->body_sent == 0;
        UpstreamFailed(s, Failure::kReset);
      } else {
        s->upstream_write_failed = true;  // the response is coming anyway; deliver it
      }
      return true;
    }
    size_t total = 0;
    for (int i = 0; i < cnt; ++i) total += iov[i].iov_len;
    size_t sent = static_cast<size_t>(n);
    size_t from_head = sent < head_left ? sent : head_left;
    s->req_sent += static_cast<uint32_t>(from_head);
    size_t from_body = sent - from_head;
    if (from_body) {
      s->in.consume(from_body);
      s->req_ready -= from_body;
      s->body_sent += from_body;
    }
    if (sent < total) u->writable = false;
    if (!s->resp_head_done) s->deadline_ms = now_ms_ + snap_->settings.request_timeout_ms;
    progress = true;
  }
}

bool Worker::ReadUpstream(Session* s) {
  Upstream* u = s->up;
  bool progress = false;
  if (u->readable && !u->eof && !u->connecting) {
    Acquire(&u->in);
    if (u->in.space() == 0 && u->in.start > 0 && s->resp_ready < u->in.size()) {
      std::memmove(u->in.data, u->in.rptr(), u->in.size());
      u->in.end -= u->in.start;
      u->in.start = 0;
    }
    size_t space = u->in.space();
    if (space > 0) {
      ssize_t n = read(u->fd, u->in.wptr(), space);
      if (n > 0) {
        u->in.end += static_cast<uint32_t>(n);
        if (static_cast<size_t>(n) < space && !u->hup) u->readable = false;
        progress = true;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        u->eof = true;
        progress = true;
      } else {
        u->readable = false;
      }
    }
  }
  if (ProcessResponse(s)) progress = true;
  return progress;
}

bool Worker::ProcessResponse(Session* s) {
  Upstream* u = s->up;
  bool progress = false;
  if (!s->resp_head_done) {
    if (u->in.empty()) {
      if (u->eof) {
        UpstreamFailed(s, Failure::kReset);
        return true;
      }
      return false;
    }
    ResponseHead& r = resp_head_;
    ParseResult pr = ParseResponseHead(u->in.rptr(), u->in.size(), s->is_head, &r);
    if (pr == ParseResult::kIncomplete && !u->eof && u->in.size() < kBufSize - 1024) return false;
    if (pr == ParseResult::kDone && r.status == 101 && s->upgrade) return StartWebSocket(s);
    if (pr != ParseResult::kDone || r.status == 101) {
      UpstreamFailed(s, Failure::kBadResponse);
      return true;
    }
    if (!OnResponseHead(s, r)) return false;
    if (s->dead || s->phase != Phase::kProxy || !s->resp_head_done) return true;
    progress = true;
  }
  size_t have = u->in.size();
  if (!s->resp_body.done() && have > s->resp_ready) {
    int64_t n = s->resp_body.Feed(u->in.rptr() + s->resp_ready, have - s->resp_ready);
    if (n < 0) {
      CloseSession(s);  // a broken chunked response: the client must not take it as complete
      return true;
    }
    s->resp_ready += static_cast<uint64_t>(n);
    progress = progress || n > 0;
  }
  if (u->eof && !s->resp_body.done() && s->resp_body.kind() != BodyKind::kUntilClose && s->resp_ready == 0) {
    CloseSession(s);  // truncated response
    return true;
  }
  return progress;
}

// The target accepted a WebSocket upgrade: its 101 head goes to the client as it is (with its Upgrade and
// Connection headers), and from then on the connection is a byte stream both ways (the TCP state machine, with
// idle_timeout_ms). The upstream connection belongs to this client until either side closes.
bool Worker::StartWebSocket(Session* s) {
  TargetRuntime* t = s->target;
  int64_t rt = NowUs() - s->sent_at_us;
  MetricSet* sets[3] = {s->listener->metrics.get(), s->group->metrics.get(), &t->metrics};
  for (MetricSet* ms : sets) {
    ms->shard(id_).c[kWebSocketUpgrades].Add(1);
    ms->RecordLatency(id_, rt);
  }
  t->metrics.shard(id_).c[kRequestCount].Add(1);
  t->RecordSuccess();
  if (access_log_) access_log_->Record(id_, s->client_ip, t->ip.c_str(), t->port, 101, now_ms_ - s->request_start_ms);
  s->resp_status = 101;
  s->resp_head_done = true;
  s->phase = Phase::kTcp;
  s->deadline_ms = now_ms_ + snap_->settings.idle_timeout_ms;
  Release(&s->req);
  return true;
}

// A complete response head in up->in: forward interim responses, rewrite the final one into s->out.
bool Worker::OnResponseHead(Session* s, const ResponseHead& r) {
  Upstream* u = s->up;
  Acquire(&s->out);
  if (r.status < 200) {
    if (r.head_len > s->out.space()) return false;
    std::memcpy(s->out.wptr(), u->in.rptr(), r.head_len);
    s->out.end += static_cast<uint32_t>(r.head_len);
    u->in.consume(r.head_len);
    return true;
  }
  int64_t rt = NowUs() - s->sent_at_us;
  // After a hand-over (!accepting) each keep-alive client gets "Connection: close" and reconnects to the new process.
  bool client_close = !s->keep_alive || r.body == BodyKind::kUntilClose || !s->req_body.done() || !snap_->accepting;
  if (!AppendResponseHead(s, r, client_close)) {
    UpstreamFailed(s, Failure::kBadResponse);
    return true;
  }
  if (client_close) s->close_after = true;
  s->resp_status = r.status;
  s->resp_keep_alive = r.keep_alive;
  s->resp_head_done = true;
  s->resp_body.Start(r.body, r.content_length);
  u->in.consume(r.head_len);
  CountResponse(s, r.status, rt);
  s->deadline_ms = now_ms_ + snap_->settings.idle_timeout_ms;
  return true;
}

// The response head as the client gets it: HTTP/1.1 status line, the target's headers without hop-by-hop ones,
// the stickiness cookie, our Connection header. False when it does not fit.
bool Worker::AppendResponseHead(Session* s, const ResponseHead& r, bool client_close) {
  uint32_t mark = s->out.end;
  Appender a{&s->out};
  a.Add("HTTP/1.1 ");
  a.AddInt(static_cast<uint64_t>(r.status));
  a.Add(" ");
  a.Add(r.reason);
  a.Add("\r\n");
  for (size_t i = 0; i < r.num_headers; ++i) {
    const HeaderField& f = r.headers[i];
    if (IsHopByHop(f.name)) continue;
    a.Add(f.name);
    a.Add(": ");
    a.Add(f.value);
    a.Add("\r\n");
  }
  if (s->set_cookie) {
    a.Add("Set-Cookie: AWSALB=");
    a.Add(s->target->id);
    a.Add("; Max-Age=");
    a.AddInt(static_cast<uint64_t>(s->group->cfg.stickiness.duration_s));
    a.Add("; Path=/\r\n");
  }
  if (client_close) {
    a.Add("Connection: close\r\n");
  } else if (s->http10) {
    a.Add("Connection: keep-alive\r\n");
  }
  a.Add("\r\n");
  if (!a.ok) s->out.end = mark;
  return a.ok;
}

// Status class and response time on the listener, the target group and the target; passive outlier detection.
void Worker::CountResponse(Session* s, int status, int64_t rt) {
  int klass = status / 100;
  Metric m = klass == 2 ? kTarget2xx : klass == 3 ? kTarget3xx : klass == 4 ? kTarget4xx : kTarget5xx;
  MetricSet* sets[3] = {s->listener->metrics.get(), s->group->metrics.get(), &s->target->metrics};
  for (MetricSet* ms : sets) {
    ms->shard(id_).c[m].Add(1);
    ms->RecordLatency(id_, rt);
  }
  s->target->metrics.shard(id_).c[kRequestCount].Add(1);
  if (klass == 5) {
    s->target->RecordFailure(now_ms_, snap_->settings);
  } else {
    s->target->RecordSuccess();
  }
}

bool Worker::WriteClient(Session* s) {
  bool progress = false;
  while (s->c_writable) {
    iovec iov[2];
    int cnt = 0;
    if (!s->out.empty()) iov[cnt++] = {s->out.rptr(), s->out.size()};
    if (s->up && s->resp_ready > 0) iov[cnt++] = {s->up->in.rptr(), static_cast<size_t>(s->resp_ready)};
    if (cnt == 0) break;
    ssize_t n = ClientWritev(s, iov, cnt);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        s->c_writable = false;
        break;
      }
      CloseSession(s);
      return true;
    }
    size_t total = iov[0].iov_len + (cnt == 2 ? iov[1].iov_len : 0);
    size_t sent = static_cast<size_t>(n);
    size_t from_out = sent < s->out.size() ? sent : s->out.size();
    s->out.consume(from_out);
    size_t from_body = sent - from_out;
    if (from_body) {
      s->up->in.consume(from_body);
      s->resp_ready -= from_body;
    }
    s->conn_metrics->shard(id_).c[kProcessedBytes].Add(n);
    if (s->phase == Phase::kProxy) s->deadline_ms = now_ms_ + snap_->settings.idle_timeout_ms;
    if (sent < total) s->c_writable = false;
    progress = true;
  }
  return progress;
}

bool Worker::CheckDone(Session* s) {
  if (!s->resp_head_done || !s->out.empty() || s->resp_ready > 0 || !s->up) return false;
  bool until_close = s->resp_body.kind() == BodyKind::kUntilClose;
  if (!(s->resp_body.done() || (until_close && s->up->eof))) return false;
  bool req_complete = s->req_body.done() && s->req_ready == 0 && s->req_sent == s->req.size();
  FinishRequest(s, req_complete);
  return true;
}

void Worker::FinishRequest(Session* s, bool request_complete) {
  Upstream* u = s->up;
  TargetRuntime* t = s->target;
  t->worker(id_).outstanding--;
  bool reusable = s->resp_keep_alive && s->resp_body.kind() != BodyKind::kUntilClose && request_complete &&
                  u->in.empty() && !u->eof && !s->upstream_write_failed &&
                  !t->draining.load(std::memory_order_relaxed) && !t->removed.load(std::memory_order_relaxed);
  s->up = nullptr;
  if (reusable) {
    PoolUpstream(u);
  } else {
    CloseUpstream(u);
  }
  if (access_log_) {
    access_log_->Record(id_, s->client_ip, t->ip.c_str(), t->port, s->resp_status,
                        now_ms_ - s->request_start_ms);
  }
  if (!request_complete || s->close_after || !s->keep_alive) {
    s->phase = Phase::kClosing;
    s->deadline_ms = now_ms_ + 2000;
    return;
  }
  s->phase = Phase::kReadHead;
  s->deadline_ms = now_ms_ + (s->in.empty() ? snap_->settings.idle_timeout_ms : snap_->settings.header_timeout_ms);
  ReleaseIfEmpty(&s->out);
  Release(&s->req);
}

void Worker::UpstreamFailed(Session* s, Failure f) {
  Upstream* u = s->up;
  TargetRuntime* t = s->target;
  bool no_response = !s->resp_head_done && (!u || u->in.empty());
  bool stale_reuse = u && u->reused && f == Failure::kReset && no_response && s->body_sent == 0;
  if (u) {
    t->worker(id_).outstanding--;
    if (!stale_reuse) t->RecordFailure(now_ms_, snap_->settings);
    if (f == Failure::kConnect) t->metrics.shard(id_).c[kTargetConnectionErrors].Add(1);
    CloseUpstream(u);
    s->up = nullptr;
  }
  if (s->resp_head_done) {
    CloseSession(s);
    return;
  }
  bool retryable = no_response && s->out.empty() &&
                   (f == Failure::kConnect ||
                    (f == Failure::kReset && (s->idempotent || s->nothing_sent) && s->body_sent == 0));
  s->nothing_sent = false;
  if (retryable && stale_reuse && s->reuse_retries < 8) {
    s->reuse_retries++;
  } else if (retryable && s->attempts < snap_->settings.max_retries) {
    s->attempts++;
  } else {
    retryable = false;
  }
  if (retryable) {
    TargetRuntime* next = s->group->Select(id_, now_ms_, stale_reuse ? nullptr : t, {});
    if (next) {
      s->listener->metrics->shard(id_).c[kRetries].Add(1);
      s->req_sent = 0;
      s->sent_at_us = NowUs();
      if (!ConnectUpstream(s, next, OwnerOf(s->group, next))) UpstreamFailed(s, Failure::kConnect);
      return;
    }
  }
  SendError(s, f == Failure::kTimeout ? 504 : 502);
}

void Worker::CountElbError(Session* s, int code) {
  MetricShard& m = s->listener->metrics->shard(id_);
  m.c[code >= 500 ? kElb5xx : kElb4xx].Add(1);
  if (code == 502) m.c[kElb502].Add(1);
  if (code == 503) m.c[kElb503].Add(1);
  if (code == 504) m.c[kElb504].Add(1);
  if (s->group && code >= 500) s->group->metrics->shard(id_).c[kElb5xx].Add(1);
}

// Answers with an error page and closes the connection afterwards. Never forwards anything more.
void Worker::SendError(Session* s, int code) {
  if (s->up) {
    s->target->worker(id_).outstanding--;
    CloseUpstream(s->up);
    s->up = nullptr;
  }
  CountElbError(s, code);
  if (access_log_) access_log_->Record(id_, s->client_ip, "-", 0, code, now_ms_ - s->request_start_ms);
  Acquire(&s->out);
  s->out.clear();
  Appender a{&s->out};
  a.Add(ErrorResponse(code));
  s->phase = Phase::kClosing;
  s->deadline_ms = now_ms_ + 2000;
}

// Flushes s->out, half-closes, and drains what the client still sends so the kernel does not reset the
// connection under the response; closes on EOF or after the deadline.
bool Worker::StepClosing(Session* s) {
  bool progress = WriteClient(s);
  if (s->dead) return true;
  if (!s->out.empty()) return progress;
  if (!s->shut_wr) {
    ClientShutdownWrite(s);
    s->shut_wr = true;
    progress = true;
  }
  char sink[4096];
  for (int i = 0; i < 16 && s->c_readable; ++i) {
    ssize_t n = read(s->fd, sink, sizeof sink);
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      s->c_readable = false;
      break;
    }
    CloseSession(s);
    return true;
  }
  return progress;
}

}  // namespace stratus::lb
