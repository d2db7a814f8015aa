// Series: the in-memory storage of one metric series (internal to the metric store).
//
// Two tiers: 1-second slots in per-minute Chunks for recent data (kept raw_retention), and
// per-minute Rollups (stats + LogSketch) for older data (kept rollup_retention). A minute lives in
// exactly one tier: new data goes to its chunk while the minute is inside the raw window; when the
// minute leaves it the chunk is folded into the minute's rollup; data arriving later for such a
// minute goes straight to the rollup. Not thread-safe: the store locks around it.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metrics/metric.h"
#include "metrics/sketch.h"

namespace stratus {

// A second that holds more than one sample or a statistic set.
struct MultiSlot {
  uint64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  bool no_percentiles = false;           // a statistic set with min != max contributed
  std::vector<double> raw;               // the samples, while there are at most max_raw of them
  std::unique_ptr<LogSketch> sketch;     // the samples once raw overflowed
};

// One minute of one series at 1-second resolution. The values of its single-sample seconds are
// held in one of two forms: open (a double per second) while the minute takes data, packed
// (XOR-compressed in second order, xor_codec.h: about 1-2 bytes a sample, the very bytes of the
// log's values record) once it closed. A late sample reopens a packed minute; the store packs
// it again (Series::PackClosed).
struct Chunk {
  int64_t minute = 0;
  uint64_t present = 0;  // bit k: second k has data
  uint64_t multi = 0;    // bit k: second k is in slots (else it has one sample, in the values)
  uint64_t dirty = 0;    // bit k: second k changed since the last flush
  bool in_head = false;  // its seconds were flushed to the log's head file only (metric_log.h)
  std::unique_ptr<std::array<double, 60>> open;  // by second; null when packed
  std::string packed;                            // the values of singles(), in second order
  std::unique_ptr<std::array<MultiSlot, 60>> slots;

  // Seconds holding one sample.
  uint64_t singles() const { return present & ~multi; }
  bool is_open() const { return open != nullptr; }
  // The single-sample seconds' values by second (other entries are left as they are). False when
  // the packed bytes are cut short (then the values read as 0).
  bool Values(std::array<double, 60>* out) const;
  // Opens a packed chunk (before present or multi change) and returns its values by second.
  std::array<double, 60>& Open();
  // Packs an open chunk.
  void Pack();
};

struct Rollup {
  uint64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  bool no_percentiles = false;
  bool dirty = false;
  LogSketch sketch;
};

// Aggregates what falls into one query period.
struct Accumulator {
  uint64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  bool no_percentiles = false;
  bool use_sketch = false;  // some input came from a sketch: percentiles are approximate
  std::vector<double> raw;
  LogSketch sketch;

  void AddValue(double v, bool want_percentiles);
  void AddSlot(const MultiSlot& s, bool want_percentiles);
  void AddRollup(const Rollup& r, bool want_percentiles);
  // Nearest-rank percentile p in [0, 100]; exact from raw samples, else from the sketch, clamped
  // to [min, max].
  double Percentile(double p);
};

class Series {
 public:
  Series(uint32_t id, MetricIdentity identity) : id_(id), identity_(std::move(identity)) {}

  uint32_t id() const { return id_; }
  const MetricIdentity& identity() const { return identity_; }

  // Adds one sample / a statistic set at ts_ms. Minutes before raw_horizon_minute go to rollups.
  void AddValue(int64_t ts_ms, double v, int64_t raw_horizon_minute, uint32_t max_raw);
  void AddStatistics(int64_t ts_ms, const StatisticSet& s, int64_t raw_horizon_minute, uint32_t max_raw);

  // Adds the data in [start_s, end_s) to acc[(t - start_s) / period_s]. Rollup minutes count only
  // when they fall wholly into one period.
  void Accumulate(int64_t start_s, int64_t end_s, int64_t period_s, bool want_percentiles,
                  std::vector<Accumulator>* acc) const;

  // Folds chunks older than raw_horizon_minute into rollups and drops rollups older than
  // expire_minute. Returns true when the series holds no data any more.
  bool Age(int64_t raw_horizon_minute, int64_t expire_minute);

  // The newest sample time and its value (a statistic set counts as its average).
  int64_t latest_ms() const { return latest_ms_; }
  double latest_value() const { return latest_value_; }

  // Sets latest_ms / latest_value from the stored data (after loading).
  void RecomputeLatest();

  // Packs the open chunks of minutes before first_open_minute (the store calls it as minutes close).
  void PackClosed(int64_t first_open_minute);

  std::map<int64_t, Chunk>& chunks() { return chunks_; }
  // The chunk of a minute, made if needed (empty, open), for loading.
  Chunk* ChunkAt(int64_t minute) { return ChunkFor(minute); }
  std::map<int64_t, Rollup>& rollups() { return rollups_; }

  // Minutes whose chunk / rollup changed since TakeDirty (each listed once).
  void TakeDirty(std::vector<int64_t>* chunk_minutes, std::vector<int64_t>* rollup_minutes);
  void MarkRollupDirty(int64_t minute);
  void MarkChunkDirty(Chunk* c, int second);

  bool persisted = false;      // its definition is in the active log file
  bool in_dirty_list = false;  // listed in the store's dirty series

 private:
  Chunk* ChunkFor(int64_t minute);
  void NoteLatest(int64_t ts_ms, double v);

  const uint32_t id_;
  const MetricIdentity identity_;
  std::map<int64_t, Chunk> chunks_;
  std::map<int64_t, Rollup> rollups_;
  Chunk* last_chunk_ = nullptr;  // cache: most samples go to the newest minute
  std::vector<int64_t> open_chunks_;  // minutes whose chunk may be open (PackClosed)
  std::vector<int64_t> dirty_chunks_;
  std::vector<int64_t> dirty_rollups_;
  int64_t latest_ms_ = std::numeric_limits<int64_t>::min();
  double latest_value_ = 0;
};

// Adds one sample to a multi slot, moving its samples into a sketch past max_raw.
void AddToSlot(MultiSlot* s, double v, uint64_t count, uint32_t max_raw);

inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace stratus
