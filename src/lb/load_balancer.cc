#include "lb/load_balancer.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/log.h"

namespace stratus::lb {

namespace {

std::string TargetKey(const std::string& group, const TargetConfig& t) {
  return group + "|" + t.id + "|" + t.ip + ":" + std::to_string(t.port);
}

std::string PromEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

LoadBalancer::LoadBalancer(int workers, std::string access_log, int64_t access_log_max)
    : num_workers_(workers), access_log_path_(std::move(access_log)), access_log_max_(access_log_max) {}

LoadBalancer::~LoadBalancer() {
  if (health_) health_->Stop();
  for (auto& w : workers_) w->Stop();
}

Status LoadBalancer::Start() {
  if (!access_log_path_.empty()) {
    access_log_ = std::make_unique<AccessLog>();
    STRATUS_RETURN_IF_ERROR(access_log_->Open(access_log_path_, num_workers_, access_log_max_));
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    STRATUS_RETURN_IF_ERROR(PublishLocked());
  }
  for (int i = 0; i < num_workers_; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, &source_, access_log_.get()));
    STRATUS_RETURN_IF_ERROR(workers_.back()->Start());
  }
  health_ = std::make_unique<HealthChecker>(&source_);
  health_->Start();
  return Status::Ok();
}

// Registers, updates and deregisters targets so that targets_ matches `config` (the caller holds mu_).
void LoadBalancer::ApplyTargetsLocked(const LbConfig& config, int64_t now) {
  std::map<std::string, TargetPtr> next;
  for (const auto& tg : config.target_groups) {
    for (const auto& tc : tg.targets) {
      std::string key = TargetKey(tg.name, tc);
      TargetPtr t;
      if (auto it = targets_.find(key); it != targets_.end()) {
        t = it->second;
      } else if (auto d = draining_.find(key); d != draining_.end()) {
        t = d->second.target;  // registered again while draining
        draining_.erase(d);
        t->draining = false;
      } else {
        t = std::make_shared<TargetRuntime>(key, tg.name, tc, num_workers_);
      }
      t->weight = tc.weight;
      if (tc.draining) {
        if (!draining_.count(key)) draining_[key] = {t, now + tg.deregistration_delay_ms};
        t->draining = true;
        continue;
      }
      next[key] = t;
    }
  }
  for (auto& [key, t] : targets_) {
    if (next.count(key) || draining_.count(key)) continue;
    const TargetGroupConfig* tg = config.FindTargetGroup(t->group);
    if (!tg) tg = config_.FindTargetGroup(t->group);
    int delay = tg ? tg->deregistration_delay_ms : 0;
    t->draining = true;
    draining_[key] = {t, now + delay};
    LogInfo("target draining", {{"target_group", t->group}, {"target", t->id}, {"delay_ms", std::to_string(delay)}});
  }
  targets_ = std::move(next);
}

// TLS contexts for the https/tls listeners of `config`: unchanged ones are kept (so re-applying a snapshot costs
// no certificate parsing), changed ones are built anew; existing connections keep the contexts they started with.
Status LoadBalancer::BuildTlsLocked(
    const LbConfig& config, std::map<std::string, std::pair<std::string, std::shared_ptr<TlsContext>>>* out) {
  ticket_keys_->set_rotation_ms(config.settings.ticket_key_rotation_ms);
  for (const auto& lc : config.listeners) {
    if (!IsTls(lc.protocol)) continue;
    std::string fp = TlsContext::Fingerprint(lc, config);
    if (auto it = tls_.find(lc.name); it != tls_.end() && it->second.first == fp) {
      (*out)[lc.name] = it->second;
      continue;
    }
    STRATUS_ASSIGN_OR_RETURN(auto ctx, TlsContext::Create(lc, config, ticket_keys_));
    (*out)[lc.name] = {std::move(fp), std::move(ctx)};
  }
  return Status::Ok();
}

Status LoadBalancer::Apply(const LbConfig& config) {
  std::lock_guard<std::mutex> l(mu_);
  // Certificates, then new listeners: a failure leaves everything as it was.
  std::map<std::string, std::pair<std::string, std::shared_ptr<TlsContext>>> tls;
  STRATUS_RETURN_IF_ERROR(BuildTlsLocked(config, &tls));
  std::map<std::string, std::shared_ptr<ListenerSockets>> sockets;
  for (const auto& lc : config.listeners) {
    if (auto it = sockets_.find(lc.bind); it != sockets_.end()) {
      sockets[lc.bind] = it->second;
      continue;
    }
    if (auto it = inherited_.find(lc.bind); it != inherited_.end()) {
      STRATUS_ASSIGN_OR_RETURN(sockets[lc.bind], ListenerSockets::Adopt(lc.bind, std::move(it->second), num_workers_));
      inherited_.erase(it);
      continue;
    }
    STRATUS_ASSIGN_OR_RETURN(sockets[lc.bind], ListenerSockets::Open(lc.bind, num_workers_));
  }
  ApplyTargetsLocked(config, NowMs());
  std::map<std::string, std::shared_ptr<ListenerSockets>> old = std::move(sockets_);
  sockets_ = std::move(sockets);
  tls_ = std::move(tls);
  config_ = config;
  // Metrics of listeners and target groups that are gone (sessions still using one hold their own reference).
  std::erase_if(listener_metrics_, [&](const auto& kv) {
    return std::none_of(config.listeners.begin(), config.listeners.end(),
                        [&](const ListenerConfig& l) { return l.name == kv.first; });
  });
  std::erase_if(group_metrics_, [&](const auto& kv) { return !config.FindTargetGroup(kv.first); });
  STRATUS_RETURN_IF_ERROR(PublishLocked());
  for (auto& [bind, s] : old) {
    if (!sockets_.count(bind)) s->CloseAll();  // every worker has stopped polling it
  }
  LogInfo("configuration applied", {{"version", std::to_string(config.version)},
                                    {"listeners", std::to_string(config.listeners.size())},
                                    {"targets", std::to_string(targets_.size())}});
  return Status::Ok();
}

