// WatchHub: the watch registry and in-order event delivery shared by Store implementations.
//
// A store enqueues each commit's events while it still holds its write lock (so the queue is in
// commit order) and calls Deliver() after releasing it. Deliver() runs callbacks on the calling
// thread, one thread at a time; a write made from inside a callback only enqueues, and the
// delivering thread picks its events up after the callback returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace stratus {

class WatchHub : public std::enable_shared_from_this<WatchHub> {
 public:
  using Fn = std::function<void(const WatchEvent&)>;

  static std::shared_ptr<WatchHub> Create() { return std::shared_ptr<WatchHub>(new WatchHub()); }

  // Registers fn for events under prefix whose revision is greater than after_revision. The
  // returned handle cancels on destruction and may outlive the hub's store.
  WatchPtr Add(std::string prefix, Fn fn, int64_t after_revision);

  // Queues one commit's events. Call with the store's write lock held.
  void Enqueue(std::vector<WatchEvent> events);

  // Runs callbacks for every queued event. Call without the store's write lock.
  void Deliver();

 private:
  struct Entry {
    uint64_t id;
    std::string prefix;
    Fn fn;
    int64_t after_revision;
    std::atomic<bool> cancelled{false};
  };
  class Handle;

  WatchHub() = default;
  void Remove(uint64_t id);
  // Pops the next event and the entries it should go to; false when the queue is empty.
  bool Next(WatchEvent* event, std::vector<std::shared_ptr<Entry>>* targets);

  std::mutex mu_;
  std::deque<WatchEvent> queue_;                           // GUARDED_BY(mu_)
  std::map<uint64_t, std::shared_ptr<Entry>> entries_;     // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;                                   // GUARDED_BY(mu_)

  std::mutex deliver_mu_;                  // held while callbacks run
  std::atomic<std::thread::id> deliverer_{};  // the thread holding deliver_mu_, if any
};

}  // namespace stratus
