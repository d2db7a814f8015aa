#include "metrics/metric_store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/log.h"
#include "metrics/metric_log.h"
#include "metrics/series.h"
#include "metrics/xor_codec.h"

namespace stratus {
namespace {

constexpr uint8_t kSeriesRecord = 1;  // a series id and its identity
constexpr uint8_t kSlotRecord = 2;    // the full state of one second of one series
constexpr uint8_t kRollupRecord = 3;  // the full state of one rollup minute of one series
constexpr uint8_t kValuesRecord = 4;  // single-sample seconds of one minute of one series, XOR-compressed
constexpr int64_t kMaxPeriodS = 366LL * 86400;
constexpr int64_t kMaxTimestampMs = 1LL << 50;  // year 37648: keeps arithmetic far from overflow

constexpr std::string_view kUnitNames[] = {
    "Seconds",          "Microseconds",      "Milliseconds",     "Bytes",           "Kilobytes",
    "Megabytes",        "Gigabytes",         "Terabytes",        "Bits",            "Kilobits",
    "Megabits",         "Gigabits",          "Terabits",         "Percent",         "Count",
    "Bytes/Second",     "Kilobytes/Second",  "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
    "Bits/Second",      "Kilobits/Second",   "Megabits/Second",  "Gigabits/Second", "Terabits/Second",
    "Count/Second",     "None",
};

// ---- record encoding ------------------------------------------------------------------------

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}
void PutString(std::string* out, std::string_view s) {
  Put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// Bounds-checked reading of a record payload; any overrun makes ok() false.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  T Get() {
    T v{};
    if (data_.size() - off_ < sizeof v) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, data_.data() + off_, sizeof v);
    off_ += sizeof v;
    return v;
  }
  std::string GetString() {
    uint32_t n = Get<uint32_t>();
    if (!ok_ || data_.size() - off_ < n) {
      ok_ = false;
      return {};
    }
    std::string s(data_.substr(off_, n));
    off_ += n;
    return s;
  }
  bool ok() const { return ok_; }
  std::string_view Rest() const { return data_.substr(off_); }
  bool Fits(uint64_t n, size_t each) const { return n <= (data_.size() - off_) / each; }

 private:
  std::string_view data_;
  size_t off_ = 0;
  bool ok_ = true;
};

void PutBins(std::string* out, const LogSketch& s) {
  Put<uint32_t>(out, static_cast<uint32_t>(s.bins().size()));
  for (const auto& [k, n] : s.bins()) {
    Put<int32_t>(out, k);
    Put<uint32_t>(out, n);
  }
}

bool GetBins(Reader* r, LogSketch* s) {
  uint32_t n = r->Get<uint32_t>();
  if (!r->ok() || !r->Fits(n, 8)) return false;
  std::vector<std::pair<int32_t, uint32_t>> bins(n);
  for (auto& b : bins) {
    b.first = r->Get<int32_t>();
    b.second = r->Get<uint32_t>();
  }
  s->SetBins(std::move(bins));
  return r->ok();
}

void EncodeSeries(std::string* out, const Series& s) {
  std::string p;
  Put<uint32_t>(&p, s.id());
  const MetricIdentity& id = s.identity();
  PutString(&p, id.namespace_);
  PutString(&p, id.name);
  PutString(&p, id.unit);
  Put<uint32_t>(&p, static_cast<uint32_t>(id.dimensions.size()));
  for (const Dimension& d : id.dimensions) {
    PutString(&p, d.name);
    PutString(&p, d.value);
  }
  MetricLog::Frame(out, kSeriesRecord, p);
}

void EncodeSlot(std::string* out, uint32_t sid, const Chunk& c, int k) {
  std::string p;
  Put<uint32_t>(&p, sid);
  Put<int64_t>(&p, c.minute * 60 + k);
  if (!(c.multi & (uint64_t{1} << k))) {
    std::array<double, 60> values;
    c.Values(&values);
    Put<uint8_t>(&p, 0);
    Put<double>(&p, values[k]);
  } else {
    const MultiSlot& s = (*c.slots)[k];
    Put<uint8_t>(&p, 1);
    Put<uint64_t>(&p, s.count);
    Put<double>(&p, s.sum);
    Put<double>(&p, s.min);
    Put<double>(&p, s.max);
    Put<uint8_t>(&p, s.no_percentiles);
    Put<uint8_t>(&p, s.sketch ? 1 : 0);
    if (s.sketch) {
      PutBins(&p, *s.sketch);
    } else {
      Put<uint32_t>(&p, static_cast<uint32_t>(s.raw.size()));
      for (double v : s.raw) Put<double>(&p, v);
    }
  }
  MetricLog::Frame(out, kSlotRecord, p);
}

