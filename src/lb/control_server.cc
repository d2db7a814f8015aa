#include "lb/control_server.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>

#include "common/log.h"
#include "lb/handover.h"

namespace stratus::lb {
namespace {

constexpr size_t kMaxLine = 64 << 20;

struct ControlConn {
  UniqueFd fd;
  std::string in;
};

// Writes all of `data` to a non-blocking socket, waiting up to 10 s for room. False on error.
bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 10000) <= 0) return false;
  }
  return true;
}

}  // namespace

Status ControlServer::ListenControl(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return InvalidArgument("control socket path is too long: " + path);
  std::strcpy(a.sun_path, path.c_str());
  unlink(path.c_str());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    return Unavailable("control socket " + path + ": " + strerror(errno));
  }
  chmod(path.c_str(), 0600);
  if (listen(fd.get(), 16) != 0) return Unavailable("control socket " + path + ": " + strerror(errno));
  control_fd_ = std::move(fd);
  control_path_ = path;
  return Status::Ok();
}

Status ControlServer::ListenMetrics(const std::string& bind) {
  std::string ip;
  int port = 0;
  STRATUS_RETURN_IF_ERROR(ParseHostPort(bind, &ip, &port));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd.get(), 16) != 0) {
    return Unavailable("metrics listener " + bind + ": " + strerror(errno));
  }
  metrics_fd_ = std::move(fd);
  return Status::Ok();
}

nlohmann::json ControlServer::Handle(const nlohmann::json& req) {
  std::string op = req.is_object() && req.contains("op") && req["op"].is_string() ? req["op"].get<std::string>() : "";
  if (op == "apply") {
    if (handover_fd_ >= 0 || handed_over_) {
      // ControlClient reads "retry" as Unavailable: the caller reconnects, to the new process.
      return {{"ok", false}, {"op", op}, {"retry", true}, {"error", "handing over to a new stratus-lb; reconnect"}};
    }
    if (!req.contains("config")) return {{"ok", false}, {"op", op}, {"error", "apply: missing config"}};
    Result<LbConfig> cfg = ParseConfig(req["config"]);
    Status st = cfg.ok() ? lb_->Apply(*cfg) : cfg.status();
    if (!st.ok()) return {{"ok", false}, {"op", op}, {"error", st.message()}};
    return {{"ok", true}, {"op", op}, {"version", cfg->version}};
  }
  if (op == "status") {
    nlohmann::json j = lb_->StatusJson();
    j["ok"] = true;
    j["op"] = op;
    return j;
  }
  if (op == "prometheus") return {{"ok", true}, {"op", op}, {"text", lb_->PrometheusText()}};
  return {{"ok", false}, {"op", op}, {"error", "unknown op \"" + op + "\" (apply, status, prometheus)"}};
}

nlohmann::json ControlServer::HandleHandover(const std::string& op, int fd) {
  if (op == "handover") {
    if (handover_fd_ >= 0 || handed_over_) return {{"ok", false}, {"op", op}, {"error", "a hand-over is already under way"}};
    Status st = handover::SendListeners(fd, lb_->config(), lb_->StatusJson()["targets"], lb_->ListeningFds());
    if (!st.ok()) return {{"ok", false}, {"op", op}, {"error", st.message()}};
    handover_fd_ = fd;
    LogInfo("handing the listeners over to a new stratus-lb");
    return nullptr;
  }
  if (fd != handover_fd_) return {{"ok", false}, {"op", op}, {"error", "release without a hand-over"}};
  Status st = lb_->StopAccepting();
  if (!st.ok()) return {{"ok", false}, {"op", op}, {"error", st.message()}};
  handed_over_ = true;
  control_fd_.reset();  // the control path is the new process's now
  Settings s = lb_->config().settings;
  drain_deadline_ms_ = NowMs() + s.idle_timeout_ms + s.request_timeout_ms;
  LogInfo("listeners handed over; draining", {{"connections", std::to_string(lb_->OpenConnections())}});
  return {{"ok", true}, {"op", op}};
}