// Builds a snapshot from config_, targets_ and draining_, publishes it and waits for every worker to adopt it.
Status LoadBalancer::PublishLocked() {
  auto snap = std::make_shared<Snapshot>();
  snap->version = config_.version;
  snap->generation = ++generation_;
  snap->settings = config_.settings;
  snap->accepting = accepting_;
  for (const auto& tgc : config_.target_groups) {
    auto& m = group_metrics_[tgc.name];
    if (!m) m = std::make_shared<MetricSet>(num_workers_);
    auto g = std::make_unique<TargetGroupRuntime>(tgc, m, num_workers_);
    for (const auto& tc : tgc.targets) {
      auto it = targets_.find(TargetKey(tgc.name, tc));
      if (it != targets_.end()) g->targets.push_back(it->second);
    }
    g->Finalize();
    snap->groups.push_back(std::move(g));
  }
  for (auto& [key, d] : draining_) {
    TargetGroupRuntime* g = snap->FindGroup(d.target->group);
    if (g) g->draining.push_back(d.target);
  }
  for (const auto& lc : config_.listeners) {
    auto lr = std::make_unique<ListenerRuntime>();
    lr->cfg = lc;
    lr->sockets = sockets_[lc.bind];
    if (auto it = tls_.find(lc.name); it != tls_.end()) lr->tls = it->second.second;
    auto& m = listener_metrics_[lc.name];
    if (!m) m = std::make_shared<MetricSet>(num_workers_);
    lr->metrics = m;
    lr->default_action = ActionRuntime::Make(lr->cfg.default_action, *snap);
    lr->default_group = lr->default_action.groups.empty() ? nullptr : lr->default_action.groups[0].first;
    for (const auto& rule : lr->cfg.rules) lr->rules.push_back(RuleRuntime::Make(rule, *snap));
    snap->listeners.push_back(std::move(lr));
  }
  source_.Publish(snap);
  for (auto& w : workers_) w->Wake();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (auto& w : workers_) {
    while (w->adopted_generation() < generation_) {
      if (std::chrono::steady_clock::now() > deadline) return Internal("a worker did not adopt the configuration");
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  return Status::Ok();
}

void LoadBalancer::Tick() {
  std::lock_guard<std::mutex> l(mu_);
  int64_t now = NowMs();
  bool changed = false;
  for (auto it = draining_.begin(); it != draining_.end();) {
    TargetRuntime* t = it->second.target.get();
    if (now >= it->second.deadline_ms || t->OpenConnections() == 0) {
      t->removed = true;
      LogInfo("target deregistered", {{"target_group", t->group}, {"target", t->id}});
      it = draining_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (changed) {
    Status st = PublishLocked();
    if (!st.ok()) LogError("publish failed", {{"error", st.message()}});
  }
}

uint64_t LoadBalancer::version() const {
  std::lock_guard<std::mutex> l(mu_);
  return config_.version;
}

void LoadBalancer::Inherit(std::map<std::string, std::vector<UniqueFd>> sockets) {
  std::lock_guard<std::mutex> l(mu_);
  inherited_ = std::move(sockets);
}

void LoadBalancer::SeedHealth(const nlohmann::json& targets) {
  std::lock_guard<std::mutex> l(mu_);
  int64_t now = NowMs();
  for (const auto& j : targets) {
    TargetConfig tc;
    tc.id = j.value("id", "");
    tc.ip = j.value("ip", "");
    tc.port = j.value("port", 0);
    auto it = targets_.find(TargetKey(j.value("target_group", ""), tc));
    if (it == targets_.end()) continue;
    std::string state = j.value("state", "");
    // The old process's verdict stands until our own checks reach theirs; slow start is not restarted.
    if (state == "healthy") {
      const TargetGroupConfig* g = config_.FindTargetGroup(it->second->group);
      it->second->healthy_since_ms.store(now - (g ? g->slow_start_ms : 0));
      it->second->health.store(HealthState::kHealthy);
    } else if (state == "unhealthy") {
      it->second->health.store(HealthState::kUnhealthy);
      it->second->SetReason(j.value("reason", ""));
    }
  }
}

LbConfig LoadBalancer::config() const {
  std::lock_guard<std::mutex> l(mu_);
  return config_;
}

std::map<std::string, std::vector<int>> LoadBalancer::ListeningFds() const {
  std::lock_guard<std::mutex> l(mu_);
  std::map<std::string, std::vector<int>> out;
  for (const auto& [bind, s] : sockets_) out[bind] = s->fds();
  return out;
}

Status LoadBalancer::StopAccepting() {
  std::lock_guard<std::mutex> l(mu_);
  accepting_ = false;
  return PublishLocked();
}

int64_t LoadBalancer::OpenConnections() const {
  std::lock_guard<std::mutex> l(mu_);
  int64_t n = 0;
  for (const auto& [name, m] : listener_metrics_) n += m->Sum(kActiveConnectionCount);
  return n;
}

std::string LoadBalancer::TargetState(const TargetRuntime& t, const std::set<std::string>& used,
                                      std::string* reason) const {
  if (t.draining.load()) {
    *reason = "Target.DeregistrationInProgress";
    return "draining";
  }
  if (!used.count(t.group)) {
    *reason = "Target.NotInUse";
    return "unused";
  }
  HealthState h = t.health.load();
  *reason = t.reason();
  if (h == HealthState::kInitial && reason->empty()) *reason = "Elb.InitialHealthChecking";
  if (h == HealthState::kHealthy && t.ejected_until_ms.load() > NowMs()) *reason = "Elb.OutlierEjected";
  return HealthStateName(h);
}

nlohmann::json LoadBalancer::StatusJson() const {
  std::lock_guard<std::mutex> l(mu_);
  std::set<std::string> used;
  for (const auto& lc : config_.listeners) AddForwardedGroups(lc, &used);
  nlohmann::json j;
  j["version"] = config_.version;
  j["generation"] = generation_;
  j["targets"] = nlohmann::json::array();
  nlohmann::json tm = nlohmann::json::object(), gm = nlohmann::json::object(), lm = nlohmann::json::object();
  std::map<std::string, std::pair<int, int>> counts;  // group -> healthy, unhealthy
  auto add = [&](const TargetPtr& t) {
    std::string reason;
    std::string state = TargetState(*t, used, &reason);
    j["targets"].push_back({{"target_group", t->group}, {"id", t->id}, {"ip", t->ip}, {"port", t->port},
                            {"weight", t->weight.load()}, {"state", state}, {"reason", reason}});
    if (state == "healthy") counts[t->group].first++;
    if (state == "unhealthy") counts[t->group].second++;
    tm[t->group + "/" + t->id + "/" + t->ip + ":" + std::to_string(t->port)] = t->metrics.ToJson();
  };
  for (const auto& [key, t] : targets_) add(t);
  for (const auto& [key, d] : draining_) add(d.target);
  for (const auto& tg : config_.target_groups) {
    auto it = group_metrics_.find(tg.name);
    if (it == group_metrics_.end()) continue;
    nlohmann::json g = it->second->ToJson();
    g["HealthyHostCount"] = counts[tg.name].first;
    g["UnHealthyHostCount"] = counts[tg.name].second;
    gm[tg.name] = std::move(g);
  }
  for (const auto& lc : config_.listeners) {
    auto it = listener_metrics_.find(lc.name);
    if (it != listener_metrics_.end()) lm[lc.name] = it->second->ToJson();
  }
  j["metrics"] = {{"listeners", lm}, {"target_groups", gm}, {"targets", tm}};
  return j;
}

std::string LoadBalancer::PrometheusText() const {
  nlohmann::json status = StatusJson();
  std::lock_guard<std::mutex> l(mu_);
  std::string out = "stratus_lb_config_version " + std::to_string(config_.version) + "\n";
  for (const auto& lc : config_.listeners) {
    auto it = listener_metrics_.find(lc.name);
    if (it != listener_metrics_.end()) it->second->AppendPrometheus("listener=\"" + PromEscape(lc.name) + "\"", &out);
  }
  for (const auto& tg : config_.target_groups) {
    std::string labels = "target_group=\"" + PromEscape(tg.name) + "\"";
    auto it = group_metrics_.find(tg.name);
    if (it != group_metrics_.end()) it->second->AppendPrometheus(labels, &out);
    const auto& g = status["metrics"]["target_groups"];
    if (g.contains(tg.name)) {
      out += "stratus_lb_healthy_host_count{" + labels + "} " +
             std::to_string(g[tg.name]["HealthyHostCount"].get<int>()) + "\n";
      out += "stratus_lb_unhealthy_host_count{" + labels + "} " +
             std::to_string(g[tg.name]["UnHealthyHostCount"].get<int>()) + "\n";
    }
  }
  for (const auto& [key, t] : targets_) {
    t->metrics.AppendPrometheus("target_group=\"" + PromEscape(t->group) + "\",target=\"" + PromEscape(t->id) +
                                    "\",address=\"" + t->ip + ":" + std::to_string(t->port) + "\"",
                                &out);
  }
  return out;
}

}  // namespace stratus::lb