// The seconds of `seconds` (a bitmap; each holds one sample) in one kValuesRecord, or nothing.
void EncodeValues(std::string* out, uint32_t sid, const Chunk& c, uint64_t seconds) {
  if (seconds == 0) return;
  std::string p;
  Put<uint32_t>(&p, sid);
  Put<int64_t>(&p, c.minute);
  Put<uint64_t>(&p, seconds);
  if (!c.is_open() && seconds == c.singles()) {
    p.append(c.packed);  // a closed minute whole: the record holds what memory does
  } else {
    std::array<double, 60> by_second;
    c.Values(&by_second);
    double values[60];
    size_t n = 0;
    for (uint64_t bits = seconds; bits; bits &= bits - 1) values[n++] = by_second[__builtin_ctzll(bits)];
    XorEncode(values, n, &p);
  }
  MetricLog::Frame(out, kValuesRecord, p);
}

// The given seconds of a chunk: single samples compressed together (one slot record when only one,
// which is smaller), multi slots one record each.
void EncodeSeconds(std::string* out, uint32_t sid, const Chunk& c, uint64_t seconds) {
  uint64_t singles = seconds & ~c.multi;
  if (__builtin_popcountll(singles) >= 2) {
    EncodeValues(out, sid, c, singles);
    seconds &= c.multi;
  }
  for (uint64_t bits = seconds; bits; bits &= bits - 1) EncodeSlot(out, sid, c, __builtin_ctzll(bits));
}

void EncodeRollup(std::string* out, uint32_t sid, int64_t minute, const Rollup& r) {
  std::string p;
  Put<uint32_t>(&p, sid);
  Put<int64_t>(&p, minute);
  Put<uint64_t>(&p, r.count);
  Put<double>(&p, r.sum);
  Put<double>(&p, r.min);
  Put<double>(&p, r.max);
  Put<uint8_t>(&p, r.no_percentiles);
  PutBins(&p, r.sketch);
  MetricLog::Frame(out, kRollupRecord, p);
}

// The index key of a series: identity fields separated by bytes that cannot occur in them.
std::string KeyOf(std::string_view ns, std::string_view name, const std::vector<Dimension>& dims,
                  std::string_view unit) {
  std::string k;
  k.reserve(ns.size() + name.size() + unit.size() + 8 + dims.size() * 24);
  k.append(ns).push_back('\0');
  k.append(name).push_back('\0');
  for (const Dimension& d : dims) {
    k.append(d.name).push_back('\1');
    k.append(d.value).push_back('\0');
  }
  k.push_back('\2');
  k.append(unit);
  return k;
}

std::string ValueError(double v, const std::string& field) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return "the value " + std::string(buf) + " for parameter " + field + " is invalid (must be a finite number)";
}

std::string Duration(int64_t ms) {
  if (ms % 86400000 == 0) return std::to_string(ms / 86400000) + " days";
  if (ms % 3600000 == 0) return std::to_string(ms / 3600000) + " hours";
  return std::to_string(ms / 1000) + " seconds";
}

