// Test helpers for stratus-lb end-to-end tests: in-process HTTP/echo backends on loopback, a raw socket client,
// and a stratus-lb child process driven through the control client.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/files.h"
#include "lb/config.h"
#include "lb/control_client.h"

namespace stratus::lb::testing {

// A free loopback TCP port (bound once with port 0, then released).
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// A listening socket on 127.0.0.1:`port` (0: any free port); the bound port goes to *bound.
inline int ListenLoopback(int port, int* bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  listen(fd, 512);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *bound = ntohs(a.sin_port);
  return fd;
}

inline int ConnectTo(int port, int timeout_ms = 2000) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

inline bool SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the peer closes or the socket's receive timeout expires.
inline std::string ReadToClose(int fd) {
  std::string out;
  char buf[16384];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool ok = false;
};

// Reads one HTTP response (Content-Length, chunked or until close) from a blocking socket.
inline HttpResponse ReadResponse(int fd, std::string* carry) {
  HttpResponse r;
  std::string& buf = *carry;
  char tmp[16384];
  auto fill = [&]() {
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  };
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return r;
  }
  std::string head = buf.substr(0, end);
  buf.erase(0, end + 4);
  if (head.size() < 12) return r;
  r.status = std::atoi(head.substr(9, 3).c_str());
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(c));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value[0] == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    pos = next;
  }
  if (r.headers.count("transfer-encoding")) {
    while (true) {
      size_t nl;
      while ((nl = buf.find("\r\n")) == std::string::npos) {
        if (!fill()) return r;
      }
      size_t len = std::strtoul(buf.substr(0, nl).c_str(), nullptr, 16);
      while (buf.size() < nl + 2 + len + 2) {
        if (!fill()) return r;
      }
      r.body += buf.substr(nl + 2, len);
      buf.erase(0, nl + 2 + len + 2);
      if (len == 0) break;
    }
  } else if (r.headers.count("content-length")) {
    size_t len = std::strtoul(r.headers["content-length"].c_str(), nullptr, 10);
    while (buf.size() < len) {
      if (!fill()) return r;
    }
    r.body = buf.substr(0, len);
    buf.erase(0, len);
  } else {
    while (fill()) {
    }
    r.body = buf;
    buf.clear();
  }
  r.ok = true;
  return r;
}

// A keep-alive HTTP client over one connection (reconnects when the server closed it).
class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port) {}
  ~HttpClient() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    carry_.clear();
  }
  int connections() const { return connections_; }

  HttpResponse Request(const std::string& method, const std::string& path, const std::string& body = "",
                       const std::string& extra_headers = "") {
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = fd_ >= 0;
      if (fd_ < 0) {
        fd_ = ConnectTo(port_, 10000);
        if (fd_ < 0) return {};
        connections_++;
      }
      bool has_host = extra_headers.rfind("Host:", 0) == 0 || extra_headers.find("\r\nHost:") != std::string::npos;
      std::string req = method + " " + path + " HTTP/1.1\r\n" + (has_host ? "" : "Host: test.local\r\n") +
                        extra_headers;
      if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
      req += "\r\n" + body;
      if (!SendAll(fd_, req)) {
        Close();
        continue;
      }
      HttpResponse r = ReadResponse(fd_, &carry_);
      if (!r.ok) {
        Close();
        if (reused && attempt == 0 && r.status == 0) continue;  // the server closed an idle connection
        return r;
      }
      auto it = r.headers.find("connection");
      if (it != r.headers.end() && it->second == "close") Close();
      return r;
    }
    return {};
  }

 private:
  int port_;
  int fd_ = -1;
  int connections_ = 0;
  std::string carry_;
};