void ControlServer::ServeMetrics(int fd) {
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string req;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
    if (poll(&p, 1, 2000) <= 0) return;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    req.append(buf, static_cast<size_t>(n));
  }
  std::string body = lb_->PrometheusText();
  std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  WriteAll(fd, resp);
}

void ControlServer::Run(const std::atomic<bool>& stop) {
  std::list<ControlConn> conns;
  int64_t next_tick = 0;
  while (!stop.load()) {
    if (handed_over_ && (lb_->OpenConnections() == 0 || NowMs() > drain_deadline_ms_)) {
      LogInfo("drained after the hand-over; exiting", {{"connections", std::to_string(lb_->OpenConnections())}});
      break;
    }
    std::vector<pollfd> fds;
    if (control_fd_.valid()) fds.push_back({control_fd_.get(), POLLIN, 0});
    if (metrics_fd_.valid()) fds.push_back({metrics_fd_.get(), POLLIN, 0});
    for (auto& c : conns) fds.push_back({c.fd.get(), POLLIN, 0});
    poll(fds.data(), fds.size(), 100);
    if (NowMs() >= next_tick) {
      lb_->Tick();
      next_tick = NowMs() + 100;
    }
    size_t i = 0;
    if (control_fd_.valid() && (fds[i++].revents & POLLIN)) {
      int fd = accept4(control_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        conns.push_back({UniqueFd(fd), ""});
        nlohmann::json hello = {{"op", "hello"}, {"version", lb_->version()}, {"pid", getpid()}};
        WriteAll(fd, hello.dump() + "\n");
        LogInfo("controller connected");
      }
    }
    if (metrics_fd_.valid() && (fds[i++].revents & POLLIN)) {
      UniqueFd fd(accept4(metrics_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (fd.valid()) ServeMetrics(fd.get());
    }
    size_t first_conn = i;
    size_t k = 0;
    for (auto it = conns.begin(); it != conns.end(); ++k) {
      bool close_it = false;
      if (first_conn + k < fds.size() && fds[first_conn + k].revents) {
        char buf[65536];
        ssize_t n = recv(it->fd.get(), buf, sizeof buf, 0);
        if (n > 0) {
          it->in.append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          close_it = true;
        }
        size_t nl;
        while (!close_it && (nl = it->in.find('\n')) != std::string::npos) {
          std::string line = it->in.substr(0, nl);
          it->in.erase(0, nl + 1);
          if (line.empty()) continue;
          nlohmann::json req = nlohmann::json::parse(line, nullptr, false);
          std::string op = req.is_object() ? req.value("op", std::string()) : "";
          nlohmann::json resp = req.is_discarded()
                                    ? nlohmann::json{{"ok", false}, {"error", "request is not valid JSON"}}
                                : (op == "handover" || op == "release") ? HandleHandover(op, it->fd.get())
                                                                        : Handle(req);
          if (resp.is_null()) continue;
          if (!WriteAll(it->fd.get(), resp.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n")) close_it = true;
        }
        if (it->in.size() > kMaxLine) close_it = true;
      }
      // Once released, no controller stays with this process: stratusd reconnects to the new one.
      if (handed_over_ && it->fd.get() != handover_fd_) close_it = true;
      if (close_it) {
        if (it->fd.get() == handover_fd_ && !handed_over_) {
          // The new process went away before "release": keep serving, and own the control path again.
          LogWarn("the hand-over was abandoned; serving on");
          handover_fd_ = -1;
          if (!control_path_.empty()) {
            Status st = ListenControl(control_path_);
            if (!st.ok()) LogError("cannot listen on the control socket again", {{"error", st.message()}});
          }
        } else if (!handed_over_) {
          LogInfo("controller disconnected; keeping the last configuration", {{"version", std::to_string(lb_->version())}});
        }
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (!control_path_.empty() && !handed_over_) unlink(control_path_.c_str());
}

}  // namespace stratus::lb