// Validates one datum. The field path for messages ("MetricData.member.3") is built only on failure.
Status ValidateDatum(MetricDatum* d, size_t index, int64_t now_ms, const MetricStoreOptions& o) {
  auto what = [index] { return "MetricData.member." + std::to_string(index + 1); };
  if (!NormalizeIdentity(&d->metric, "").ok()) return NormalizeIdentity(&d->metric, what());
  if (d->value.has_value() + d->statistics.has_value() + !d->values.empty() != 1) {
    return InvalidArgument(what() + " must have exactly one of Value, StatisticValues and Values");
  }
  if (d->values.size() > kMaxValuesPerDatum) {
    return InvalidArgument(what() + ".Values has " + std::to_string(d->values.size()) + " values; the maximum is " +
                           std::to_string(kMaxValuesPerDatum));
  }
  if (!d->counts.empty() && d->counts.size() != d->values.size()) {
    return InvalidArgument(what() + ".Counts must have as many entries as Values");
  }
  for (size_t i = 0; i < d->values.size(); ++i) {
    if (!std::isfinite(d->values[i])) {
      return InvalidArgument(ValueError(d->values[i], what() + ".Values.member." + std::to_string(i + 1)));
    }
    if (!d->counts.empty() && !(d->counts[i] >= 1 && d->counts[i] <= 1e15)) {
      return InvalidArgument(what() + ".Counts.member." + std::to_string(i + 1) + " must be between 1 and 1e15");
    }
  }
  if (d->value && !std::isfinite(*d->value)) return InvalidArgument(ValueError(*d->value, what() + ".Value"));
  if (d->statistics) {
    const StatisticSet& s = *d->statistics;
    const std::pair<double, const char*> fields[] = {
        {s.sample_count, "SampleCount"}, {s.sum, "Sum"}, {s.minimum, "Minimum"}, {s.maximum, "Maximum"}};
    for (const auto& [v, f] : fields) {
      if (!std::isfinite(v)) return InvalidArgument(ValueError(v, what() + ".StatisticValues." + f));
    }
    if (s.sample_count < 1 || s.sample_count > 1e15) {
      return InvalidArgument(what() + ".StatisticValues.SampleCount must be between 1 and 1e15");
    }
    if (s.minimum > s.maximum) {
      return InvalidArgument(what() + ".StatisticValues.Minimum is greater than its Maximum");
    }
  }
  if (d->timestamp_ms < now_ms - o.max_past_ms) {
    return InvalidArgument(what() + ".Timestamp " + FormatIso8601(d->timestamp_ms) + " is more than " +
                           Duration(o.max_past_ms) + " in the past");
  }
  if (d->timestamp_ms > now_ms + o.max_future_ms) {
    return InvalidArgument(what() + ".Timestamp " + FormatIso8601(d->timestamp_ms) + " is more than " +
                           Duration(o.max_future_ms) + " in the future");
  }
  return Status::Ok();
}

// ---- the store ---------------------------------------------------------------------------------

class MetricStoreImpl : public MetricStore {
 public:
  explicit MetricStoreImpl(MetricStoreOptions o) : o_(std::move(o)) {}
  ~MetricStoreImpl() override;

  Status Load();
  void Start();

  Status PutMetricData(std::vector<MetricDatum> data) override;
  Result<std::vector<Datapoint>> GetMetricStatistics(const StatisticsQuery& query) override;
  std::vector<MetricIdentity> ListMetrics(const ListMetricsFilter& filter) override;
  std::vector<LatestValue> Latest(int64_t since_ms) override;
  Status Flush() override;
  Status Maintain() override;
  MetricStoreUsage Usage() override;

 private:
  int64_t Now() const { return o_.clock(); }
  int64_t RawHorizonMinute(int64_t now) const { return FloorDiv(now - o_.raw_retention_ms, 60000); }
  int64_t ExpireMinute(int64_t now) const { return FloorDiv(now - o_.rollup_retention_ms, 60000); }

  // With mu_ held.
  Series* AddSeriesLocked(uint32_t id, MetricIdentity identity);
  void RemoveSeriesLocked(uint32_t id);
  void NoteDirtyLocked(Series* s);
  void ApplyRecordLocked(uint8_t type, std::string_view payload);
  std::string SnapshotLocked();
  // When a minute in the head closed: encodes the closed head minutes into *main and every open
  // one into *head (replacing it), and returns true: *head is then the whole new head file.
  bool CloseHeadMinutesLocked(int64_t first_open, std::string* main, std::string* head);

  Status Compact();
  void Run();

  const MetricStoreOptions o_;
  std::mutex flush_mu_;  // serializes Flush and Compact (log writes happen outside mu_)
  std::unique_ptr<MetricLog> log_;  // GUARDED_BY(flush_mu_)
  bool need_snapshot_ = false;      // GUARDED_BY(flush_mu_): a failed append lost dirty state

