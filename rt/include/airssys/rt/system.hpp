// The actor system: scheduler (N worker threads), timers (one Asio io_context thread),
// registry, broker, supervision, introspection.
// Thread-safety: every public member is safe from any thread, including from inside actors.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <airssys/error.hpp>
#include <airssys/rt/actor.hpp>
#include <airssys/rt/broker.hpp>
#include <airssys/rt/mailbox.hpp>
#include <airssys/rt/registry.hpp>
#include <airssys/rt/stats.hpp>
#include <airssys/rt/supervisor.hpp>

namespace airssys::rt {

struct SystemOptions {
  std::size_t workers = 0;      ///< scheduler threads; 0 = hardware threads
  std::size_t throughput = 64;  ///< messages an actor handles per turn before yielding its worker
  std::chrono::milliseconds shutdown_timeout{5000};  ///< after it, what is left is killed
};

struct SpawnOptions {
  std::string name;              ///< debug name; registered in the registry when `register_name`
  bool register_name = false;
  MailboxOptions mailbox;
};

enum class StopMode : unsigned char {
  drain,    ///< handle what is queued, then stop
  discard,  ///< drop what is queued (requests in it get actor_stopped), then stop
};

/// A message that reached a stopped actor.
struct DeadLetter {
  std::uint64_t actor_id;
  std::string actor_name;
  TypeId type;
};

using TimerId = std::uint64_t;

class ActorSystem {
 public:
  explicit ActorSystem(SystemOptions options = {});
  /// Shuts down (draining) if not done yet.
  ~ActorSystem();
  ActorSystem(const ActorSystem&) = delete;
  ActorSystem& operator=(const ActorSystem&) = delete;

  /// Spawns an unsupervised actor. Errors: name_taken, system_stopped.
  Result<ActorRef> spawn(ActorFactory factory, SpawnOptions options = {});
  template <class A, class... Args>
  Result<ActorRef> spawn(Args&&... args) {
    return spawn(make_factory<A>(std::forward<Args>(args)...));
  }
  template <class A, class... Args>
  Result<ActorRef> spawn_with(SpawnOptions options, Args&&... args) {
    return spawn(make_factory<A>(std::forward<Args>(args)...), std::move(options));
  }

  /// Spawns a supervisor and its children (started in order).
  Result<ActorRef> spawn_supervisor(SupervisorSpec spec, SpawnOptions options = {});
  /// Adds a child to a running supervisor and starts it.
  Result<ActorRef> start_child(const ActorRef& supervisor, ChildSpec child);
  /// A supervisor's child by name (empty ref if none). Stable across restarts.
  ActorRef child(const ActorRef& supervisor, std::string_view name) const;
  std::vector<ActorRef> children(const ActorRef& supervisor) const;

  /// Graceful stop: on_stop runs; children stop before their parent.
  void stop(const ActorRef& ref, StopMode mode = StopMode::drain);
  /// Changes a running actor's mailbox capacity and overflow policy for the next message sent.
  /// Nothing queued is dropped: below a new, smaller capacity senders are refused (or evict, per
  /// policy) until the depth falls under it. An unbounded mailbox can become bounded; once
  /// bounded, capacity 0 means no limit (the actor keeps the locked ring). Survives restarts.
  /// Errors: not_found (empty ref), actor_stopped.
  Result<void> set_mailbox(const ActorRef& ref, MailboxOptions options);
  /// The actor's current mailbox options (nullopt for an empty ref).
  std::optional<MailboxOptions> mailbox_of(const ActorRef& ref) const;
  /// Immediate stop after the current message: no on_stop, queue discarded.
  void kill(const ActorRef& ref);

  ActorRegistry& registry() noexcept;
  MessageBroker& broker() noexcept;

  /// Delivers `msg` to `to` after `delay` (on an Asio timer; no thread blocks).
  template <class T>
  TimerId send_after(const ActorRef& to, std::chrono::milliseconds delay, T msg) {
    return schedule_timer(to, delay, std::chrono::milliseconds(0), [m = std::move(msg)] { return make_envelope(T(m)); });
  }
  /// Delivers a copy of `msg` every `interval` until cancelled or the target stops.
  template <class T>
  TimerId send_periodic(const ActorRef& to, std::chrono::milliseconds interval, T msg) {
    return schedule_timer(to, interval, interval, [m = std::move(msg)] { return make_envelope(T(m)); });
  }
  /// True if the timer was pending and is now cancelled.
  bool cancel_timer(TimerId id);

  /// Runs `fn` on the timer thread after `delay` (for host code that needs a deadline).
  void call_after(std::chrono::milliseconds delay, std::function<void()> fn);
  /// Runs `fn` on the timer thread at `when` (or at once if it has passed): for periodic host
  /// work that must not drift (each run schedules the next at an absolute time).
  void call_at(std::chrono::steady_clock::time_point when, std::function<void()> fn);

  SystemStats stats() const;
  std::vector<ActorStats> actors() const;
  std::optional<ActorStats> stats_of(const ActorRef& ref) const;
  /// Called (on the sender's thread) for every dead letter. Set before use; not synchronized.
  void on_dead_letter(std::function<void(const DeadLetter&)> fn);

  /// Stops every actor (children before parents), waits up to shutdown_timeout, then joins the
  /// threads. Idempotent; later spawns fail with system_stopped.
  void shutdown(StopMode mode = StopMode::drain);
  std::size_t worker_count() const noexcept;

  struct Impl;  // defined in rt/src; named here so the runtime's sources can reach it

 private:
  template <class A, class... Args>
  static ActorFactory make_factory(Args&&... args) {
    return [... a = std::forward<Args>(args)]() -> std::unique_ptr<Actor> { return std::make_unique<A>(a...); };
  }
  TimerId schedule_timer(const ActorRef& to, std::chrono::milliseconds delay, std::chrono::milliseconds period,
                         std::function<std::unique_ptr<Envelope>()> make);

  std::unique_ptr<Impl> impl_;
};

}  // namespace airssys::rt