// An HTTP/1.1 keep-alive backend on a loopback port, one thread per connection.
//   GET /sleep?ms=N      answers after N ms
//   GET /status/NNN      answers with that status
//   GET /chunked?n=N     a chunked response of N chunks
//   GET /big?bytes=N     a body of N bytes
//   POST ...             answers with the request body's length (Content-Length or chunked)
// Every response carries "X-Backend: <name>" and echoes X-Forwarded-For in "X-Seen-XFF" and X-Forwarded-Proto in
// "X-Seen-Proto".
class Backend {
 public:
  explicit Backend(std::string name, int port = 0) : name_(std::move(name)) {
    listen_fd_ = ListenLoopback(port, &port_);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~Backend() { Stop(); }

  int port() const { return port_; }
  int requests() const { return requests_.load(); }
  // Requests other than health checks.
  int user_requests() const { return user_requests_.load(); }
  int connections() const { return connections_.load(); }
  std::string last_xff() {
    std::lock_guard<std::mutex> l(mu_);
    return last_xff_;
  }

  // Simulates a crash: closes the listening socket and every connection.
  void Stop() {
    if (stopped_.exchange(true)) return;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    if (accept_thread_.joinable()) accept_thread_.join();
    {
      std::lock_guard<std::mutex> l(mu_);
      for (int fd : conns_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void AcceptLoop() {
    while (!stopped_.load()) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      connections_++;
      std::lock_guard<std::mutex> l(mu_);
      conns_.insert(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  static std::string Param(const std::string& path, const std::string& key) {
    size_t p = path.find(key + "=");
    if (p == std::string::npos) return "";
    return path.substr(p + key.size() + 1, path.find('&', p) - p - key.size() - 1);
  }

  void Serve(int fd) {
    std::string buf;
    char tmp[65536];
    auto fill = [&]() {
      ssize_t n = recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
      return true;
    };
    while (!stopped_.load()) {
      size_t end;
      bool ok = true;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos && (ok = fill())) {
      }
      if (!ok) break;
      std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      std::string lower = head;
      for (auto& c : lower) c = static_cast<char>(std::tolower(c));
      size_t body_len = 0;
      if (lower.find("transfer-encoding: chunked") != std::string::npos) {
        while (true) {
          size_t nl;
          while ((nl = buf.find("\r\n")) == std::string::npos && (ok = fill())) {
          }
          if (!ok) break;
          size_t len = std::strtoul(buf.substr(0, nl).c_str(), nullptr, 16);
          while (buf.size() < nl + 2 + len + 2 && (ok = fill())) {
          }
          if (!ok) break;
          body_len += len;
          buf.erase(0, nl + 2 + len + 2);
          if (len == 0) break;
        }
      } else if (size_t p = lower.find("content-length: "); p != std::string::npos) {
        size_t len = std::strtoul(lower.c_str() + p + 16, nullptr, 10);
        while (buf.size() < len && (ok = fill())) {
        }
        if (!ok) break;
        body_len = len;
        buf.erase(0, len);
      }
      if (!ok) break;
      requests_++;
      if (lower.find("stratus-lb-health-check") == std::string::npos) user_requests_++;
      std::string path = head.substr(head.find(' ') + 1);
      path = path.substr(0, path.find(' '));
      std::string method = head.substr(0, head.find(' '));
      {
        std::lock_guard<std::mutex> l(mu_);
        size_t x = lower.find("x-forwarded-for: ");
        last_xff_ = x == std::string::npos ? "" : head.substr(x + 17, head.find("\r\n", x) - x - 17);
        size_t p = lower.find("x-forwarded-proto: ");
        last_proto_ = p == std::string::npos ? "" : head.substr(p + 19, head.find("\r\n", p) - p - 19);
        last_version_ = head.substr(head.rfind(' ', head.find("\r\n")) + 1, 8);
      }
      if (!Respond(fd, method, path, body_len)) break;
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      conns_.erase(fd);
    }
    close(fd);
  }

  bool Respond(int fd, const std::string& method, const std::string& path, size_t body_len) {
    int status = 200;
    std::string body = "hello from " + name_ + "\n";
    std::string common = "X-Backend: " + name_ + "\r\nX-Seen-XFF: " + last_xff() + "\r\n";
    {
      std::lock_guard<std::mutex> l(mu_);
      common += "X-Seen-Proto: " + last_proto_ + "\r\nX-Seen-Version: " + last_version_ + "\r\n";
    }
    if (path.rfind("/sleep", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(Param(path, "ms").c_str())));
    } else if (path.rfind("/status/", 0) == 0) {
      status = std::atoi(path.c_str() + 8);
    } else if (path.rfind("/big", 0) == 0) {
      body.assign(std::strtoul(Param(path, "bytes").c_str(), nullptr, 10), 'x');
    } else if (path.rfind("/chunked", 0) == 0) {
      int n = std::atoi(Param(path, "n").c_str());
      std::string out = "HTTP/1.1 200 OK\r\n" + common + "Transfer-Encoding: chunked\r\n\r\n";
      for (int i = 0; i < n; ++i) out += "6\r\nchunk" + std::to_string(i % 10) + "\r\n";
      out += "0\r\n\r\n";
      return SendAll(fd, out);
    }
    if (method == "POST") body = "received " + std::to_string(body_len) + "\n";
    std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\n" + common +
                      "Content-Length: " + std::to_string(method == "HEAD" ? 0 : body.size()) + "\r\n\r\n";
    if (method != "HEAD") out += body;
    return SendAll(fd, out);
  }

  std::string name_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::set<int> conns_;
  std::string last_xff_;
  std::string last_proto_;
  std::string last_version_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> user_requests_{0};
  std::atomic<int> connections_{0};
};

// A stratus-lb child process in controlled mode, in its own temporary directory.
class LbProcess {
 public:
  explicit LbProcess(const std::vector<std::string>& extra_args = {}) {
    char tmpl[] = "/tmp/stlb-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    socket_ = dir_ + "/ctl.sock";
    std::vector<std::string> args = {STRATUS_LB_BINARY, "--control", socket_};
    for (const auto& a : extra_args) args.push_back(a);
    pid_ = Spawn(args, dir_ + "/lb.log");
    for (int i = 0; i < 200 && !PathExists(socket_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~LbProcess() {
    Kill();
    std::string cmd = "rm -rf " + dir_;
    int r = std::system(cmd.c_str());
    (void)r;
  }

  static pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }

  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  // Retries for up to 5 s: the socket file appears at bind(), a moment before listen().
  std::unique_ptr<ControlClient> Connect() {
    for (int i = 0; i < 250; ++i) {
      auto c = ControlClient::Connect(socket_);
      if (c.ok()) return std::move(c).value();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return nullptr;
  }
  const std::string& dir() const { return dir_; }
  std::string log() {
    auto r = ReadFile(dir_ + "/lb.log");
    return r.ok() ? *r : "";
  }

 private:
  std::string dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

// A one-listener, one-target-group configuration.
inline LbConfig SimpleConfig(int listen_port, const std::vector<int>& backend_ports, uint64_t version = 1) {
  LbConfig c;
  c.version = version;
  c.settings.header_timeout_ms = 1000;
  TargetGroupConfig tg;
  tg.name = "tg1";
  tg.port = backend_ports.empty() ? 80 : backend_ports[0];
  tg.health_check.interval_ms = 200;
  tg.health_check.timeout_ms = 500;
  tg.health_check.healthy_threshold = 2;
  tg.health_check.unhealthy_threshold = 2;
  tg.deregistration_delay_ms = 10000;
  for (size_t i = 0; i < backend_ports.size(); ++i) {
    TargetConfig t;
    t.id = "t" + std::to_string(i);
    t.ip = "127.0.0.1";
    t.port = backend_ports[i];
    tg.targets.push_back(t);
  }
  c.target_groups.push_back(tg);
  ListenerConfig l;
  l.name = "web";
  l.bind = "127.0.0.1:" + std::to_string(listen_port);
  l.default_target_group = "tg1";
  c.listeners.push_back(l);
  return c;
}

// Polls `cond` every 20 ms for up to `ms`.
template <typename F>
bool WaitFor(F cond, int ms = 5000) {
  for (int i = 0; i < ms / 20; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

// The state of target `id` in stratus-lb's status, or "".
inline std::string TargetStateOf(ControlClient* c, const std::string& id) {
  auto st = c->GetStatus();
  if (!st.ok()) return "";
  for (const auto& t : st->targets) {
    if (t.id == id) return t.state;
  }
  return "absent";
}

}  // namespace stratus::lb::testing