  std::mutex mu_;
  std::unordered_map<uint32_t, std::unique_ptr<Series>> series_;  // GUARDED_BY(mu_)
  std::unordered_map<std::string, uint32_t> index_;                // GUARDED_BY(mu_)
  uint32_t next_id_ = 1;                                           // GUARDED_BY(mu_)
  std::vector<uint32_t> dirty_series_;                             // GUARDED_BY(mu_)
  std::vector<std::pair<uint32_t, int64_t>> head_chunks_;  // GUARDED_BY(mu_): (series, minute) in the head file

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stop_ = false;  // GUARDED_BY(run_mu_)
  std::thread thread_;
};

MetricStoreImpl::~MetricStoreImpl() {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stop_ = true;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Status st = Flush();
  if (!st.ok()) LogWarn("metric store: final flush failed", {{"error", st.ToString()}});
}

Series* MetricStoreImpl::AddSeriesLocked(uint32_t id, MetricIdentity identity) {
  std::string key = KeyOf(identity.namespace_, identity.name, identity.dimensions, identity.unit);
  auto s = std::make_unique<Series>(id, std::move(identity));
  Series* raw = s.get();
  index_[key] = id;
  series_[id] = std::move(s);
  next_id_ = std::max(next_id_, id + 1);
  return raw;
}

void MetricStoreImpl::RemoveSeriesLocked(uint32_t id) {
  auto it = series_.find(id);
  if (it == series_.end()) return;
  const MetricIdentity& m = it->second->identity();
  // After a reload an older, expired id may share the key with a live one: keep the live mapping.
  auto key = index_.find(KeyOf(m.namespace_, m.name, m.dimensions, m.unit));
  if (key != index_.end() && key->second == id) index_.erase(key);
  series_.erase(it);
}

void MetricStoreImpl::NoteDirtyLocked(Series* s) {
  if (!s->in_dirty_list) {
    s->in_dirty_list = true;
    dirty_series_.push_back(s->id());
  }
}

Status MetricStoreImpl::PutMetricData(std::vector<MetricDatum> data) {
  int64_t now = Now();
  for (size_t i = 0; i < data.size(); ++i) STRATUS_RETURN_IF_ERROR(ValidateDatum(&data[i], i, now, o_));
  // One key per run of datums with the same identity (batches usually hold runs of one series).
  std::vector<std::string> keys;
  std::vector<uint32_t> key_of(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    const MetricIdentity& m = data[i].metric;
    if (i == 0 || !(m == data[i - 1].metric)) keys.push_back(KeyOf(m.namespace_, m.name, m.dimensions, m.unit));
    key_of[i] = static_cast<uint32_t>(keys.size() - 1);
  }
  int64_t horizon = RawHorizonMinute(now);
  std::lock_guard<std::mutex> lock(mu_);
  std::unordered_set<std::string_view> fresh_keys;
  for (const std::string& k : keys) {
    if (!index_.count(k)) fresh_keys.insert(k);
  }
  size_t fresh = fresh_keys.size();
  if (series_.size() + fresh > o_.max_series) {
    return ResourceExhausted("the metric store holds " + std::to_string(series_.size()) +
                             " series; adding " + std::to_string(fresh) + " would exceed the limit of " +
                             std::to_string(o_.max_series));
  }
  Series* s = nullptr;
  for (size_t i = 0; i < data.size(); ++i) {
    MetricDatum& d = data[i];
    if (i == 0 || key_of[i] != key_of[i - 1]) {
      auto it = index_.find(keys[key_of[i]]);
      s = it != index_.end() ? series_[it->second].get() : AddSeriesLocked(next_id_, d.metric);
    }
    if (d.value) {
      s->AddValue(d.timestamp_ms, *d.value, horizon, o_.max_raw_per_second);
    } else if (d.statistics) {
      s->AddStatistics(d.timestamp_ms, *d.statistics, horizon, o_.max_raw_per_second);
    }
    for (size_t k = 0; k < d.values.size(); ++k) {
      double v = d.values[k], n = d.counts.empty() ? 1 : std::round(d.counts[k]);
      if (n == 1) {
        s->AddValue(d.timestamp_ms, v, horizon, o_.max_raw_per_second);
      } else {
        s->AddStatistics(d.timestamp_ms, StatisticSet{n, v * n, v, v}, horizon, o_.max_raw_per_second);
      }
    }
    NoteDirtyLocked(s);
  }
  return Status::Ok();
}

