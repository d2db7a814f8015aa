#include "metrics/metric_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/files.h"
#include "common/log.h"

namespace stratus {
namespace {

uint32_t Fnv1a(uint8_t type, std::string_view payload) {
  uint32_t h = 2166136261u;
  h = (h ^ type) * 16777619u;
  for (unsigned char c : payload) h = (h ^ c) * 16777619u;
  return h;
}

Result<std::vector<uint64_t>> ListSeqs(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return Internal("metric store: opendir " + dir + ": " + strerror(errno));
  std::vector<uint64_t> seqs;
  while (dirent* e = readdir(d.get())) {
    unsigned long long seq = 0;
    char tail = 0;
    if (std::sscanf(e->d_name, "metrics-%llu.lo%c", &seq, &tail) == 2 && tail == 'g' &&
        std::strlen(e->d_name) == 22) {
      seqs.push_back(seq);
    }
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Internal("metric store: write " + path + ": " + strerror(errno));
    off += static_cast<size_t>(w);
  }
  if (fdatasync(fd) != 0) return Internal("metric store: fdatasync " + path + ": " + strerror(errno));
  return Status::Ok();
}

// Calls fn per intact record; returns the number of bytes after the last intact one.
uint64_t ParseFile(std::string_view data, const MetricLog::RecordFn& fn) {
  size_t off = 0;
  while (data.size() - off >= 9) {
    uint32_t len;
    std::memcpy(&len, data.data() + off, 4);
    if (len > data.size() - off - 9) break;
    uint8_t type = static_cast<uint8_t>(data[off + 4]);
    std::string_view payload = data.substr(off + 5, len);
    uint32_t sum;
    std::memcpy(&sum, data.data() + off + 5 + len, 4);
    if (sum != Fnv1a(type, payload)) break;
    fn(type, payload);
    off += 9 + len;
  }
  return data.size() - off;
}

}  // namespace

std::string MetricLog::PathFor(uint64_t seq) const {
  char name[40];
  std::snprintf(name, sizeof name, "metrics-%010llu.log", static_cast<unsigned long long>(seq));
  return dir_ + "/" + name;
}

void MetricLog::Frame(std::string* out, uint8_t type, std::string_view payload) {
  uint32_t len = static_cast<uint32_t>(payload.size());
  uint32_t sum = Fnv1a(type, payload);
  out->append(reinterpret_cast<const char*>(&len), 4);
  out->push_back(static_cast<char>(type));
  out->append(payload);
  out->append(reinterpret_cast<const char*>(&sum), 4);
}

Result<std::unique_ptr<MetricLog>> MetricLog::Open(const std::string& dir, const RecordFn& fn,
                                                   uint64_t* dropped_bytes) {
  STRATUS_RETURN_IF_ERROR(MakeDirs(dir));
  std::unique_ptr<MetricLog> log(new MetricLog(dir));
  STRATUS_ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ListSeqs(dir));
  *dropped_bytes = 0;
  for (uint64_t seq : seqs) {
    STRATUS_ASSIGN_OR_RETURN(std::string data, ReadFile(log->PathFor(seq)));
    uint64_t dropped = ParseFile(data, fn);
    if (dropped) {
      LogWarn("metric store: skipped a torn or corrupt tail",
              {{"file", log->PathFor(seq)}, {"bytes", std::to_string(dropped)}});
    }
    *dropped_bytes += dropped;
    log->next_seq_ = seq + 1;
  }
  if (PathExists(log->HeadPath())) {
    STRATUS_ASSIGN_OR_RETURN(std::string data, ReadFile(log->HeadPath()));
    *dropped_bytes += ParseFile(data, fn);
  }
  // Appends go after what is there; the caller's next snapshot makes it obsolete (ResetHead).
  log->head_.reset(open(log->HeadPath().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log->head_.valid()) return Internal("metric store: open " + log->HeadPath() + ": " + strerror(errno));
  return log;
}

Status MetricLog::Append(std::string_view records) {
  if (records.empty()) return Status::Ok();
  if (!active_.valid()) return FailedPrecondition("metric store: no active log file");
  STRATUS_RETURN_IF_ERROR(WriteAll(active_.get(), records, PathFor(active_seq_)));
  active_size_ += records.size();
  return Status::Ok();
}

Status MetricLog::AppendHead(std::string_view records) {
  if (records.empty()) return Status::Ok();
  if (!head_.valid()) return FailedPrecondition("metric store: no head file");
  STRATUS_RETURN_IF_ERROR(WriteAll(head_.get(), records, HeadPath()));
  head_size_ += records.size();
  return Status::Ok();
}

Status MetricLog::ResetHead(std::string_view records) {
  std::string tmp = HeadPath() + ".tmp";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) return Internal("metric store: create " + tmp + ": " + strerror(errno));
  if (!records.empty()) STRATUS_RETURN_IF_ERROR(WriteAll(fd.get(), records, tmp));
  if (rename(tmp.c_str(), HeadPath().c_str()) != 0) {
    return Internal("metric store: rename " + tmp + ": " + strerror(errno));
  }
  UniqueFd dfd(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.valid()) (void)fsync(dfd.get());
  head_ = std::move(fd);
  head_size_ = records.size();
  return Status::Ok();
}

Status MetricLog::Rotate(std::string_view snapshot) {
  uint64_t seq = next_seq_++;
  std::string path = PathFor(seq);
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) return Internal("metric store: create " + path + ": " + strerror(errno));
  STRATUS_RETURN_IF_ERROR(WriteAll(fd.get(), snapshot, path));
  UniqueFd dfd(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.valid()) (void)fsync(dfd.get());
  active_ = std::move(fd);
  active_seq_ = seq;
  active_size_ = snapshot.size();
  snapshot_size_ = snapshot.size();
  // The snapshot holds everything the older files did: they can go.
  STRATUS_ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ListSeqs(dir_));
  for (uint64_t old : seqs) {
    if (old < seq) unlink(PathFor(old).c_str());
  }
  return Status::Ok();
}

}  // namespace stratus
