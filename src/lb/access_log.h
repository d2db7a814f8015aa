// Optional access log, off the hot path: workers append fixed-size records to their own lock-free ring; a
// background thread formats them and appends lines to the file. When a ring is full, records are dropped
// (and counted) rather than blocking a worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "common/status.h"

namespace stratus::lb {

class AccessLog {
 public:
  AccessLog() = default;
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Opens `path` for appending and starts the writer thread. Error when the file cannot be opened. With
  // `max_bytes` > 0 the log rotates: when `path` reaches half of it, it becomes `path`.1 (replacing the previous
  // one) and a new `path` starts, so the log takes at most `max_bytes` on disk and keeps the latest lines.
  Status Open(const std::string& path, int workers, int64_t max_bytes = 0);

  // Called by worker `w` only (single producer per ring).
  void Record(int w, const char* client_ip, const char* target_ip, int target_port, int status, int64_t ms);

  // Records dropped because a ring was full.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    int64_t unix_ms;
    int64_t ms;
    int status;
    int port;
    char client[16];
    char target[16];
  };
  static constexpr size_t kRing = 4096;
  struct alignas(64) Ring {
    Entry entries[kRing];
    std::atomic<uint64_t> head{0};  // written by the worker
    std::atomic<uint64_t> tail{0};  // written by the writer thread
  };
  void Run();
  void Drain(std::string* out);

  void Write(const std::string& all);

  std::string path_;
  int64_t max_bytes_ = 0;
  int64_t size_ = 0;  // of the current file
  UniqueFd fd_;
  std::vector<std::unique_ptr<Ring>> rings_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace stratus::lb
