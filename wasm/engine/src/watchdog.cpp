#include "watchdog.hpp"

#include <algorithm>

namespace airssys::wasm::detail {

Watchdog& Watchdog::get() {
  static Watchdog* w = new Watchdog;  // never destroyed: its thread may outlive static destructors
  return *w;
}

Watchdog::Watchdog() : thread_([this] { run(); }) { thread_.detach(); }

Watchdog::Key Watchdog::arm(Fire fire, void* target, Clock::time_point when) {
  std::lock_guard lock(mutex_);
  Key key = ++next_;
  armed_.push_back(Armed{key, when, fire, target});
  if (when < planned_wake_) {
    planned_wake_ = when;
    cv_.notify_one();
  }
  return key;
}

void Watchdog::disarm(Key key) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(armed_.begin(), armed_.end(), [&](const Armed& a) { return a.key == key; });
  if (it == armed_.end()) return;
  *it = armed_.back();
  armed_.pop_back();
}

void Watchdog::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    auto now = Clock::now();
    auto next = now + kIdleWake;
    for (std::size_t i = 0; i < armed_.size();) {
      if (armed_[i].when <= now) {
        armed_[i].fire(armed_[i].target);
        armed_[i] = armed_.back();
        armed_.pop_back();
        continue;
      }
      next = std::min(next, armed_[i].when);
      ++i;
    }
    planned_wake_ = next;
    cv_.wait_until(lock, next);
  }
}

}  // namespace airssys::wasm::detail
