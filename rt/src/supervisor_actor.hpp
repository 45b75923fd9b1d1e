// The supervisor actor: applies strategy, restart policy, intensity, backoff and health checks
// to its children. Children are created with the supervisor (or by start_child) and restarted in
// place, so their addresses never change.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include <airssys/rt/supervisor.hpp>
#include <airssys/rt/system.hpp>

namespace airssys::rt::detail {

/// What outlives one supervisor incarnation: the specs and the child cells.
struct SupervisorState {
  struct Child {
    ChildSpec spec;
    ActorRef ref;
    std::uint64_t expected_incarnation = 0;
    bool stopped = false;
    unsigned consecutive_restarts = 0;
    std::chrono::steady_clock::time_point last_restart{};
    unsigned health_failures = 0;
    TimerId health_timer = 0;
  };
  SupervisorSpec spec;  // strategy and limits; `children` is moved into `children` below
  mutable std::mutex mutex;  // guards `children` against readers outside the supervisor's turn
  std::vector<Child> children;
};

struct ChildExit;

class SupervisorActor final : public Actor {
 public:
  explicit SupervisorActor(std::shared_ptr<SupervisorState> s) : state_(std::move(s)) {}
  void on_start() override;
  void on_restart(const Error& reason) override;
  void on_stop() override;
  void receive(Message& msg) override;

  struct HealthTick {
    ActorRef child;
  };
  struct ChildAdded {
    ActorRef child;
  };

 private:
  void start_child(SupervisorState::Child& c);
  void on_child_exit(ChildExit& e);
  void on_health(const ActorRef& child, bool ok);
  void restart_for(std::size_t failed, const Error& reason);
  bool intensity_exceeded();
  std::chrono::milliseconds backoff_for(SupervisorState::Child& c);
  SupervisorState::Child* find(const ActorRef& r);
  std::size_t index_of(const ActorRef& r) const;

  std::shared_ptr<SupervisorState> state_;
  std::deque<std::chrono::steady_clock::time_point> recent_restarts_;
};

}  // namespace airssys::rt::detail
