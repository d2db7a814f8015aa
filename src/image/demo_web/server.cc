#include "image/demo_web/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <queue>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace stratus::demo_web {
namespace {

constexpr size_t kMaxHeader = 16384;
constexpr size_t kMaxBody = 1 << 20;
constexpr int kMaxBurnThreads = 64;

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void BurnCpu(int64_t ms) {
  timespec start, now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
  volatile uint64_t x = 0;
  for (;;) {
    for (int i = 0; i < 10000; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    int64_t used = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (used >= ms) return;
  }
}

bool IEquals(const char* a, size_t n, const char* b) {
  return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

struct Conn {
  int fd = -1;
  uint64_t gen = 0;
  std::string in;
  std::string out;
  bool busy = false;        // a /burn or /sleep is pending; later requests wait
  bool pending_head = false;  // the pending request was a HEAD
  bool close_after = false;
  uint32_t events = EPOLLIN;  // what epoll watches for now
};

struct Request {
  std::string_view method, path, query;  // point into the connection's input buffer
  bool keep_alive = true;
  size_t length = 0;  // header + body bytes consumed
};

enum class Parse { kIncomplete, kOk, kBad, kTooLarge };

// Parses one request at the front of `in`.
Parse ParseRequest(const std::string& in, Request* req) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return in.size() > kMaxHeader ? Parse::kTooLarge : Parse::kIncomplete;
  size_t line_end = in.find("\r\n");
  size_t sp1 = in.find(' ');
  size_t sp2 = sp1 == std::string::npos ? sp1 : in.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos || sp2 > line_end) return Parse::kBad;
  std::string_view all(in);
  req->method = all.substr(0, sp1);
  std::string_view target = all.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = all.substr(sp2 + 1, line_end - sp2 - 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return Parse::kBad;
  size_t q = target.find('?');
  req->path = target.substr(0, q);
  req->query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  req->keep_alive = version == "HTTP/1.1";
  size_t body = 0;
  for (size_t pos = line_end + 2; pos < end;) {
    size_t eol = in.find("\r\n", pos);
    size_t colon = in.find(':', pos);
    if (colon != std::string::npos && colon < eol) {
      size_t vstart = colon + 1;
      while (vstart < eol && (in[vstart] == ' ' || in[vstart] == '\t')) vstart++;
      const char* v = in.data() + vstart;
      size_t vlen = eol - vstart;
      if (IEquals(in.data() + pos, colon - pos, "connection")) {
        if (IEquals(v, vlen, "close")) req->keep_alive = false;
        if (IEquals(v, vlen, "keep-alive")) req->keep_alive = true;
      } else if (IEquals(in.data() + pos, colon - pos, "content-length")) {
        body = std::strtoull(std::string(v, vlen).c_str(), nullptr, 10);
        if (body > kMaxBody) return Parse::kTooLarge;
      } else if (IEquals(in.data() + pos, colon - pos, "transfer-encoding")) {
        return Parse::kBad;  // no chunked request bodies here
      }
    }
    pos = eol + 2;
  }
  if (in.size() < end + 4 + body) return Parse::kIncomplete;
  req->length = end + 4 + body;
  return Parse::kOk;
}

void AppendResponse(Conn& c, int code, const char* reason, const std::string& body, bool head) {
  char hdr[256];
  int n = std::snprintf(hdr, sizeof hdr,
                        "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n", code, reason,
                        body.size(), c.close_after ? "Connection: close\r\n" : "");
  c.out.append(hdr, static_cast<size_t>(n));
  if (!head) c.out += body;
}

class Loop {
 public:
  Loop(const ServerOptions& o, int listen_fd)
      : opts_(o), listen_fd_(listen_fd), hello_("hello from " + o.instance_id + "\n") {}

  int Init() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ep_ < 0 || wake_fd_ < 0) return -1;
    Add(listen_fd_, EPOLLIN);
    Add(wake_fd_, EPOLLIN);
    return 0;
  }