Datapoint MakeDatapoint(Accumulator* a, const std::vector<Statistic>& stats, int64_t ts_ms, const std::string& unit) {
  Datapoint dp{ts_ms, unit, {}};
  for (const Statistic& st : stats) {
    switch (st.kind) {
      case Statistic::Kind::kSampleCount: dp.values[st.name] = static_cast<double>(a->count); break;
      case Statistic::Kind::kSum: dp.values[st.name] = a->sum; break;
      case Statistic::Kind::kAverage: dp.values[st.name] = a->sum / static_cast<double>(a->count); break;
      case Statistic::Kind::kMinimum: dp.values[st.name] = a->min; break;
      case Statistic::Kind::kMaximum: dp.values[st.name] = a->max; break;
      case Statistic::Kind::kPercentile:
        if (!a->no_percentiles) dp.values[st.name] = a->Percentile(st.percentile);
        break;
    }
  }
  return dp;
}

Result<std::vector<Datapoint>> MetricStoreImpl::GetMetricStatistics(const StatisticsQuery& q) {
  std::vector<Statistic> stats;
  if (q.statistics.empty()) return InvalidArgument("at least one statistic is required");
  for (const std::string& s : q.statistics) {
    STRATUS_ASSIGN_OR_RETURN(Statistic st, ParseStatistic(s));
    stats.push_back(std::move(st));
  }
  bool want_pct = std::any_of(stats.begin(), stats.end(),
                              [](const Statistic& s) { return s.kind == Statistic::Kind::kPercentile; });
  if (q.period_s < 1 || q.period_s > kMaxPeriodS) {
    return InvalidArgument("Period must be between 1 and " + std::to_string(kMaxPeriodS) + " seconds");
  }
  if (q.start_ms < 0 || q.end_ms > kMaxTimestampMs) return InvalidArgument("StartTime or EndTime is out of range");
  if (q.start_ms >= q.end_ms) return InvalidArgument("StartTime must be before EndTime");
  int64_t now = Now();
  if (q.start_ms < now - o_.raw_retention_ms && q.period_s % 60 != 0) {
    return InvalidArgument("Period must be a multiple of 60 for data older than " +
                           std::to_string(o_.raw_retention_ms / 3600000) + " hours");
  }
  MetricIdentity id{q.namespace_, q.name, q.dimensions, q.unit.value_or("None")};
  STRATUS_RETURN_IF_ERROR(NormalizeIdentity(&id, "query"));
  int64_t start_s = FloorDiv(FloorDiv(q.start_ms, 1000), q.period_s) * q.period_s;
  int64_t end_s = FloorDiv(q.end_ms + 999, 1000);
  uint64_t periods = static_cast<uint64_t>((end_s - start_s + q.period_s - 1) / q.period_s);
  if (periods > o_.max_datapoints) {
    return InvalidArgument("you have requested up to " + std::to_string(periods) +
                           " datapoints, which exceeds the limit of " + std::to_string(o_.max_datapoints) +
                           "; increase Period or shorten the time range");
  }
  std::vector<Accumulator> acc(periods);
  std::string unit = q.unit.value_or("None");
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::string_view u : kUnitNames) {
      if (q.unit && u != *q.unit) continue;
      auto it = index_.find(KeyOf(id.namespace_, id.name, id.dimensions, u));
      if (it == index_.end()) continue;
      series_[it->second]->Accumulate(start_s, end_s, q.period_s, want_pct, &acc);
      unit = std::string(u);
    }
  }
  std::vector<Datapoint> out;
  for (size_t i = 0; i < acc.size(); ++i) {
    if (acc[i].count == 0) continue;
    out.push_back(MakeDatapoint(&acc[i], stats, (start_s + static_cast<int64_t>(i) * q.period_s) * 1000, unit));
  }
  return out;
}

bool Matches(const MetricIdentity& m, const ListMetricsFilter& f) {
  if (f.namespace_ && m.namespace_ != *f.namespace_) return false;
  if (f.name && m.name != *f.name) return false;
  for (const Dimension& want : f.dimensions) {
    bool found = std::any_of(m.dimensions.begin(), m.dimensions.end(), [&](const Dimension& d) {
      return d.name == want.name && (want.value.empty() || d.value == want.value);
    });
    if (!found) return false;
  }
  return true;
}

