// Actors and actor references. Start here, then system.hpp.
//
//   struct Greeter : airssys::rt::Actor {
//     void receive(airssys::rt::Message& m) override {
//       if (auto* name = m.get_if<std::string>()) reply("hello " + *name);
//     }
//   };
//   ActorSystem sys;
//   auto ref = sys.spawn<Greeter>().value();
//   auto answer = ref.ask<std::string>(std::string("ada"), 100ms).get();   // "hello ada"
//
// An actor handles one message at a time; it never needs a lock for its own state.
// Thread-safety: ActorRef is a cheap copyable value, safe to use from any thread. Actor members
// are called only from the actor's own turn.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <airssys/error.hpp>
#include <airssys/rt/detail/cpu_relax.hpp>
#include <airssys/rt/message.hpp>

namespace airssys::rt {

class ActorSystem;
class ActorRef;

namespace detail {
class Cell;
/// The reference count, first base of every Cell: kept here so copying an ActorRef inlines to
/// one atomic increment.
struct CellRefs {
  std::atomic<std::uint32_t> refs{1};
};
inline CellRefs* refs_of(Cell* c) noexcept { return reinterpret_cast<CellRefs*>(c); }
void destroy(Cell* c) noexcept;
inline void add_ref(Cell* c) noexcept { refs_of(c)->refs.fetch_add(1, std::memory_order_relaxed); }
inline void release(Cell* c) noexcept {
  if (refs_of(c)->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(c);
}
/// Enqueues into the cell's mailbox, applying its overflow policy.
Result<void> enqueue(Cell* c, std::unique_ptr<Envelope> e);
/// Registers the request's deadline, then enqueues; a failure resolves the slot at once.
void ask(Cell* c, std::unique_ptr<Envelope> e, std::chrono::milliseconds timeout);
std::uint64_t incarnation(Cell* c) noexcept;
ActorSystem& system_of(Cell* c) noexcept;

/// The continuation of an in-actor ask, delivered to the asker as a message turn. Allocated
/// once at ask time (it carries the callback), filled with the result when the answer comes.
struct ContinuationBase : Envelope {
  explicit ContinuationBase(std::uint64_t inc) : Envelope(type_id<ContinuationBase>()), incarnation(inc) {}
  void* data() noexcept override { return this; }
  virtual void run() = 0;
  std::uint64_t incarnation;
};

template <class R, class F>
struct ContinuationEnvelope final : ContinuationBase {
  ContinuationEnvelope(std::uint64_t inc, F fn) : ContinuationBase(inc), f(std::move(fn)) {}
  void run() override { f(std::move(*result)); }
  F f;
  std::optional<Result<R>> result;
};

/// Blocking-future state of an ask from outside the system.
template <class R>
class AskState final : public ReplySlot {
 public:
  void fulfil(TypeId type, void* value) override {
    if (type == type_id<R>())
      result_.emplace(std::move(*static_cast<R*>(value)));
    else
      result_.emplace(fail_result(Errc::bad_reply_type));
    publish();
  }
  void fail(Error error) override {
    result_.emplace(tl::unexpected<Error>(std::move(error)));
    publish();
  }
  bool ready() const noexcept { return ready_.load(std::memory_order_acquire) != 0; }
  Result<R> take() {
    wait();
    return std::move(*result_);
  }
  void wait() const noexcept {
    for (int i = 0; i < 256 && !ready(); ++i) cpu_relax();
    while (!ready()) ready_.wait(0, std::memory_order_acquire);
  }

 private:
  static Result<R> fail_result(Errc code) { return tl::unexpected<Error>(Error{code, {}}); }
  void publish() noexcept {
    ready_.store(1, std::memory_order_release);
    ready_.notify_all();
  }
  std::optional<Result<R>> result_;
  mutable std::atomic<std::uint32_t> ready_{0};
};
}  // namespace detail

/// The answer to an ask from outside the system. `get()` blocks until reply, timeout or error.
template <class R>
class AskFuture {
 public:
  explicit AskFuture(std::shared_ptr<detail::AskState<R>> s) : state_(std::move(s)) {}
  Result<R> get() { return state_->take(); }
  bool ready() const noexcept { return state_->ready(); }

 private:
  std::shared_ptr<detail::AskState<R>> state_;
};

/// A cheap, copyable handle to an actor. Stays valid across restarts (same address).
class ActorRef {
 public:
  ActorRef() noexcept = default;
  explicit ActorRef(detail::Cell* c) noexcept : cell_(c) {
    if (cell_) detail::add_ref(cell_);
  }
  ActorRef(const ActorRef& o) noexcept : ActorRef(o.cell_) {}
  ActorRef(ActorRef&& o) noexcept : cell_(std::exchange(o.cell_, nullptr)) {}
  ActorRef& operator=(ActorRef o) noexcept {
    std::swap(cell_, o.cell_);
    return *this;
  }
  ~ActorRef() {
    if (cell_) detail::release(cell_);
  }

  explicit operator bool() const noexcept { return cell_ != nullptr; }
  friend bool operator==(const ActorRef& a, const ActorRef& b) noexcept { return a.cell_ == b.cell_; }

  /// Unique id of this actor within its system.
  std::uint64_t id() const noexcept;
  /// Debug name given at spawn (may be empty).
  const std::string& name() const noexcept;
  /// False once the actor has stopped for good.
  bool alive() const noexcept;

  /// Fire-and-forget. Errors: actor_stopped (counted as a dead letter), mailbox_full.
  template <class T>
  Result<void> tell(T&& msg) const {
    if (!cell_) return fail(Errc::invalid_argument, "empty ActorRef");
    return detail::enqueue(cell_, make_envelope(std::forward<T>(msg)));
  }

