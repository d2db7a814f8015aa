#include "lb/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include <ctime>

namespace stratus::lb {
namespace {

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

Result<std::unique_ptr<ControlClient>> ControlClient::Connect(const std::string& path, int timeout_ms) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return InvalidArgument("control socket path is too long: " + path);
  std::strcpy(a.sun_path, path.c_str());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Internal(std::string("socket: ") + strerror(errno));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    return Unavailable("stratus-lb control socket " + path + ": " + strerror(errno));
  }
  std::unique_ptr<ControlClient> c(new ControlClient(std::move(fd), timeout_ms));
  STRATUS_ASSIGN_OR_RETURN(nlohmann::json hello, c->ReadLine());
  if (!hello.contains("op") || hello["op"] != "hello") return Internal("stratus-lb did not say hello");
  c->hello_version_ = hello.value("version", uint64_t{0});
  c->hello_pid_ = hello.value("pid", 0);
  return c;
}

Result<nlohmann::json> ControlClient::ReadLine() {
  int64_t deadline = NowMs() + timeout_ms_;
  while (true) {
    size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      nlohmann::json j = nlohmann::json::parse(buf_.substr(0, nl), nullptr, false);
      buf_.erase(0, nl + 1);
      if (j.is_discarded() || !j.is_object()) return Internal("stratus-lb sent an invalid response");
      return j;
    }
    int64_t left = deadline - NowMs();
    if (left <= 0) return Unavailable("stratus-lb did not answer in time");
    pollfd p{fd_.get(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char tmp[65536];
    ssize_t n = recv(fd_.get(), tmp, sizeof tmp, 0);
    if (n == 0) return Unavailable("stratus-lb closed the control connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Unavailable(std::string("stratus-lb control connection: ") + strerror(errno));
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

Result<nlohmann::json> ControlClient::Call(const nlohmann::json& request) {
  std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = send(fd_.get(), line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("stratus-lb control connection: ") + strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  STRATUS_ASSIGN_OR_RETURN(nlohmann::json resp, ReadLine());
  if (!resp.value("ok", false)) {
    std::string err = resp.value("error", std::string("request failed"));
    if (resp.value("retry", false) || err.find("address already in use") != std::string::npos ||
        err.find("bind") != std::string::npos) {
      return Unavailable(err);
    }
    return InvalidArgument(err);
  }
  return resp;
}

Status ControlClient::Apply(const LbConfig& config) {
  STRATUS_ASSIGN_OR_RETURN(nlohmann::json resp, Call({{"op", "apply"}, {"config", ConfigToJson(config)}}));
  if (resp.value("version", uint64_t{0}) != config.version) return Internal("stratus-lb acknowledged another version");
  return Status::Ok();
}

Result<LbStatus> ControlClient::GetStatus() {
  STRATUS_ASSIGN_OR_RETURN(nlohmann::json resp, Call({{"op", "status"}}));
  LbStatus st;
  st.version = resp.value("version", uint64_t{0});
  if (resp.contains("targets") && resp["targets"].is_array()) {
    for (const auto& t : resp["targets"]) {
      TargetHealth h;
      h.target_group = t.value("target_group", "");
      h.id = t.value("id", "");
      h.ip = t.value("ip", "");
      h.port = t.value("port", 0);
      h.state = t.value("state", "");
      h.reason = t.value("reason", "");
      st.targets.push_back(std::move(h));
    }
  }
  st.metrics = resp.value("metrics", nlohmann::json::object());
  return st;
}

Result<std::string> ControlClient::GetPrometheus() {
  STRATUS_ASSIGN_OR_RETURN(nlohmann::json resp, Call({{"op", "prometheus"}}));
  return resp.value("text", std::string());
}

}  // namespace stratus::lb