std::vector<MetricIdentity> MetricStoreImpl::ListMetrics(const ListMetricsFilter& filter) {
  std::vector<MetricIdentity> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, s] : series_) {
      if (Matches(s->identity(), filter)) out.push_back(s->identity());
    }
  }
  std::sort(out.begin(), out.end(), [](const MetricIdentity& a, const MetricIdentity& b) {
    return std::tie(a.namespace_, a.name, a.dimensions, a.unit) <
           std::tie(b.namespace_, b.name, b.dimensions, b.unit);
  });
  return out;
}

std::vector<LatestValue> MetricStoreImpl::Latest(int64_t since_ms) {
  std::vector<LatestValue> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : series_) {
    if (s->latest_ms() != std::numeric_limits<int64_t>::min() && s->latest_ms() >= since_ms) {
      out.push_back(LatestValue{s->identity(), s->latest_ms(), s->latest_value()});
    }
  }
  return out;
}

Status MetricStoreImpl::Flush() {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  if (!log_) return Status::Ok();
  std::string main, head;
  bool reset_head = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The minute before the current one stays open too: a collector pass may land a moment late.
    int64_t first_open = FloorDiv(Now(), 60000) - 1;
    std::vector<int64_t> chunk_minutes, rollup_minutes;
    for (uint32_t id : dirty_series_) {
      auto it = series_.find(id);
      if (it == series_.end()) continue;  // expired since
      Series& s = *it->second;
      s.in_dirty_list = false;
      if (!s.persisted) {
        EncodeSeries(&main, s);
        s.persisted = true;
      }
      s.TakeDirty(&chunk_minutes, &rollup_minutes);
      for (int64_t m : chunk_minutes) {
        auto c = s.chunks().find(m);
        if (c == s.chunks().end()) continue;  // folded into a rollup since
        Chunk& chunk = c->second;
        if (m >= first_open) {  // the head: per second now, compressed into the main files at close
          EncodeSeconds(&head, id, chunk, chunk.dirty);
          if (!chunk.in_head) head_chunks_.push_back({id, m});
          chunk.in_head = true;
        } else if (!chunk.in_head) {  // late data for a closed minute
          EncodeSeconds(&main, id, chunk, chunk.dirty);
        }  // else: written whole below, as its minute closes
        chunk.dirty = 0;
      }
      for (int64_t m : rollup_minutes) {
        auto r = s.rollups().find(m);
        if (r == s.rollups().end() || !r->second.dirty) continue;
        EncodeRollup(&main, id, m, r->second);
        r->second.dirty = false;
      }
    }
    dirty_series_.clear();
    reset_head = CloseHeadMinutesLocked(first_open, &main, &head);
  }
  Status st = log_->Append(main);
  if (st.ok()) st = reset_head ? log_->ResetHead(head) : log_->AppendHead(head);
  if (!st.ok()) need_snapshot_ = true;  // the next Maintain rewrites everything
  return st;
}

bool MetricStoreImpl::CloseHeadMinutesLocked(int64_t first_open, std::string* main, std::string* head) {
  bool closing = false;
  for (const auto& [id, m] : head_chunks_) closing |= m < first_open;
  if (!closing) return false;
  // Closed minutes go to the main files whole and compressed; the head file is rewritten with the
  // open minutes only (whole, since the file is replaced).
  std::vector<std::pair<uint32_t, int64_t>> still_open;
  std::string open_records;
  for (const auto& [id, m] : head_chunks_) {
    auto it = series_.find(id);
    if (it == series_.end()) continue;
    auto c = it->second->chunks().find(m);
    if (c == it->second->chunks().end()) continue;  // folded into a rollup, which went to the main files
    if (m < first_open) {
      EncodeSeconds(main, id, c->second, c->second.present);
      c->second.in_head = false;
    } else {
      EncodeSeconds(&open_records, id, c->second, c->second.present);
      still_open.push_back({id, m});
    }
  }
  head_chunks_ = std::move(still_open);
  *head = std::move(open_records);  // already covers what this flush had for the head
  return true;
}