  void Run() {
    epoll_event events[256];
    for (;;) {
      int n = epoll_wait(ep_, events, 256, TimeoutMs());
      for (int i = 0; i < n; i++) {
        int fd = events[i].data.fd;
        if (fd == listen_fd_) {
          Accept();
        } else if (fd == wake_fd_) {
          DrainCompletions();
        } else {
          OnEvent(fd, events[i].events);
        }
      }
      FireTimers();
    }
  }

 private:
  struct Timer {
    int64_t at;
    int fd;
    uint64_t gen;
    bool operator>(const Timer& o) const { return at > o.at; }
  };

  void Add(int fd, uint32_t ev) {
    epoll_event e{};
    e.events = ev;
    e.data.fd = fd;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &e);
  }

  // Watches for input unless a request is pending, and for output while some is queued.
  void UpdateEvents(Conn& c) {
    uint32_t want = (c.busy ? 0u : static_cast<uint32_t>(EPOLLIN)) | (c.out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT));
    if (want == c.events) return;
    c.events = want;
    epoll_event e{};
    e.events = want;
    e.data.fd = c.fd;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &e);
  }

  int TimeoutMs() {
    if (timers_.empty()) return -1;
    int64_t d = timers_.top().at - NowMs();
    return d < 0 ? 0 : static_cast<int>(d);
  }

  void Accept() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->gen = ++next_gen_;
      Add(fd, EPOLLIN);
      conns_[fd] = std::move(c);
    }
  }

  void Close(Conn& c) {
    int fd = c.fd;
    close(fd);
    conns_.erase(fd);  // destroys c
  }

  void OnEvent(int fd, uint32_t ev) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    Conn& c = *it->second;
    if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      char buf[16384];
      for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) {
          c.in.append(buf, static_cast<size_t>(r));
          if (static_cast<size_t>(r) < sizeof buf) break;
          continue;
        }
        if (r < 0 && errno == EAGAIN) break;
        return Close(c);  // peer closed or reset; a pending /sleep or /burn finds it gone
      }
    }
    Process(c);
  }

  // Handles as many complete requests as are buffered, then flushes.
  void Process(Conn& c) {
    while (!c.busy && !c.close_after) {
      Request req;
      Parse p = ParseRequest(c.in, &req);
      if (p == Parse::kIncomplete) break;
      if (p != Parse::kOk) {
        c.close_after = true;
        c.in.clear();
        AppendResponse(c, p == Parse::kBad ? 400 : 431, p == Parse::kBad ? "Bad Request" : "Too Large", "bad request\n", false);
        break;
      }
      c.close_after = !req.keep_alive;
      Handle(c, req);
      c.in.erase(0, req.length);  // after Handle: req points into c.in
    }
    Flush(c);
  }

  void Handle(Conn& c, const Request& req) {
    bool head = req.method == "HEAD";
    if (req.method != "GET" && !head) return AppendResponse(c, 405, "Method Not Allowed", "method not allowed\n", false);
    if (req.path == "/") return AppendResponse(c, 200, "OK", hello_, head);
    if (req.path == "/healthz") return AppendResponse(c, 200, "OK", "ok\n", head);
    if (req.path == "/sleep") {
      int64_t ms = QueryMs(req.query);
      c.busy = true;
      c.pending_head = head;
      timers_.push(Timer{NowMs() + ms, c.fd, c.gen});
      return;
    }
    if (req.path == "/burn") return StartBurn(c, QueryMs(req.query), head);
    AppendResponse(c, 404, "Not Found", "not found\n", head);
  }

  void StartBurn(Conn& c, int64_t ms, bool head) {
    if (burners_.load() >= kMaxBurnThreads) {  // saturated: burn on the loop itself
      BurnCpu(ms);
      return AppendResponse(c, 200, "OK", "burned " + std::to_string(ms) + " ms\n", head);
    }
    c.busy = true;
    c.pending_head = head;
    burners_++;
    int fd = c.fd;
    uint64_t gen = c.gen;
    std::thread([this, fd, gen, ms] {
      BurnCpu(ms);
      {
        std::lock_guard<std::mutex> lock(mu_);
        done_.push_back(Timer{ms, fd, gen});
      }
      burners_--;
      uint64_t one = 1;
      ssize_t ignored = write(wake_fd_, &one, sizeof one);
      (void)ignored;
    }).detach();
  }

  // Finishes a pending /sleep or /burn on connection (fd, gen) if it still exists.
  void Complete(int fd, uint64_t gen, const std::string& body) {
    auto it = conns_.find(fd);
    if (it == conns_.end() || it->second->gen != gen) return;
    Conn& c = *it->second;
    c.busy = false;
    AppendResponse(c, 200, "OK", body, c.pending_head);
    Process(c);
  }

  void DrainCompletions() {
    uint64_t v;
    ssize_t ignored = read(wake_fd_, &v, sizeof v);
    (void)ignored;
    std::vector<Timer> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done.swap(done_);
    }
    for (const auto& d : done) Complete(d.fd, d.gen, "burned " + std::to_string(d.at) + " ms\n");
  }

  void FireTimers() {
    int64_t now = NowMs();
    while (!timers_.empty() && timers_.top().at <= now) {
      Timer t = timers_.top();
      timers_.pop();
      Complete(t.fd, t.gen, "slept\n");
    }
  }

  void Flush(Conn& c) {
    while (!c.out.empty()) {
      ssize_t w = write(c.fd, c.out.data(), c.out.size());
      if (w > 0) {
        c.out.erase(0, static_cast<size_t>(w));
        continue;
      }
      if (w < 0 && errno == EAGAIN) break;
      return Close(c);
    }
    if (c.out.empty() && c.close_after) return Close(c);
    UpdateEvents(c);
  }

  const ServerOptions& opts_;
  int listen_fd_;
  const std::string hello_;
  int ep_ = -1;
  int wake_fd_ = -1;
  uint64_t next_gen_ = 0;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::mutex mu_;
  std::vector<Timer> done_;  // GUARDED_BY(mu_): finished burns
  std::atomic<int> burners_{0};
};

