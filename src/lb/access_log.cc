#include "lb/access_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace stratus::lb {

AccessLog::~AccessLog() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Status AccessLog::Open(const std::string& path, int workers, int64_t max_bytes) {
  fd_.reset(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd_.valid()) return InvalidArgument("access log " + path + ": " + strerror(errno));
  struct stat st;
  size_ = fstat(fd_.get(), &st) == 0 ? st.st_size : 0;
  path_ = path;
  max_bytes_ = max_bytes;
  for (int i = 0; i < workers; ++i) rings_.push_back(std::make_unique<Ring>());
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void AccessLog::Record(int w, const char* client_ip, const char* target_ip, int target_port, int status,
                       int64_t ms) {
  Ring& r = *rings_[static_cast<size_t>(w)];
  uint64_t h = r.head.load(std::memory_order_relaxed);
  if (h - r.tail.load(std::memory_order_acquire) >= kRing) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Entry& e = r.entries[h % kRing];
  timeval tv;
  gettimeofday(&tv, nullptr);
  e.unix_ms = static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
  e.ms = ms;
  e.status = status;
  e.port = target_port;
  std::strncpy(e.client, client_ip, sizeof e.client - 1);
  e.client[sizeof e.client - 1] = 0;
  std::strncpy(e.target, target_ip, sizeof e.target - 1);
  e.target[sizeof e.target - 1] = 0;
  r.head.store(h + 1, std::memory_order_release);
}

void AccessLog::Drain(std::string* out) {
  for (auto& rp : rings_) {
    Ring& r = *rp;
    uint64_t t = r.tail.load(std::memory_order_relaxed);
    uint64_t h = r.head.load(std::memory_order_acquire);
    for (; t < h; ++t) {
      const Entry& e = r.entries[t % kRing];
      time_t sec = static_cast<time_t>(e.unix_ms / 1000);
      tm tmv;
      gmtime_r(&sec, &tmv);
      char line[256];
      int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ client=%s target=%s:%d status=%d ms=%lld\n",
                       tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec,
                       static_cast<int>(e.unix_ms % 1000), e.client, e.target, e.port, e.status,
                       static_cast<long long>(e.ms));
      if (n > 0) out->append(line, static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1);
    }
    r.tail.store(t, std::memory_order_release);
  }
}

void AccessLog::Write(const std::string& all) {
  std::string_view lines = all;
  if (max_bytes_ > 0 && static_cast<int64_t>(lines.size()) > max_bytes_ / 2) {
    // One batch over half the limit: its latest whole lines.
    size_t cut = lines.find('\n', lines.size() - static_cast<size_t>(max_bytes_ / 2));
    lines = cut == std::string_view::npos ? std::string_view() : lines.substr(cut + 1);
  }
  if (max_bytes_ > 0 && size_ > 0 && size_ + static_cast<int64_t>(lines.size()) > max_bytes_ / 2) {
    rename(path_.c_str(), (path_ + ".1").c_str());
    UniqueFd fd(open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd.valid()) {
      fd_ = std::move(fd);
      size_ = 0;
    }
  }
  ssize_t r = write(fd_.get(), lines.data(), lines.size());
  if (r > 0) size_ += r;
}

void AccessLog::Run() {
  std::string buf;
  while (true) {
    bool stopping = stop_.load();
    buf.clear();
    Drain(&buf);
    if (!buf.empty()) Write(buf);
    if (stopping) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace stratus::lb