std::string MetricStoreImpl::SnapshotLocked() {
  std::string buf;
  std::vector<int64_t> ignored_c, ignored_r;
  for (auto& [id, s] : series_) {
    EncodeSeries(&buf, *s);
    s->persisted = true;
    s->in_dirty_list = false;
    s->TakeDirty(&ignored_c, &ignored_r);
    for (auto& [m, c] : s->chunks()) {
      EncodeSeconds(&buf, id, c, c.present);
      c.dirty = 0;
      c.in_head = false;
    }
    for (auto& [m, r] : s->rollups()) {
      EncodeRollup(&buf, id, m, r);
      r.dirty = false;
    }
  }
  dirty_series_.clear();
  head_chunks_.clear();
  return buf;
}

Status MetricStoreImpl::Compact() {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  if (!log_) return Status::Ok();
  std::string snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot = SnapshotLocked();
  }
  Status st = log_->Rotate(snapshot);
  if (st.ok()) st = log_->ResetHead("");  // the snapshot holds the open minutes too
  need_snapshot_ = !st.ok();
  return st;
}

Status MetricStoreImpl::Maintain() {
  int64_t now = Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t horizon = RawHorizonMinute(now), expire = ExpireMinute(now);
    std::vector<uint32_t> empty;
    int64_t first_open = FloorDiv(now, 60000) - 1;  // as Flush
    for (auto& [id, s] : series_) {
      if (s->Age(horizon, expire)) {
        empty.push_back(id);
      } else {
        s->PackClosed(first_open);
        NoteDirtyLocked(s.get());  // folded minutes became dirty rollups
      }
    }
    for (uint32_t id : empty) RemoveSeriesLocked(id);
  }
  bool compact;
  {
    std::lock_guard<std::mutex> flush_lock(flush_mu_);
    compact = log_ && (need_snapshot_ || log_->active_size() > std::max(o_.compact_min_bytes, 4 * log_->snapshot_size()));
  }
  return compact ? Compact() : Status::Ok();
}

MetricStoreUsage MetricStoreImpl::Usage() {
  MetricStoreUsage u;
  std::lock_guard<std::mutex> lock(mu_);
  u.series = series_.size();
  for (auto& [id, s] : series_) {
    for (const auto& [m, c] : s->chunks()) {
      if (c.is_open()) {
        ++u.open_minutes;
        continue;
      }
      ++u.packed_minutes;
      u.packed_samples += static_cast<uint64_t>(__builtin_popcountll(c.singles()));
      u.packed_bytes += c.packed.size();
    }
    u.rollup_minutes += s->rollups().size();
  }
  return u;
}

bool DecodeSeries(Reader* r, MetricIdentity* id) {
  id->namespace_ = r->GetString();
  id->name = r->GetString();
  id->unit = r->GetString();
  uint32_t n = r->Get<uint32_t>();
  if (!r->ok() || n > kMaxDimensions) return false;
  for (uint32_t i = 0; i < n; ++i) {
    Dimension d;
    d.name = r->GetString();
    d.value = r->GetString();
    id->dimensions.push_back(std::move(d));
  }
  return r->ok();
}

// A slot record: either one sample (*single set) or a multi slot.
bool DecodeSlot(Reader* r, int64_t* sec, std::optional<double>* single, MultiSlot* slot) {
  *sec = r->Get<int64_t>();
  uint8_t kind = r->Get<uint8_t>();
  if (kind == 0) {
    *single = r->Get<double>();
    return r->ok();
  }
  slot->count = r->Get<uint64_t>();
  slot->sum = r->Get<double>();
  slot->min = r->Get<double>();
  slot->max = r->Get<double>();
  slot->no_percentiles = r->Get<uint8_t>() != 0;
  if (r->Get<uint8_t>() != 0) {
    slot->sketch = std::make_unique<LogSketch>();
    return GetBins(r, slot->sketch.get());
  }
  uint32_t n = r->Get<uint32_t>();
  if (!r->ok() || !r->Fits(n, 8)) return false;
  slot->raw.resize(n);
  for (double& v : slot->raw) v = r->Get<double>();
  return r->ok();
}

bool DecodeRollup(Reader* r, int64_t* minute, Rollup* roll) {
  *minute = r->Get<int64_t>();
  roll->count = r->Get<uint64_t>();
  roll->sum = r->Get<double>();
  roll->min = r->Get<double>();
  roll->max = r->Get<double>();
  roll->no_percentiles = r->Get<uint8_t>() != 0;
  return GetBins(r, &roll->sketch) && r->ok();
}

