#include "metrics/series.h"

#include <algorithm>
#include <cmath>

#include "metrics/xor_codec.h"

namespace stratus {

void AddToSlot(MultiSlot* s, double v, uint64_t count, uint32_t max_raw) {
  s->count += count;
  s->sum += v * static_cast<double>(count);
  s->min = std::min(s->min, v);
  s->max = std::max(s->max, v);
  if (!s->sketch && s->raw.size() + count <= max_raw) {
    s->raw.insert(s->raw.end(), count, v);
    return;
  }
  if (!s->sketch) {
    s->sketch = std::make_unique<LogSketch>();
    for (double r : s->raw) s->sketch->Add(r);
    s->raw.clear();
    s->raw.shrink_to_fit();
  }
  s->sketch->Add(v, static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX)));
}

void Accumulator::AddValue(double v, bool want_percentiles) {
  ++count;
  sum += v;
  min = std::min(min, v);
  max = std::max(max, v);
  if (want_percentiles) raw.push_back(v);
}

void Accumulator::AddSlot(const MultiSlot& s, bool want_percentiles) {
  count += s.count;
  sum += s.sum;
  min = std::min(min, s.min);
  max = std::max(max, s.max);
  no_percentiles |= s.no_percentiles;
  if (!want_percentiles) return;
  if (s.sketch) {
    sketch.Merge(*s.sketch);
    use_sketch = true;
  } else {
    raw.insert(raw.end(), s.raw.begin(), s.raw.end());
  }
}

void Accumulator::AddRollup(const Rollup& r, bool want_percentiles) {
  count += r.count;
  sum += r.sum;
  min = std::min(min, r.min);
  max = std::max(max, r.max);
  no_percentiles |= r.no_percentiles;
  if (want_percentiles) {
    sketch.Merge(r.sketch);
    use_sketch = true;
  }
}

double Accumulator::Percentile(double p) {
  double q = p / 100.0;
  if (!use_sketch) {
    if (raw.empty()) return 0;
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(raw.size())));
    size_t idx = rank == 0 ? 0 : rank - 1;
    std::nth_element(raw.begin(), raw.begin() + static_cast<ptrdiff_t>(idx), raw.end());
    return raw[idx];
  }
  if (!raw.empty()) {
    for (double v : raw) sketch.Add(v);
    raw.clear();
  }
  return std::clamp(sketch.Quantile(q), min, max);
}

bool Chunk::Values(std::array<double, 60>* out) const {
  if (open) {
    *out = *open;
    return true;
  }
  uint64_t seconds = singles();
  double values[60];
  size_t n = static_cast<size_t>(__builtin_popcountll(seconds)), used = 0;
  bool ok = n == 0 || XorDecode(packed, n, values, &used);
  size_t i = 0;
  for (uint64_t bits = seconds; bits; bits &= bits - 1) (*out)[__builtin_ctzll(bits)] = ok ? values[i++] : 0;
  return ok;
}

std::array<double, 60>& Chunk::Open() {
  if (!open) {
    auto values = std::make_unique<std::array<double, 60>>();
    Values(values.get());
    open = std::move(values);
    packed.clear();
    packed.shrink_to_fit();
  }
  return *open;
}

void Chunk::Pack() {
  if (!open) return;
  double values[60];
  size_t n = 0;
  for (uint64_t bits = singles(); bits; bits &= bits - 1) values[n++] = (*open)[__builtin_ctzll(bits)];
  std::string out;
  XorEncode(values, n, &out);
  packed = std::move(out);
  packed.shrink_to_fit();
  open.reset();
}

Chunk* Series::ChunkFor(int64_t minute) {
  if (last_chunk_ && last_chunk_->minute == minute) {
    last_chunk_->Open();
    return last_chunk_;
  }
  auto [it, inserted] = chunks_.try_emplace(minute);
  if (inserted) it->second.minute = minute;
  last_chunk_ = &it->second;
  if (!last_chunk_->is_open()) {
    last_chunk_->Open();
    open_chunks_.push_back(minute);
  }
  return last_chunk_;
}

