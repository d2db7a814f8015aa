#include "lb/health.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "common/log.h"

namespace stratus::lb {
namespace {

struct Check {
  TargetPtr target;
  HealthCheckConfig hc;
  UniqueFd fd;
  int64_t deadline_ms = 0;
  bool connecting = true;
  std::string request;
  size_t sent = 0;
  std::string response;
  bool counted = true;  // false: an initial probe between two checks (only a pass counts)
};

// Starts a non-blocking connect for one check; false when it failed at once (reason set).
bool StartCheck(Check* c, std::string* reason) {
  c->fd.reset(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!c->fd.valid()) {
    *reason = "Elb.InternalError: socket failed";
    return false;
  }
  sockaddr_in a = c->target->addr;
  if (c->hc.port > 0) a.sin_port = htons(static_cast<uint16_t>(c->hc.port));
  if (connect(c->fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    *reason = std::string("Target.FailedHealthChecks: connect: ") + strerror(errno);
    return false;
  }
  int port = c->hc.port > 0 ? c->hc.port : c->target->port;
  c->request = "GET " + c->hc.path + " HTTP/1.1\r\nHost: " + c->target->ip + ":" + std::to_string(port) +
               "\r\nUser-Agent: stratus-lb-health-check\r\nConnection: close\r\n\r\n";
  return true;
}

// Moves a check forward after poll() reported `revents`. Returns 0 while in progress, 1 pass, -1 fail.
int Advance(Check* c, short revents, std::string* reason) {
  if (c->connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      *reason = std::string("Target.FailedHealthChecks: connect: ") + strerror(err);
      return -1;
    }
    if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return 0;
    c->connecting = false;
    if (c->hc.protocol == Protocol::kTcp) return 1;
  }
  if (c->sent < c->request.size()) {
    ssize_t n = send(c->fd.get(), c->request.data() + c->sent, c->request.size() - c->sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) {
      *reason = std::string("Target.FailedHealthChecks: send: ") + strerror(errno);
      return -1;
    }
    if (n > 0) c->sent += static_cast<size_t>(n);
    return 0;
  }
  char buf[2048];
  ssize_t n = recv(c->fd.get(), buf, sizeof buf, 0);
  if (n < 0 && errno == EAGAIN) return 0;
  if (n > 0) c->response.append(buf, static_cast<size_t>(n));
  if (c->response.size() >= 12 || n <= 0) {
    if (c->response.size() < 12 || c->response.compare(0, 7, "HTTP/1.") != 0) {
      *reason = "Target.FailedHealthChecks: no valid HTTP response";
      return -1;
    }
    int code = std::atoi(c->response.substr(9, 3).c_str());
    if (MatchesStatus(c->hc.matcher, code)) return 1;
    *reason = "Target.ResponseCodeMismatch: health checks failed with code " + std::to_string(code);
    return -1;
  }
  return 0;
}

}  // namespace

void ApplyHealthResult(TargetRuntime* t, const HealthCheckConfig& hc, bool pass, const std::string& reason,
                       int64_t now_ms) {
  HealthState state = t->health.load();
  if (pass) {
    t->hc_failures = 0;
    t->hc_passes++;
    t->ejected_until_ms.store(0, std::memory_order_relaxed);
    if (state == HealthState::kInitial ||
        (state == HealthState::kUnhealthy && t->hc_passes >= hc.healthy_threshold)) {
      t->healthy_since_ms.store(now_ms);
      t->health.store(HealthState::kHealthy);
      t->SetReason("");
      LogInfo("target healthy", {{"target_group", t->group}, {"target", t->id}});
    }
    return;
  }
  t->hc_passes = 0;
  t->hc_failures++;
  if (state != HealthState::kUnhealthy && t->hc_failures >= hc.unhealthy_threshold) {
    t->health.store(HealthState::kUnhealthy);
    LogInfo("target unhealthy", {{"target_group", t->group}, {"target", t->id}, {"reason", reason}});
  }
  if (t->health.load() == HealthState::kUnhealthy || state == HealthState::kInitial) t->SetReason(reason);
}

int64_t NextCheckDelayMs(const TargetRuntime& t, const HealthCheckConfig& hc) {
  HealthState state = t.health.load();
  bool going_down = state == HealthState::kHealthy && t.hc_failures > 0;
  bool going_up = state == HealthState::kUnhealthy && t.hc_passes > 0;
  return going_down || going_up ? std::min<int64_t>(kFastInterMs, hc.interval_ms) : hc.interval_ms;
}

namespace {

// Applies a counted check's result and moves the next check forward when the target is in transition.
void CountCheck(TargetRuntime* t, const HealthCheckConfig& hc, bool pass, const std::string& reason, int64_t now_ms) {
  ApplyHealthResult(t, hc, pass, reason, now_ms);
  t->hc_next_ms = std::min(t->hc_next_ms, now_ms + NextCheckDelayMs(*t, hc));
}

}  // namespace

void HealthChecker::Start() { thread_ = std::thread([this] { Run(); }); }

void HealthChecker::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void HealthChecker::Run() {
  std::map<TargetRuntime*, std::unique_ptr<Check>> inflight;
  std::vector<pollfd> fds;
  std::vector<Check*> order;
  while (!stop_.load()) {
    int64_t now = NowMs();
    SnapshotPtr snap = source_->Get();
    if (snap) {
      std::set<std::string> used;
      for (const auto& l : snap->listeners) AddForwardedGroups(l->cfg, &used);
      for (const auto& g : snap->groups) {
        if (!used.count(g->cfg.name)) continue;
        for (const auto& t : g->targets) {
          if (t->draining.load() || inflight.count(t.get())) continue;
          const HealthCheckConfig& hc = g->cfg.health_check;
          bool counted = now >= t->hc_next_ms;
          bool probe = !counted && hc.enabled && t->health.load() == HealthState::kInitial &&
                       now >= t->hc_probe_next_ms && hc.interval_ms > kInitialProbeMs;
          if (!counted && !probe) continue;
          if (counted) t->hc_next_ms = now + hc.interval_ms;
          t->hc_probe_next_ms = now + kInitialProbeMs;
          if (!hc.enabled) {
            ApplyHealthResult(t.get(), hc, true, "", now);
            continue;
          }
          auto c = std::make_unique<Check>();
          c->target = t;
          c->hc = hc;
          c->counted = counted;
          c->deadline_ms = now + c->hc.timeout_ms;
          std::string reason;
          if (!StartCheck(c.get(), &reason)) {
            if (counted) CountCheck(t.get(), c->hc, false, reason, now);
            continue;
          }
          inflight[t.get()] = std::move(c);
        }
      }
    }
    fds.clear();
    order.clear();
    for (auto& [t, c] : inflight) {
      short ev = c->connecting || c->sent < c->request.size() ? POLLOUT : POLLIN;
      fds.push_back({c->fd.get(), ev, 0});
      order.push_back(c.get());
    }
    poll(fds.data(), fds.size(), 20);
    now = NowMs();
    for (size_t i = 0; i < order.size(); ++i) {
      Check* c = order[i];
      std::string reason;
      int r = 0;
      if (fds[i].revents) r = Advance(c, fds[i].revents, &reason);
      if (r == 0 && now >= c->deadline_ms) {
        r = -1;
        reason = "Target.Timeout: request timed out";
      }
      if (r != 0) {
        // An initial probe that fails is not counted; one that passes is the target's first passing check.
        if (c->counted) {
          CountCheck(c->target.get(), c->hc, r > 0, reason, now);
        } else if (r > 0) {
          ApplyHealthResult(c->target.get(), c->hc, true, reason, now);
        }
        inflight.erase(c->target.get());
      }
    }
  }
}

}  // namespace stratus::lb