void SetSlot(Series* s, int64_t sec, const std::optional<double>& single, MultiSlot slot) {
  int64_t minute = FloorDiv(sec, 60);
  int k = static_cast<int>(sec - minute * 60);
  Chunk& c = *s->ChunkAt(minute);  // open
  uint64_t bit = uint64_t{1} << k;
  c.present |= bit;
  if (single) {
    c.multi &= ~bit;
    (*c.open)[k] = *single;
    return;
  }
  if (!c.slots) c.slots = std::make_unique<std::array<MultiSlot, 60>>();
  (*c.slots)[k] = std::move(slot);
  c.multi |= bit;
}

void MetricStoreImpl::ApplyRecordLocked(uint8_t type, std::string_view payload) {
  Reader r(payload);
  uint32_t sid = r.Get<uint32_t>();
  if (type == kSeriesRecord) {
    MetricIdentity id;
    if (DecodeSeries(&r, &id) && !series_.count(sid)) AddSeriesLocked(sid, std::move(id));
    return;
  }
  auto it = series_.find(sid);
  if (it == series_.end() || !r.ok()) return;  // records of unknown series are skipped
  if (type == kSlotRecord) {
    int64_t sec;
    std::optional<double> single;
    MultiSlot slot;
    if (DecodeSlot(&r, &sec, &single, &slot)) SetSlot(it->second.get(), sec, single, std::move(slot));
  } else if (type == kValuesRecord) {
    int64_t minute = r.Get<int64_t>();
    uint64_t seconds = r.Get<uint64_t>();
    if (!r.ok() || seconds >> 60) return;
    auto [chunk, fresh] = it->second->chunks().try_emplace(minute);
    if (fresh) {  // the usual case (snapshots, closed minutes): kept packed as it is, not decoded
      chunk->second.minute = minute;
      chunk->second.present = seconds;
      chunk->second.packed.assign(r.Rest());
      return;
    }
    double values[60];
    size_t n = static_cast<size_t>(__builtin_popcountll(seconds)), used = 0;
    if (!XorDecode(r.Rest(), n, values, &used)) return;
    size_t i = 0;
    for (uint64_t bits = seconds; bits; bits &= bits - 1) {
      SetSlot(it->second.get(), minute * 60 + __builtin_ctzll(bits), values[i++], MultiSlot());
    }
  } else if (type == kRollupRecord) {
    int64_t minute;
    Rollup roll;
    if (DecodeRollup(&r, &minute, &roll)) it->second->rollups()[minute] = std::move(roll);
  }
}

Status MetricStoreImpl::Load() {
  if (o_.dir.empty()) return Status::Ok();
  uint64_t dropped = 0;
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  auto log = MetricLog::Open(
      o_.dir, [this](uint8_t type, std::string_view payload) { ApplyRecordLocked(type, payload); }, &dropped);
  if (!log.ok()) return log.status();
  log_ = std::move(log).value();
  // A minute with a rollup record was folded after its slots were written: the rollup is newer.
  for (auto& [id, s] : series_) {
    for (const auto& [m, r] : s->rollups()) s->chunks().erase(m);
    s->RecomputeLatest();
  }
  STRATUS_RETURN_IF_ERROR(log_->Rotate(SnapshotLocked()));
  return log_->ResetHead("");
}

void MetricStoreImpl::Start() {
  if (o_.background) thread_ = std::thread([this] { Run(); });
}

void MetricStoreImpl::Run() {
  std::unique_lock<std::mutex> lock(run_mu_);
  while (!stop_) {
    run_cv_.wait_for(lock, std::chrono::milliseconds(o_.flush_interval_ms), [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    Status st = Flush();
    if (st.ok()) st = Maintain();
    if (!st.ok()) LogWarn("metric store: persisting failed", {{"error", st.ToString()}});
    lock.lock();
  }
}

}  // namespace

Result<MetricStorePtr> OpenMetricStore(MetricStoreOptions options) {
  if (!options.clock) {
    options.clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (options.flush_interval_ms < 1) return InvalidArgument("flush interval must be at least 1 ms");
  auto store = std::make_unique<MetricStoreImpl>(std::move(options));
  STRATUS_RETURN_IF_ERROR(store->Load());
  STRATUS_RETURN_IF_ERROR(store->Maintain());
  store->Start();
  return MetricStorePtr(std::move(store));
}

}  // namespace stratus