void Series::PackClosed(int64_t first_open_minute) {
  size_t kept = 0;
  for (int64_t m : open_chunks_) {
    auto it = chunks_.find(m);
    if (it == chunks_.end()) continue;  // folded into a rollup
    if (m < first_open_minute) {
      it->second.Pack();
    } else if (it->second.is_open()) {
      open_chunks_[kept++] = m;
    }
  }
  open_chunks_.resize(kept);
}

void Series::MarkChunkDirty(Chunk* c, int second) {
  if (c->dirty == 0) dirty_chunks_.push_back(c->minute);
  c->dirty |= uint64_t{1} << second;
}

void Series::MarkRollupDirty(int64_t minute) {
  Rollup& r = rollups_[minute];
  if (!r.dirty) dirty_rollups_.push_back(minute);
  r.dirty = true;
}

void Series::NoteLatest(int64_t ts_ms, double v) {
  if (ts_ms >= latest_ms_) {
    latest_ms_ = ts_ms;
    latest_value_ = v;
  }
}

void Series::AddValue(int64_t ts_ms, double v, int64_t raw_horizon_minute, uint32_t max_raw) {
  NoteLatest(ts_ms, v);
  int64_t sec = FloorDiv(ts_ms, 1000);
  int64_t minute = FloorDiv(sec, 60);
  int k = static_cast<int>(sec - minute * 60);
  bool has_chunk = (last_chunk_ && last_chunk_->minute == minute) || chunks_.count(minute);
  if (!has_chunk && minute < raw_horizon_minute) {
    Rollup& r = rollups_[minute];
    r.count += 1;
    r.sum += v;
    r.min = std::min(r.min, v);
    r.max = std::max(r.max, v);
    r.sketch.Add(v);
    MarkRollupDirty(minute);
    return;
  }
  Chunk* c = ChunkFor(minute);
  uint64_t bit = uint64_t{1} << k;
  if (!(c->present & bit)) {
    c->present |= bit;
    (*c->open)[k] = v;
  } else {
    if (!(c->multi & bit)) {  // the second sample in this second: move to a multi slot
      if (!c->slots) c->slots = std::make_unique<std::array<MultiSlot, 60>>();
      MultiSlot& s = (*c->slots)[k];
      s = MultiSlot();
      AddToSlot(&s, (*c->open)[k], 1, max_raw);
      c->multi |= bit;
    }
    AddToSlot(&(*c->slots)[k], v, 1, max_raw);
  }
  MarkChunkDirty(c, k);
}

void Series::AddStatistics(int64_t ts_ms, const StatisticSet& st, int64_t raw_horizon_minute, uint32_t max_raw) {
  NoteLatest(ts_ms, st.sum / st.sample_count);
  auto count = static_cast<uint64_t>(std::llround(st.sample_count));
  bool single_valued = st.minimum == st.maximum;  // then CloudWatch still has percentiles
  int64_t sec = FloorDiv(ts_ms, 1000);
  int64_t minute = FloorDiv(sec, 60);
  int k = static_cast<int>(sec - minute * 60);
  bool has_chunk = (last_chunk_ && last_chunk_->minute == minute) || chunks_.count(minute);
  if (!has_chunk && minute < raw_horizon_minute) {
    Rollup& r = rollups_[minute];
    r.count += count;
    r.sum += st.sum;
    r.min = std::min(r.min, st.minimum);
    r.max = std::max(r.max, st.maximum);
    if (single_valued) r.sketch.Add(st.minimum, static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX)));
    r.no_percentiles |= !single_valued;
    MarkRollupDirty(minute);
    return;
  }
  Chunk* c = ChunkFor(minute);
  uint64_t bit = uint64_t{1} << k;
  if (!c->slots) c->slots = std::make_unique<std::array<MultiSlot, 60>>();
  MultiSlot& s = (*c->slots)[k];
  if (!(c->multi & bit)) {
    s = MultiSlot();
    if (c->present & bit) AddToSlot(&s, (*c->open)[k], 1, max_raw);
    c->multi |= bit;
    c->present |= bit;
  }
  if (single_valued) {
    AddToSlot(&s, st.minimum, count, max_raw);
  } else {
    s.count += count;
    s.sum += st.sum;
    s.min = std::min(s.min, st.minimum);
    s.max = std::max(s.max, st.maximum);
    s.no_percentiles = true;
  }
  MarkChunkDirty(c, k);
}

