// The runtime side of one actor: mailbox, lifecycle state machine, parent/children links.
// Everything that changes a cell's state happens on its own turn (one worker at a time):
// system messages (start, stop, kill, restart, child-terminated) are handled before user ones.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <airssys/rt/actor.hpp>
#include <airssys/rt/stats.hpp>
#include <airssys/rt/supervisor.hpp>
#include <airssys/rt/system.hpp>

#include "live_set.hpp"
#include "mailbox.hpp"

namespace airssys::rt::detail {

/// Sent to a supervisor actor when one of its children exits (fails or stops by itself).
struct ChildExit {
  ActorRef child;
  std::uint64_t incarnation;
  std::optional<Error> failure;  ///< empty for a normal exit
  bool final = false;            ///< the child stopped for good (not awaiting a decision)
};

/// Asked through the mailbox by health checks; answered with bool.
struct HealthProbe {};

class Cell : public CellRefs {
 public:
  // Spawned on one thread, freed on a worker: pooled like envelopes.
  static void* operator new(std::size_t size) { return pool_allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { pool_deallocate(p, size); }

  Cell(ActorSystem::Impl& sys, std::uint64_t id, std::string name, ActorFactory factory, MailboxOptions mailbox,
       Cell* parent);
  ~Cell();

  // --- called from any thread
  /// `batchable`: may wait in this worker's outbox until the turn ends (see cell.cpp). Fan-out
  /// to many targets passes false (after flushing the outbox, so order is kept).
  Result<void> enqueue(std::unique_ptr<Envelope> e, bool batchable = true);
  void send_system(std::unique_ptr<Envelope> e);
  ActorState state() const noexcept { return state_.load(std::memory_order_acquire); }
  ActorStats stats() const;
  Result<void> reconfigure_mailbox(MailboxOptions options);
  MailboxOptions mailbox_options() const noexcept { return mailbox_.options(); }
  ActorStats counters() const;  ///< stats() without the name (no allocation)
  std::uint64_t incarnation() const noexcept { return incarnation_.load(std::memory_order_acquire); }

  // --- called by the scheduler
  void run();
  /// Delivers what this worker thread batched during the turn that just ended.
  static void flush_outbox() noexcept;

  // --- requests (any thread); carried out on the cell's turn
  void request_start();
  void request_stop(StopMode mode, bool graceful = true);
  void request_restart(Error reason);
  void adopt(Cell* child);

  ActorSystem::Impl& sys;
  const std::uint64_t id;
  const std::string name;
  bool registered = false;  ///< set before start; the name is released on final stop
  Cell* const parent;       ///< holds a reference; null for top-level actors
  LiveLinks live;           ///< owned by the system's LiveSet
  std::atomic<bool> ever_subscribed{false};  ///< set by the broker: only then is there cleanup to do

 private:
  struct Start {};
  struct Stop {
    StopMode mode;
    bool graceful;
  };
  struct Restart {
    Error reason;
  };
  struct Adopt {
    ActorRef child;
  };
  struct ChildTerminated {
    Cell* child;
  };

  void schedule_if_idle() noexcept;
  bool batch(std::unique_ptr<Envelope>& e) noexcept;
  void handle_system(Envelope* e);
  void invoke(Envelope* e);
  void after_turn_of_actor(Actor& a);
  void on_failure(Error reason);
  void on_normal_exit();
  void start_actor(const Error* restart_reason);
  void begin_stop(StopMode mode, bool graceful);
  void proceed_stop(StopMode mode);
  void finish_stop();
  void drop_queued(Errc why);
  void answer_unreplied(Envelope* e, Errc why);
  void notify_parent(std::optional<Error> failure, bool final);
  void count_dead_letter(Envelope& e);
  bool turn_has_work() const noexcept;

  std::atomic<bool> scheduled_{false};
  std::atomic<ActorState> state_{ActorState::starting};
  std::atomic<std::uint64_t> incarnation_{0};
  ActorFactory factory_;
  std::unique_ptr<Actor> actor_;
  Mailbox mailbox_;
  MpscQueue system_queue_;
  std::atomic<std::uint32_t> system_pending_{0};

  // Own-turn only.
  std::vector<ActorRef> children_;
  std::size_t children_stopping_ = 0;
  bool stop_after_children_ = false;
  bool stop_graceful_ = true;
  std::uint64_t drain_budget_ = 0;  // user messages still to handle before a draining stop
  std::atomic<bool> draining_{false};  // atomic: read by turn_has_work after the turn gave up the cell

  // Stats: written by the owning turn (or senders for drops), read anywhere.
  std::atomic<std::uint64_t> handled_{0}, dropped_{0}, restarts_{0}, failures_{0}, dead_letters_{0};
};

}  // namespace airssys::rt::detail