int Listen(const ServerOptions& o) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(o.port);
  if (inet_pton(AF_INET, o.address.c_str(), &addr.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int64_t QueryMs(std::string_view query) {
  for (size_t pos = 0; pos < query.size();) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    if (query.compare(pos, 3, "ms=") == 0) {
      int64_t v = 0;
      for (size_t i = pos + 3; i < amp && query[i] >= '0' && query[i] <= '9' && v <= 600000; i++) v = v * 10 + (query[i] - '0');
      return v > 600000 ? 600000 : v;
    }
    pos = amp + 1;
  }
  return 0;
}

std::string DetectInstanceId() {
  if (const char* env = getenv("INSTANCE_ID"); env != nullptr && *env) return env;
  if (FILE* f = fopen("/run/stratus/init.json", "re")) {
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    std::string text(buf, n);
    size_t key = text.find("\"instance_id\"");
    size_t q1 = key == std::string::npos ? key : text.find('"', text.find(':', key) + 1);
    size_t q2 = q1 == std::string::npos ? q1 : text.find('"', q1 + 1);
    if (q2 != std::string::npos && q2 > q1 + 1) return text.substr(q1 + 1, q2 - q1 - 1);
  }
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

int Serve(const ServerOptions& options) {
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  std::vector<std::unique_ptr<Loop>> loops;
  for (int i = 0; i < threads; i++) {
    int fd = Listen(options);
    if (fd < 0) {
      std::fprintf(stderr, "stratus-demo-web: cannot listen on %s:%u: %s\n", options.address.c_str(), options.port,
                   strerror(errno));
      return 1;
    }
    loops.push_back(std::make_unique<Loop>(options, fd));
    if (loops.back()->Init() != 0) return 1;
  }
  std::fprintf(stderr, "stratus-demo-web: instance %s listening on %s:%u (%d threads)\n", options.instance_id.c_str(),
               options.address.c_str(), options.port, threads);
  std::vector<std::thread> workers;
  for (size_t i = 1; i < loops.size(); i++) workers.emplace_back([&loops, i] { loops[i]->Run(); });
  loops[0]->Run();
  return 0;
}

}  // namespace stratus::demo_web