  /// Request-response from any thread. Answered exactly once: the reply, Errc::timeout,
  /// actor_stopped / actor_failed / no_reply, or mailbox_full.
  template <class R, class T>
  AskFuture<R> ask(T&& msg, std::chrono::milliseconds timeout) const {
    auto state = std::make_shared<detail::AskState<R>>();
    auto env = make_envelope(std::forward<T>(msg));
    env->reply = state;
    if (cell_)
      detail::ask(cell_, std::move(env), timeout);
    else
      state->try_fail(Error{Errc::invalid_argument, "empty ActorRef"});
    return AskFuture<R>(std::move(state));
  }

  detail::Cell* cell() const noexcept { return cell_; }

 private:
  detail::Cell* cell_ = nullptr;
};

/// A request taken out of the handler to be answered later (or by someone else).
/// Dropping it unanswered answers the requester with Errc::no_reply.
class Responder {
 public:
  Responder() = default;
  explicit Responder(std::shared_ptr<ReplySlot> s) : slot_(std::move(s)) {}
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& o) noexcept {
    abandon();
    slot_ = std::move(o.slot_);
    return *this;
  }
  ~Responder() { abandon(); }

  explicit operator bool() const noexcept { return slot_ != nullptr; }
  /// Returns false if the request was already resolved (e.g. it timed out).
  template <class T>
  bool reply(T&& value) {
    if (!slot_ || !slot_->claim()) return false;
    std::remove_cvref_t<T> v(std::forward<T>(value));
    std::exchange(slot_, nullptr)->fulfil(type_id<T>(), &v);
    return true;
  }
  bool fail(Error e) { return slot_ && std::exchange(slot_, nullptr)->try_fail(std::move(e)); }

 private:
  void abandon() {
    if (slot_) std::exchange(slot_, nullptr)->try_fail(Error{Errc::no_reply, "responder dropped"});
  }
  std::shared_ptr<ReplySlot> slot_;
};

/// Base class of every actor. Override receive(); the lifecycle hooks are optional.
class Actor {
 public:
  virtual ~Actor() = default;

  /// Handles one message. An exception escaping it fails the actor (its supervisor decides).
  virtual void receive(Message& msg) = 0;
  virtual void on_start() {}
  /// Called on a graceful stop (not on kill, not on failure).
  virtual void on_stop() {}
  /// Called on the fresh instance after a restart, instead of on_start().
  virtual void on_restart(const Error& reason) { on_start(); }
  /// Health probe, asked through the mailbox by a supervisor's health check.
  virtual bool healthy() { return true; }

 protected:
  ActorRef self() const noexcept { return ActorRef(cell_); }
  ActorSystem& system() const noexcept { return detail::system_of(cell_); }

  /// Answers the request being handled. No effect for a plain tell or an already answered request.
  template <class T>
  bool reply(T&& value) {
    Responder r(current_reply());
    return r.reply(std::forward<T>(value));
  }
  /// Takes the current request out, to answer it later. Without reply() or defer(), a request
  /// is answered with Errc::no_reply when the handler returns.
  Responder defer() { return Responder(current_reply()); }
  /// Stops this actor after the current message (a normal exit).
  void stop() noexcept { stop_requested_ = true; }
  /// Fails this actor after the current message, as if the handler had thrown.
  void fail(Error reason) { failure_ = std::move(reason); }

  /// Asks `to` and runs `on_result(Result<R>)` later inside this actor, as a message turn.
  /// The continuation is dropped if this actor restarts in between (its state is gone).
  template <class R, class T, class F>
  void ask(const ActorRef& to, T&& msg, std::chrono::milliseconds timeout, F&& on_result) {
    auto slot = std::make_shared<ContinuationSlot<R, std::decay_t<F>>>(self(), detail::incarnation(cell_),
                                                                        std::forward<F>(on_result));
    auto env = make_envelope(std::forward<T>(msg));
    env->reply = slot;
    if (to)
      detail::ask(to.cell(), std::move(env), timeout);
    else
      slot->try_fail(Error{Errc::invalid_argument, "empty ActorRef"});
  }

 private:
  friend class detail::Cell;

  template <class R, class F>
  class ContinuationSlot final : public ReplySlot {
   public:
    ContinuationSlot(ActorRef asker, std::uint64_t inc, F f)
        : asker_(std::move(asker)), env_(std::make_unique<detail::ContinuationEnvelope<R, F>>(inc, std::move(f))) {}
    void fulfil(TypeId type, void* value) override {
      if (type == type_id<R>())
        deliver(Result<R>(std::move(*static_cast<R*>(value))));
      else
        deliver(Result<R>(tl::unexpected<Error>(Error{Errc::bad_reply_type, {}})));
    }
    void fail(Error e) override { deliver(Result<R>(tl::unexpected<Error>(std::move(e)))); }

   private:
    void deliver(Result<R> r) {  // runs once: the slot was claimed
      env_->result.emplace(std::move(r));
      (void)detail::enqueue(asker_.cell(), std::move(env_));
    }
    ActorRef asker_;
    std::unique_ptr<detail::ContinuationEnvelope<R, F>> env_;
  };

  std::shared_ptr<ReplySlot> current_reply() noexcept {
    return current_ ? std::exchange(current_->reply, nullptr) : nullptr;
  }

  detail::Cell* cell_ = nullptr;
  Envelope* current_ = nullptr;
  bool stop_requested_ = false;
  std::optional<Error> failure_;
};

}  // namespace airssys::rt

template <>
struct std::hash<airssys::rt::ActorRef> {
  std::size_t operator()(const airssys::rt::ActorRef& r) const noexcept {
    return std::hash<const void*>()(r.cell());
  }
};
