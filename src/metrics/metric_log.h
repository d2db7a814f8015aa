// MetricLog: the metric store's append-only files (the cost meter keeps its journal in them too).
//
// A directory of metrics-<seq>.log files, each a sequence of framed records
//   u32 payload length | u8 type | payload | u32 FNV-1a of type and payload
// in host (little-endian) byte order. Records hold full states keyed by (series, time), so
// replaying every file in order with "last record wins" rebuilds the store; a torn or corrupt
// tail ends the reading of that file only. Rotate() starts a new file from a full snapshot and
// deletes the older ones once the snapshot is durable.
//
// Beside them, metrics-head.log holds the records of the minutes still open (the head), replayed
// after the other files. The store appends to it every second and replaces it whole once a
// minute (ResetHead), after writing the closed minutes to the main files compressed: the per-second
// records, which cannot be compressed one at a time, never accumulate.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/fd.h"
#include "common/status.h"

namespace stratus {

class MetricLog {
 public:
  using RecordFn = std::function<void(uint8_t type, std::string_view payload)>;

  // Creates dir if needed and calls fn for every intact record of every file, oldest file first.
  // `dropped_bytes` receives how many bytes of torn or corrupt tails were skipped.
  static Result<std::unique_ptr<MetricLog>> Open(const std::string& dir, const RecordFn& fn,
                                                 uint64_t* dropped_bytes);

  // Appends framed records to the active file and fdatasyncs it.
  Status Append(std::string_view records);

  // Writes a snapshot (framed records) as a new active file, syncs it, then deletes older files.
  Status Rotate(std::string_view snapshot);

  // Appends framed records to the head file and fdatasyncs it.
  Status AppendHead(std::string_view records);

  // Replaces the head file by one holding `records` (written to a temporary file, synced, renamed).
  Status ResetHead(std::string_view records);
  uint64_t head_size() const { return head_size_; }

  uint64_t active_size() const { return active_size_; }
  uint64_t snapshot_size() const { return snapshot_size_; }

  // Appends one framed record to *out.
  static void Frame(std::string* out, uint8_t type, std::string_view payload);

 private:
  explicit MetricLog(std::string dir) : dir_(std::move(dir)) {}
  std::string PathFor(uint64_t seq) const;
  std::string HeadPath() const { return dir_ + "/metrics-head.log"; }

  const std::string dir_;
  uint64_t next_seq_ = 1;
  UniqueFd active_;
  uint64_t active_seq_ = 0;
  uint64_t active_size_ = 0;
  uint64_t snapshot_size_ = 0;
  UniqueFd head_;
  uint64_t head_size_ = 0;
};

}  // namespace stratus
