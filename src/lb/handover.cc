#include "lb/handover.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <deque>

namespace stratus::lb::handover {
namespace {

// At most 64 workers, so at most 64 sockets per listener: well under the kernel's 253 per message.
constexpr size_t kMaxFdsPerMessage = 64;

int64_t MonoMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Waits until `fd` is ready for `events` or the deadline passes.
Status WaitFor(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - MonoMs();
    if (left <= 0) return Unavailable("stratus-lb hand-over: the other process did not answer in time");
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r > 0) return Status::Ok();
    if (r < 0 && errno != EINTR) return Unavailable(std::string("stratus-lb hand-over: poll: ") + strerror(errno));
  }
}

Status SendAll(int fd, const std::string& data, int64_t deadline) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return Unavailable(std::string("stratus-lb hand-over: send: ") + strerror(errno));
    }
    STRATUS_RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline));
  }
  return Status::Ok();
}

// One byte with `fds` attached.
Status SendFds(int fd, const std::vector<int>& fds, int64_t deadline) {
  if (fds.empty() || fds.size() > kMaxFdsPerMessage) return Internal("stratus-lb hand-over: bad socket count");
  char byte = 'L';
  iovec iov{&byte, 1};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control.data();
  m.msg_controllen = control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  for (;;) {
    ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == 1) return Status::Ok();
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return Unavailable(std::string("stratus-lb hand-over: sendmsg: ") + strerror(errno));
    }
    STRATUS_RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline));
  }
}

// Reads the control connection keeping the bytes and, in arrival order, the descriptors that came with them.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}

  // The next line (without its newline) as a JSON object.
  Result<nlohmann::json> Line(int64_t deadline) {
    size_t nl;
    while ((nl = buf_.find('\n')) == std::string::npos) STRATUS_RETURN_IF_ERROR(Fill(deadline));
    nlohmann::json j = nlohmann::json::parse(buf_.substr(0, nl), nullptr, false);
    buf_.erase(0, nl + 1);
    if (j.is_discarded() || !j.is_object()) return Internal("stratus-lb hand-over: the old process sent an invalid line");
    return j;
  }

  // Waits for `n` more marker bytes; returns the descriptors received so far.
  Result<std::deque<UniqueFd>> Markers(size_t n, int64_t deadline) {
    while (buf_.size() < n) STRATUS_RETURN_IF_ERROR(Fill(deadline));
    buf_.erase(0, n);
    return std::move(fds_);
  }

 private:
  Status Fill(int64_t deadline) {
    STRATUS_RETURN_IF_ERROR(WaitFor(fd_, POLLIN, deadline));
    char data[65536];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd_, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n == 0) return Unavailable("stratus-lb hand-over: the old process closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return Status::Ok();
      return Unavailable(std::string("stratus-lb hand-over: recvmsg: ") + strerror(errno));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        fds_.emplace_back(fd);
      }
    }
    if (m.msg_flags & MSG_CTRUNC) return Internal("stratus-lb hand-over: sockets were lost in transit (MSG_CTRUNC)");
    buf_.append(data, static_cast<size_t>(n));
    return Status::Ok();
  }

  int fd_;
  std::string buf_;
  std::deque<UniqueFd> fds_;
};

}  // namespace

Status SendListeners(int fd, const LbConfig& config, const nlohmann::json& targets,
                     const std::map<std::string, std::vector<int>>& sockets) {
  int64_t deadline = MonoMs() + 10000;
  nlohmann::json listeners = nlohmann::json::array();
  for (const auto& [bind, fds] : sockets) listeners.push_back({{"bind", bind}, {"fds", fds.size()}});
  nlohmann::json answer = {{"ok", true},         {"op", "handover"},   {"pid", getpid()},
                           {"config", ConfigToJson(config)}, {"targets", targets}, {"listeners", listeners}};
  STRATUS_RETURN_IF_ERROR(
      SendAll(fd, answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", deadline));
  for (const auto& [bind, fds] : sockets) STRATUS_RETURN_IF_ERROR(SendFds(fd, fds, deadline));
  return Status::Ok();
}

Result<std::optional<Inherited>> TakeOver(const std::string& control_path, int timeout_ms) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (control_path.size() >= sizeof a.sun_path) return InvalidArgument("control socket path is too long: " + control_path);
  std::strcpy(a.sun_path, control_path.c_str());
  Inherited in;
  in.conn.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!in.conn.valid()) return Internal(std::string("socket: ") + strerror(errno));
  if (connect(in.conn.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    // No socket file, or a stale one nobody listens on: there is no process to replace.
    if (errno == ENOENT || errno == ECONNREFUSED) return std::optional<Inherited>();
    return Unavailable("control socket " + control_path + ": " + strerror(errno));
  }
  int64_t deadline = MonoMs() + timeout_ms;
  Reader r(in.conn.get());
  STRATUS_ASSIGN_OR_RETURN(nlohmann::json hello, r.Line(deadline));
  if (hello.value("op", "") != "hello") return Internal("stratus-lb hand-over: the old process did not say hello");
  STRATUS_RETURN_IF_ERROR(SendAll(in.conn.get(), "{\"op\":\"handover\"}\n", deadline));
  STRATUS_ASSIGN_OR_RETURN(nlohmann::json answer, r.Line(deadline));
  if (!answer.value("ok", false)) {
    return Unavailable("stratus-lb hand-over refused by the running process: " + answer.value("error", std::string("?")));
  }
  const nlohmann::json& listeners = answer["listeners"];
  if (!listeners.is_array() || !answer.contains("config")) return Internal("stratus-lb hand-over: malformed answer");
  STRATUS_ASSIGN_OR_RETURN(in.config, ParseConfig(answer["config"]));
  if (answer.contains("targets") && answer["targets"].is_array()) in.targets = answer["targets"];
  in.old_pid = answer.value("pid", 0);
  STRATUS_ASSIGN_OR_RETURN(std::deque<UniqueFd> fds, r.Markers(listeners.size(), deadline));
  for (const auto& l : listeners) {
    size_t n = l.value("fds", size_t{0});
    if (n == 0 || n > fds.size()) return Internal("stratus-lb hand-over: fewer sockets than announced");
    auto& out = in.sockets[l.value("bind", std::string())];
    for (size_t i = 0; i < n; ++i) {
      out.push_back(std::move(fds.front()));
      fds.pop_front();
    }
  }
  if (!fds.empty()) return Internal("stratus-lb hand-over: more sockets than announced");
  return std::optional<Inherited>(std::move(in));
}

Status Release(Inherited& inherited, int timeout_ms) {
  int64_t deadline = MonoMs() + timeout_ms;
  STRATUS_RETURN_IF_ERROR(SendAll(inherited.conn.get(), "{\"op\":\"release\"}\n", deadline));
  Reader r(inherited.conn.get());
  STRATUS_ASSIGN_OR_RETURN(nlohmann::json answer, r.Line(deadline));
  if (!answer.value("ok", false)) return Unavailable("stratus-lb hand-over: release refused: " + answer.value("error", std::string("?")));
  return Status::Ok();
}

}  // namespace stratus::lb::handover
