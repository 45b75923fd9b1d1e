// Helpers for rt tests: wait for a condition with a generous deadline (a correctness bound,
// never a speed assertion).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <airssys/rt/system.hpp>

namespace airssys::rt::test {

inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cond();
}

/// Counts what it receives; answers int requests with value + 1; throws on "boom".
struct Counter : Actor {
  explicit Counter(std::atomic<int>* n) : n_(n) {}
  void receive(Message& m) override {
    if (auto* i = m.get_if<int>()) {
      n_->fetch_add(1);
      if (m.is_request()) reply(*i + 1);
    } else if (auto* s = m.get_if<std::string>()) {
      if (*s == "boom") throw std::runtime_error("boom");
      if (*s == "stop") stop();
      if (*s == "fail") fail(Error{Errc::actor_failed, "explicit"});
    }
  }
  std::atomic<int>* n_;
};

}  // namespace airssys::rt::test
