#include "cloudwatch/collector.h"

#include <chrono>

#include "common/log.h"

namespace stratus::cloudwatch {

using nlohmann::json;

namespace {

constexpr char kEc2[] = "AWS/EC2";
constexpr char kElb[] = "AWS/ApplicationELB";

// Counters of stratus-lb's metrics objects that CloudWatch reports per period (we: per second).
constexpr const char* kLbCounters[] = {
    "RequestCount",           "NewConnectionCount",         "HTTPCode_Target_2XX_Count",
    "HTTPCode_Target_3XX_Count", "HTTPCode_Target_4XX_Count", "HTTPCode_Target_5XX_Count",
    "HTTPCode_ELB_4XX_Count", "HTTPCode_ELB_5XX_Count",     "ProcessedBytes",
};

MetricDatum Datum(const char* ns, const char* name, std::vector<Dimension> dims, const char* unit, double value,
                  int64_t now_ms) {
  MetricDatum d;
  d.metric.namespace_ = ns;
  d.metric.name = name;
  d.metric.dimensions = std::move(dims);
  d.metric.unit = unit;
  d.timestamp_ms = now_ms;
  d.value = value;
  return d;
}

double Number(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

}  // namespace

Collector::Collector(MetricStore* store, CollectorSources sources, CollectorOptions options)
    : store_(store), sources_(std::move(sources)), options_(std::move(options)) {}

Collector::~Collector() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Collector::Start() {
  if (options_.background && !thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void Collector::SetPassListener(std::function<void()> listener) {
  std::lock_guard lock(mu_);
  pass_listener_ = std::move(listener);
}

int64_t Collector::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Collector::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Tick on whole seconds of the wall clock, so each 1-second period gets exactly one sample.
    int64_t wait = options_.interval_ms - Now() % options_.interval_ms;
    wake_.wait_for(lock, std::chrono::milliseconds(wait));
    if (stopping_) break;
    lock.unlock();
    Status st = CollectOnce();
    if (!st.ok()) LogWarn("metrics collection", {{"error", st.ToString()}});
    lock.lock();
    if (pass_listener_ && !stopping_) pass_listener_();
  }
}

Status Collector::CollectOnce() {
  auto started = std::chrono::steady_clock::now();
  int64_t now = Now();
  ++pass_;
  std::vector<MetricDatum> data;
  CollectInstances(now, data);
  CollectLoadBalancers(now, data);
  // Forget counters of objects that went away (terminated instances, deleted load balancers).
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (it->second == pass_) {
      ++it;
      continue;
    }
    counters_.erase(it->first);
    it = seen_.erase(it);
  }
  Status st = data.empty() ? Status::Ok() : store_->PutMetricData(std::move(data));
  last_pass_us_ = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
                      .count();
  return st;
}

std::optional<double> Collector::Delta(const std::string& key, double value) {
  seen_[key] = pass_;
  auto [it, inserted] = counters_.try_emplace(key, value);
  if (inserted) return std::nullopt;
  double previous = it->second;
  it->second = value;
  if (value < previous) return std::nullopt;  // the counter restarted (stratus-lb restarted)
  return value - previous;
}

void Collector::CollectInstances(int64_t now_ms, std::vector<MetricDatum>& out) {
  if (!sources_.running_instances || !sources_.instance_sample) return;
  std::map<std::string, CpuBaseline> alive;
  std::vector<CollectedInstance> running = sources_.running_instances();
  std::map<std::string, NetworkSample> nets;
  if (sources_.network_samples) {  // one read for all
    std::vector<std::string> ids;
    for (const auto& i : running) ids.push_back(i.instance_id);
    nets = sources_.network_samples(ids);
  }
  for (const auto& i : running) {
    Result<NetworkSample> net = NotFound("no network counters");
    if (sources_.network_samples) {
      if (auto it = nets.find(i.instance_id); it != nets.end()) net = it->second;
    } else if (sources_.network_sample) {
      net = sources_.network_sample(i.instance_id);
    }
    CollectInstance(i, now_ms, net, out);
    auto it = cpu_.find(i.instance_id);
    if (it != cpu_.end()) alive.insert(*it);
  }
  cpu_ = std::move(alive);
}

void Collector::CollectInstance(const CollectedInstance& i, int64_t now_ms, const Result<NetworkSample>& net,
                                std::vector<MetricDatum>& out) {
  std::vector<std::vector<Dimension>> dim_sets = {{{"InstanceId", i.instance_id}}};
  if (!i.auto_scaling_group.empty()) dim_sets.push_back({{"AutoScalingGroupName", i.auto_scaling_group}});
  auto emit = [&](const char* name, const char* unit, double v) {
    for (const auto& dims : dim_sets) out.push_back(Datum(kEc2, name, dims, unit, v, now_ms));
  };
  auto sample = sources_.instance_sample(i.instance_id);
  if (sample.ok()) {
    auto prev = cpu_.find(i.instance_id);
    if (prev != cpu_.end() && now_ms > prev->second.at_ms && sample->cpu_usage_ns >= prev->second.cpu_usage_ns) {
      double used_ns = static_cast<double>(sample->cpu_usage_ns - prev->second.cpu_usage_ns);
      double wall_ns = static_cast<double>(now_ms - prev->second.at_ms) * 1e6;
      double pct = 100.0 * used_ns / (wall_ns * (i.vcpus > 0 ? i.vcpus : 1));
      emit("CPUUtilization", "Percent", std::min(pct, 100.0));
    }
    cpu_[i.instance_id] = {sample->cpu_usage_ns, now_ms};
    emit("MemoryUsedBytes", "Bytes", static_cast<double>(sample->memory_bytes));
    if (i.memory_bytes > 0) {
      emit("MemoryUtilization", "Percent", 100.0 * static_cast<double>(sample->memory_bytes) / i.memory_bytes);
    }
  }
  if (!net.ok()) return;
  const std::pair<const char*, uint64_t> counters[] = {{"NetworkIn", net->in_bytes},
                                                        {"NetworkOut", net->out_bytes},
                                                        {"NetworkPacketsIn", net->in_packets},
                                                        {"NetworkPacketsOut", net->out_packets}};
  for (const auto& [name, value] : counters) {
    auto d = Delta(i.instance_id + "/" + name, static_cast<double>(value));
    if (d) emit(name, name[7] == 'P' ? "Count" : "Bytes", *d);
  }
}

void Collector::CollectLoadBalancers(int64_t now_ms, std::vector<MetricDatum>& out) {
  if (!sources_.lb_metrics) return;
  json m = sources_.lb_metrics();
  if (!m.is_object()) return;
  const json& listeners = m.contains("listeners") && m["listeners"].is_object() ? m["listeners"] : json::object();
  std::vector<ElbName> lbs = sources_.load_balancers ? sources_.load_balancers() : std::vector<ElbName>{};
  for (const auto& lb : lbs) {
    // A load balancer's counters are the sum over its listeners ("<name>:<port>").
    std::map<std::string, double> sums;
    bool any = false;
    for (const auto& [key, l] : listeners.items()) {
      if (key.rfind(lb.name + ":", 0) != 0 || !l.is_object()) continue;
      any = true;
      for (const char* c : kLbCounters) sums[c] += Number(l, c);
      sums["ActiveConnectionCount"] += Number(l, "ActiveConnectionCount");
    }
    if (!any) continue;
    std::vector<Dimension> dims = {{"LoadBalancer", lb.dimension}};
    for (const char* c : kLbCounters) {
      auto d = Delta("lb/" + lb.dimension + "/" + c, sums[c]);
      if (d) out.push_back(Datum(kElb, c, dims, std::string(c) == "ProcessedBytes" ? "Bytes" : "Count", *d, now_ms));
    }
    out.push_back(Datum(kElb, "ActiveConnectionCount", dims, "Count", sums["ActiveConnectionCount"], now_ms));
  }
  if (m.contains("target_groups") && m["target_groups"].is_object()) CollectTargetGroups(m["target_groups"], now_ms, out);
}

void Collector::CollectTargetGroups(const json& groups, int64_t now_ms, std::vector<MetricDatum>& out) {
  std::vector<ElbName> tgs = sources_.target_groups ? sources_.target_groups() : std::vector<ElbName>{};
  for (const auto& tg : tgs) {
    auto it = groups.find(tg.name);
    if (it == groups.end() || !it->is_object()) continue;
    const json& g = *it;
    std::vector<Dimension> dims = {{"TargetGroup", tg.dimension}};
    std::string key = "tg/" + tg.dimension + "/";
    double healthy = Number(g, "HealthyHostCount");
    out.push_back(Datum(kElb, "HealthyHostCount", dims, "Count", healthy, now_ms));
    out.push_back(Datum(kElb, "UnHealthyHostCount", dims, "Count", Number(g, "UnHealthyHostCount"), now_ms));
    for (const char* c : kLbCounters) {
      if (std::string(c) == "NewConnectionCount" || std::string(c).find("ELB") != std::string::npos) continue;
      auto d = Delta(key + c, Number(g, c));
      if (!d) continue;
      out.push_back(Datum(kElb, c, dims, std::string(c) == "ProcessedBytes" ? "Bytes" : "Count", *d, now_ms));
      // CloudWatch divides by the healthy targets (all registered ones when none is healthy).
      if (std::string(c) == "RequestCount" && healthy > 0) {
        out.push_back(Datum(kElb, "RequestCountPerTarget", dims, "Count", *d / healthy, now_ms));
      }
    }
    if (!g.contains("TargetResponseTime") || !g["TargetResponseTime"].is_object()) continue;
    const json& rt = g["TargetResponseTime"];
    auto count = Delta(key + "TargetResponseTime/count", Number(rt, "count"));
    auto sum_us = Delta(key + "TargetResponseTime/sum_us", Number(rt, "sum_us"));
    if (count && sum_us && *count > 0) {
      // One value standing for `count` responses: Average and SampleCount over a period stay exact.
      MetricDatum d = Datum(kElb, "TargetResponseTime", dims, "Seconds", 0, now_ms);
      d.value.reset();
      d.values = {*sum_us / *count / 1e6};
      d.counts = {*count};
      out.push_back(std::move(d));
    }
  }
}

}  // namespace stratus::cloudwatch
