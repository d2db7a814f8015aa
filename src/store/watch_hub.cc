#include "store/watch_hub.h"

#include <utility>

namespace stratus {

class WatchHub::Handle : public Watch {
 public:
  Handle(std::weak_ptr<WatchHub> hub, uint64_t id) : hub_(std::move(hub)), id_(id) {}
  ~Handle() override {
    if (auto hub = hub_.lock()) hub->Remove(id_);
  }

 private:
  std::weak_ptr<WatchHub> hub_;
  uint64_t id_;
};

WatchPtr WatchHub::Add(std::string prefix, Fn fn, int64_t after_revision) {
  auto entry = std::make_shared<Entry>();
  entry->prefix = std::move(prefix);
  entry->fn = std::move(fn);
  entry->after_revision = after_revision;
  std::lock_guard<std::mutex> lock(mu_);
  entry->id = next_id_++;
  entries_[entry->id] = entry;
  return std::make_unique<Handle>(weak_from_this(), entry->id);
}

void WatchHub::Remove(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    it->second->cancelled = true;
    entries_.erase(it);
  }
  // Wait for a callback running on another thread to return, so the caller may free what the
  // callback uses. From inside a callback, the cancelled flag is enough.
  if (deliverer_.load() != std::this_thread::get_id()) {
    std::lock_guard<std::mutex> wait(deliver_mu_);
  }
}

void WatchHub::Enqueue(std::vector<WatchEvent> events) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.empty()) return;  // later watches only see later revisions anyway
  for (auto& e : events) queue_.push_back(std::move(e));
}

bool WatchHub::Next(WatchEvent* event, std::vector<std::shared_ptr<Entry>>* targets) {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.empty()) return false;
  *event = std::move(queue_.front());
  queue_.pop_front();
  targets->clear();
  for (const auto& [id, entry] : entries_) {
    if (event->kv.revision > entry->after_revision && event->kv.key.starts_with(entry->prefix)) {
      targets->push_back(entry);
    }
  }
  return true;
}

void WatchHub::Deliver() {
  if (deliverer_.load() == std::this_thread::get_id()) return;  // the outer Deliver() continues
  std::lock_guard<std::mutex> lock(deliver_mu_);
  deliverer_ = std::this_thread::get_id();
  WatchEvent event;
  std::vector<std::shared_ptr<Entry>> targets;
  while (Next(&event, &targets)) {
    for (const auto& entry : targets) {
      if (!entry->cancelled) entry->fn(event);
    }
  }
  deliverer_ = std::thread::id();
}

}  // namespace stratus
