// Internal to the worker: one client connection and the request it is proxying.
#pragma once

#include <netinet/in.h>

#include "lb/tls.h"
#include "lb/worker.h"

namespace stratus::lb {

enum class Phase : uint8_t { kHandshake, kReadHead, kProxy, kTcp, kClosing };

struct ListenerReg {
  Handle handle{HandleKind::kListener, this};
  ListenerSockets* sockets = nullptr;  // identity across snapshots
  int fd = -1;
  ListenerRuntime* listener = nullptr;  // in the worker's current snapshot
};

struct Session {
  Handle handle{HandleKind::kClient, this};
  int fd = -1;
  Phase phase = Phase::kReadHead;
  SnapshotPtr snap;
  ListenerRuntime* listener = nullptr;
  ListenerSockets* sockets = nullptr;
  std::shared_ptr<MetricSet> conn_metrics;  // listener metrics holding our ActiveConnectionCount
  char client_ip[INET_ADDRSTRLEN] = {};
  uint32_t client_addr = 0;  // host order, for source_ips conditions
  SSL* ssl = nullptr;               // https / tls listeners: the client side goes through it
  std::shared_ptr<TlsContext> tls;  // the contexts the handshake started with (kept across re-applies)
  bool handshake_deferred = false;  // waiting in Worker::deferred_ for handshake budget

  Buf in;   // bytes from the client
  Buf out;  // bytes to the client before upstream body bytes (response heads, error pages)
  Buf req;  // rewritten request head for the upstream (kept for a retry)
  uint32_t req_sent = 0;

  Upstream* up = nullptr;
  TargetGroupRuntime* group = nullptr;
  TargetRuntime* target = nullptr;

  BodyFramer req_body;
  uint64_t req_ready = 0;  // bytes at the front of `in` validated as request body, not yet sent
  uint64_t body_sent = 0;
  BodyFramer resp_body;
  uint64_t resp_ready = 0;  // bytes at the front of up->in validated as response body, not yet sent
  int resp_status = 0;
  bool resp_head_done = false;
  bool resp_keep_alive = false;
  bool upstream_write_failed = false;

  bool c_readable = true, c_writable = true, c_eof = false;
  bool c_hup = false;  // EPOLLRDHUP seen: read until 0, a short read does not mean drained
  bool keep_alive = true, http10 = false, is_head = false, idempotent = false;
  bool upgrade = false;
  bool nothing_sent = false;  // the last attempt's first write on a reused connection failed  // a WebSocket handshake: a 101 turns the connection into a byte stream
  bool close_after = false, set_cookie = false, shut_wr = false, u_shut_wr = false;
  uint8_t attempts = 0, reuse_retries = 0;
  uint32_t requests = 0;

  int64_t deadline_ms = 0;
  int64_t request_start_ms = 0;
  int64_t sent_at_us = 0;

  Session* prev = nullptr;
  Session* next = nullptr;
  bool dead = false;
};

int64_t NowUs();

}  // namespace stratus::lb
