// A load balancer worker: one thread, one epoll loop, its own SO_REUSEPORT listening sockets, and every connection
// accepted by it (client side and upstream side) bound to it for life. Nothing on the request path takes a lock,
// throws, or allocates once the pools are warm.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "lb/http_parser.h"
#include "lb/state.h"

namespace stratus::lb {

class AccessLog;

// The current snapshot, published by the control thread and picked up by the workers between events.
class SnapshotSource {
 public:
  SnapshotPtr Get() const {
    std::lock_guard<std::mutex> l(mu_);
    return snap_;
  }
  uint64_t generation() const { return gen_.load(std::memory_order_acquire); }
  void Publish(SnapshotPtr s) {
    std::lock_guard<std::mutex> l(mu_);
    uint64_t g = s->generation;
    snap_ = std::move(s);
    gen_.store(g, std::memory_order_release);
  }

 private:
  mutable std::mutex mu_;
  SnapshotPtr snap_;
  std::atomic<uint64_t> gen_{0};
};

struct Session;
struct ListenerReg;

constexpr size_t kBufSize = 16384;
// TLS handshake steps (SSL_do_handshake calls: a full handshake costs one signature) per loop iteration; the
// rest wait for the next iteration, so a handshake flood cannot starve established connections.
constexpr int kHandshakesPerIteration = 32;

// A fixed-size byte buffer whose storage comes from (and returns to) a worker's pool.
struct Buf {
  char* data = nullptr;
  uint32_t start = 0;
  uint32_t end = 0;
  size_t size() const { return end - start; }
  bool empty() const { return end == start; }
  char* rptr() const { return data + start; }
  char* wptr() const { return data + end; }
  size_t space() const { return data ? kBufSize - end : 0; }
  void consume(size_t n) {
    start += static_cast<uint32_t>(n);
    if (start == end) start = end = 0;
  }
  void clear() { start = end = 0; }
};

enum class HandleKind : uint8_t { kWake, kListener, kClient, kUpstream };

struct Handle {
  HandleKind kind;
  void* owner;
};

// One connection to a target, busy with a session or idle in the pool.
struct Upstream {
  Handle handle{HandleKind::kUpstream, this};
  int fd = -1;
  TargetPtr target;
  Session* session = nullptr;
  Buf in;
  bool readable = false, writable = false, connecting = false, eof = false, error = false;
  bool hup = false;  // EPOLLRDHUP seen: read until 0
  bool reused = false, dead = false;
  int64_t connect_deadline_ms = 0;
  int64_t idle_since_ms = 0;
  Upstream* tprev = nullptr;  // the target's idle list (this worker)
  Upstream* tnext = nullptr;
  Upstream* iprev = nullptr;  // the worker's idle list
  Upstream* inext = nullptr;
};

class Worker {
 public:
  Worker(int id, SnapshotSource* source, AccessLog* access_log);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread. Returns an error when epoll or eventfd cannot be created.
  Status Start();
  // Asks the loop to stop, joins it and closes every connection.
  void Stop();
  // Wakes the loop so it adopts a newly published snapshot.
  void Wake();
  // The snapshot generation this worker runs with.
  uint64_t adopted_generation() const { return adopted_.load(std::memory_order_acquire); }

 private:
  friend struct SessionOps;
  void Run();
  void Adopt();
  void HandleEvent(Handle* h, uint32_t events);
  void Accept(ListenerReg* reg);
  void Sweep();
  void SweepSession(Session* s);
  void FreeGraveyard();

  // Buffers.
  bool Acquire(Buf* b);
  void Release(Buf* b);
  void ReleaseIfEmpty(Buf* b) {
    if (b->data && b->empty()) Release(b);
  }

  // Sessions and upstreams.
  Session* NewSession();
  void CloseSession(Session* s);
  Upstream* NewUpstream();
  void CloseUpstream(Upstream* u);
  void PoolUpstream(Upstream* u);
  Upstream* TakePooled(TargetRuntime* t);
  void UnlinkIdle(Upstream* u);
  bool ConnectUpstream(Session* s, TargetRuntime* t, TargetPtr owner);

  // The client side's I/O, plain or through TLS (tls_io.cc): read/writev semantics (-1 with errno EAGAIN when
  // the socket would block), and the half-close of our sending direction.
  ssize_t ClientRead(Session* s, char* buf, size_t n);
  ssize_t ClientWritev(Session* s, const iovec* iov, int cnt);
  void ClientShutdownWrite(Session* s);
  bool StepHandshake(Session* s);
  void RunDeferredHandshakes();

  // The HTTP and TCP state machines (http_proxy.cc).
  void Drive(Session* s);
  bool StepReadHead(Session* s);
  bool StartRequest(Session* s, RequestHead& h);
  bool BuildRequestHead(Session* s, const RequestHead& h);
  bool LocalResponse(Session* s, const RequestHead& h, const ActionConfig& a);
  bool StepProxy(Session* s);
  bool CheckConnect(Session* s);
  bool SendRequest(Session* s);
  bool FeedRequestBody(Session* s);
  bool ReadClient(Session* s);
  bool ReadUpstream(Session* s);
  bool ProcessResponse(Session* s);
  bool OnResponseHead(Session* s, const ResponseHead& r);
  bool StartWebSocket(Session* s);
  bool WriteClient(Session* s);
  bool CheckDone(Session* s);
  void FinishRequest(Session* s, bool request_complete);
  enum class Failure { kConnect, kReset, kTimeout, kBadResponse };
  void UpstreamFailed(Session* s, Failure f);
  void SendError(Session* s, int code);
  bool StepClosing(Session* s);
  bool StepTcp(Session* s);
  bool TcpCheckConnect(Session* s);
  bool TcpClientToTarget(Session* s);
  bool TcpTargetToClient(Session* s);
  bool AppendResponseHead(Session* s, const ResponseHead& r, bool client_close);
  void CountResponse(Session* s, int status, int64_t response_time_us);
  bool StartTcp(Session* s);
  TargetPtr OwnerOf(TargetGroupRuntime* g, TargetRuntime* t);
  void CountElbError(Session* s, int code);

  const int id_;
  SnapshotSource* source_;
  AccessLog* access_log_;
  UniqueFd epfd_;
  UniqueFd wakefd_;
  Handle wake_handle_{HandleKind::kWake, nullptr};
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> adopted_{0};

  SnapshotPtr snap_;
  std::vector<std::unique_ptr<ListenerReg>> listeners_;
  Session* sessions_ = nullptr;    // every open session (doubly linked)
  Upstream* idle_ = nullptr;       // every idle pooled upstream (doubly linked)
  std::vector<char*> free_bufs_;
  std::vector<Session*> free_sessions_;
  std::vector<Upstream*> free_upstreams_;
  std::vector<Session*> dead_sessions_;
  std::vector<Upstream*> dead_upstreams_;
  std::vector<Session*> deferred_;  // handshakes over this iteration's budget
  int handshake_budget_ = kHandshakesPerIteration;
  uint64_t rng_ = 0x2545f4914f6cdd1dULL;  // xorshift: weighted forward actions
  char* tls_scratch_ = nullptr;     // coalesces a response head and body into one TLS record
  int64_t now_ms_ = 0;
  int64_t next_sweep_ms_ = 0;
  RequestHead req_head_;
  ResponseHead resp_head_;
};

}  // namespace stratus::lb