void Series::Accumulate(int64_t start_s, int64_t end_s, int64_t period_s, bool want_pct,
                        std::vector<Accumulator>* acc) const {
  for (auto it = chunks_.lower_bound(FloorDiv(start_s, 60)); it != chunks_.end() && it->first * 60 < end_s;
       ++it) {
    const Chunk& c = it->second;
    std::array<double, 60> values;
    if (c.singles()) c.Values(&values);
    for (uint64_t bits = c.present; bits; bits &= bits - 1) {
      int k = __builtin_ctzll(bits);
      int64_t t = c.minute * 60 + k;
      if (t < start_s || t >= end_s) continue;
      Accumulator& a = (*acc)[static_cast<size_t>((t - start_s) / period_s)];
      if (c.multi & (uint64_t{1} << k)) {
        a.AddSlot((*c.slots)[k], want_pct);
      } else {
        a.AddValue(values[k], want_pct);
      }
    }
  }
  for (auto it = rollups_.lower_bound(FloorDiv(start_s, 60)); it != rollups_.end() && it->first * 60 < end_s;
       ++it) {
    int64_t t = it->first * 60;
    if (t < start_s || t + 60 > end_s || it->second.count == 0) continue;
    size_t bucket = static_cast<size_t>((t - start_s) / period_s);
    if (static_cast<size_t>((t + 59 - start_s) / period_s) != bucket) continue;  // straddles two periods
    (*acc)[bucket].AddRollup(it->second, want_pct);
  }
}

// Folds a chunk into a rollup minute.
static void FoldChunk(const Chunk& c, Rollup* r) {
  std::array<double, 60> values;
  if (c.singles()) c.Values(&values);
  for (uint64_t bits = c.present; bits; bits &= bits - 1) {
    int k = __builtin_ctzll(bits);
    if (!(c.multi & (uint64_t{1} << k))) {
      double v = values[k];
      r->count += 1;
      r->sum += v;
      r->min = std::min(r->min, v);
      r->max = std::max(r->max, v);
      r->sketch.Add(v);
      continue;
    }
    const MultiSlot& s = (*c.slots)[k];
    r->count += s.count;
    r->sum += s.sum;
    r->min = std::min(r->min, s.min);
    r->max = std::max(r->max, s.max);
    r->no_percentiles |= s.no_percentiles;
    if (s.sketch) r->sketch.Merge(*s.sketch);
    for (double v : s.raw) r->sketch.Add(v);
  }
}

bool Series::Age(int64_t raw_horizon_minute, int64_t expire_minute) {
  while (!chunks_.empty() && chunks_.begin()->first < raw_horizon_minute) {
    auto it = chunks_.begin();
    if (it->first >= expire_minute && it->second.present) {
      FoldChunk(it->second, &rollups_[it->first]);
      MarkRollupDirty(it->first);
    }
    if (last_chunk_ == &it->second) last_chunk_ = nullptr;
    chunks_.erase(it);
  }
  while (!rollups_.empty() && rollups_.begin()->first < expire_minute) rollups_.erase(rollups_.begin());
  return chunks_.empty() && rollups_.empty();
}

void Series::RecomputeLatest() {
  if (!chunks_.empty()) {
    const Chunk& c = chunks_.rbegin()->second;
    if (c.present) {
      int k = 63 - __builtin_clzll(c.present);
      latest_ms_ = (c.minute * 60 + k) * 1000;
      if (c.multi & (uint64_t{1} << k)) {
        const MultiSlot& s = (*c.slots)[k];
        latest_value_ = s.count ? s.sum / static_cast<double>(s.count) : 0;
      } else {
        std::array<double, 60> values;
        c.Values(&values);
        latest_value_ = values[k];
      }
      return;
    }
  }
  if (!rollups_.empty()) {
    const auto& [m, r] = *rollups_.rbegin();
    latest_ms_ = m * 60000;
    latest_value_ = r.count ? r.sum / static_cast<double>(r.count) : 0;
  }
}

void Series::TakeDirty(std::vector<int64_t>* chunk_minutes, std::vector<int64_t>* rollup_minutes) {
  chunk_minutes->swap(dirty_chunks_);
  rollup_minutes->swap(dirty_rollups_);
  dirty_chunks_.clear();
  dirty_rollups_.clear();
}

}  // namespace stratus
