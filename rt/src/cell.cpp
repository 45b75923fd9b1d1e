#include "cell.hpp"

#include <algorithm>
#include <cassert>
#include <exception>

#include "system_impl.hpp"

namespace airssys::rt::detail {

void destroy(Cell* c) noexcept { delete c; }
Result<void> enqueue(Cell* c, std::unique_ptr<Envelope> e) { return c->enqueue(std::move(e)); }
std::uint64_t incarnation(Cell* c) noexcept { return c->incarnation(); }
ActorSystem& system_of(Cell* c) noexcept { return c->sys.owner; }

void ask(Cell* c, std::unique_ptr<Envelope> e, std::chrono::milliseconds timeout) {
  c->sys.deadlines.add(std::chrono::steady_clock::now() + timeout, e->reply, Error{Errc::timeout, c->name});
  (void)c->enqueue(std::move(e));  // a refused enqueue has already answered the request
}

namespace {
template <class T, class... Args>
std::unique_ptr<Envelope> sys_msg(Args&&... args) {
  return std::make_unique<TypedEnvelope<T>>(T{std::forward<Args>(args)...});
}
template <class T>
T* as(Envelope* e) noexcept {
  return e->type == type_id<T>() ? static_cast<T*>(e->data()) : nullptr;
}
std::string describe_exception(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}
}  // namespace

Cell::Cell(ActorSystem::Impl& s, std::uint64_t i, std::string n, ActorFactory f, MailboxOptions mb, Cell* p)
    : sys(s), id(i), name(std::move(n)), parent(p), factory_(std::move(f)), mailbox_(mb) {
  if (parent) add_ref(parent);
  // ActorRef reaches the count through refs_of(): it must sit at the start of the object.
  assert(static_cast<CellRefs*>(this) == refs_of(this));
}

Cell::~Cell() {
  // Nothing may be left unanswered, even when the system is torn down around a stuck actor.
  while (Envelope* e = mailbox_.pop()) {
    if (e->reply) e->reply->try_fail(Error{Errc::actor_stopped, name});
    delete e;
  }
  while (Envelope* e = system_queue_.pop()) delete e;
  if (parent) detail::release(parent);
}

// ---------------------------------------------------------------- outbox

namespace {
// What an actor sends during its turn to one (unbounded) target is batched and pushed with a
// single exchange on the target's mailbox when the turn ends, when it sends to another target
// (so the order of everything one actor sends is kept), or every kMaxBatch messages. Many
// senders into one mailbox then contend once per batch instead of once per message.
struct Outbox {
  Cell* target = nullptr;  // holds a reference
  Envelope* first = nullptr;
  Envelope* last = nullptr;
  std::uint64_t count = 0;
};
thread_local Outbox tl_outbox;
constexpr std::uint64_t kMaxBatch = 64;
}  // namespace

bool Cell::batch(std::unique_ptr<Envelope>& e) noexcept {
  if (mailbox_.bounded() || !sys.scheduler.on_worker()) return false;
  auto& o = tl_outbox;
  if (o.target != this) {
    flush_outbox();
    detail::add_ref(this);
    o.target = this;
  }
  Envelope* raw = e.release();
  raw->next.store(nullptr, std::memory_order_relaxed);
  if (o.first)
    o.last->next.store(raw, std::memory_order_relaxed);
  else
    o.first = raw;
  o.last = raw;
  if (++o.count >= kMaxBatch) flush_outbox();
  return true;
}

void Cell::flush_outbox() noexcept {
  auto& o = tl_outbox;
  if (!o.target) return;
  Outbox out = std::exchange(o, Outbox{});
  out.target->mailbox_.push_chain(out.first, out.last, out.count);
  out.target->schedule_if_idle();  // a stopped target drains late arrivals as dead letters
  detail::release(out.target);
}

// ---------------------------------------------------------------- any thread

Result<void> Cell::enqueue(std::unique_ptr<Envelope> e, bool batchable) {
  if (state() == ActorState::stopped) {
    count_dead_letter(*e);
    answer_unreplied(e.get(), Errc::actor_stopped);
    return fail(Errc::actor_stopped, name);
  }
  if (batchable && batch(e)) return {};
  std::unique_ptr<Envelope> evicted;
  switch (mailbox_.push(e, !sys.scheduler.on_worker(), evicted)) {
    case Mailbox::Outcome::accepted:
      break;
    case Mailbox::Outcome::rejected:
      dropped_.fetch_add(1, std::memory_order_relaxed);
      answer_unreplied(e.get(), Errc::mailbox_full);
      return fail(Errc::mailbox_full, name);
    case Mailbox::Outcome::dropped_newest:
      dropped_.fetch_add(1, std::memory_order_relaxed);
      answer_unreplied(e.get(), Errc::mailbox_full);
      return {};
    case Mailbox::Outcome::accepted_dropped_oldest:
      dropped_.fetch_add(1, std::memory_order_relaxed);
      answer_unreplied(evicted.get(), Errc::mailbox_full);
      break;
  }
  schedule_if_idle();
  return {};
}

Result<void> Cell::reconfigure_mailbox(MailboxOptions options) {
  if (state() == ActorState::stopped) return fail(Errc::actor_stopped, name);
  mailbox_.reconfigure(options);
  return {};
}

void Cell::send_system(std::unique_ptr<Envelope> e) {
  system_pending_.fetch_add(1, std::memory_order_seq_cst);
  system_queue_.push(e.release());
  schedule_if_idle();
}

void Cell::schedule_if_idle() noexcept {
  // The load spares a contended RMW when the cell is already scheduled; seq_cst on both sides
  // (here after the push, in run() after clearing the flag) means one of us sees the other.
  if (!scheduled_.load(std::memory_order_seq_cst) && !scheduled_.exchange(true, std::memory_order_seq_cst))
    sys.scheduler.schedule(this);
}

void Cell::request_start() { send_system(sys_msg<Start>()); }
void Cell::request_stop(StopMode mode, bool graceful) { send_system(sys_msg<Stop>(mode, graceful)); }
void Cell::request_restart(Error reason) { send_system(sys_msg<Restart>(std::move(reason))); }
void Cell::adopt(Cell* child) { send_system(sys_msg<Adopt>(ActorRef(child))); }

ActorStats Cell::stats() const {
  ActorStats s = counters();
  s.name = name;
  return s;
}

ActorStats Cell::counters() const {
  ActorStats s;
  s.id = id;
  s.state = state();
  s.handled = handled_.load(std::memory_order_relaxed);
  s.mailbox_depth = mailbox_.depth();
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.restarts = restarts_.load(std::memory_order_relaxed);
  s.failures = failures_.load(std::memory_order_relaxed);
  s.dead_letters = dead_letters_.load(std::memory_order_relaxed);
  return s;
}

void Cell::count_dead_letter(Envelope& e) {
  dead_letters_.fetch_add(1, std::memory_order_relaxed);
  sys.dead_letter(*this, e.type);
}

void Cell::answer_unreplied(Envelope* e, Errc why) {
  if (e && e->reply) e->reply->try_fail(Error{why, name});
}

// ---------------------------------------------------------------- own turn

bool Cell::turn_has_work() const noexcept {
  if (system_pending_.load(std::memory_order_seq_cst) > 0) return true;
  const auto st = state();
  if (st == ActorState::running || st == ActorState::stopped || draining_) return mailbox_.depth() > 0;
  return false;
}

void Cell::run() {
  while (system_pending_.load(std::memory_order_acquire) > 0) {
    Envelope* e = system_queue_.pop();
    if (!e) break;  // a sender is mid-push; we are rescheduled below
    system_pending_.fetch_sub(1, std::memory_order_relaxed);
    handle_system(e);
  }
  if (state() == ActorState::stopped) {
    drop_queued(Errc::actor_stopped);  // late arrivals
  } else {
    for (std::size_t budget = sys.options.throughput; budget > 0; --budget) {
      if (!(state() == ActorState::running || draining_)) break;
      if (system_pending_.load(std::memory_order_relaxed) > 0) break;
      Envelope* e = mailbox_.pop();
      if (!e) break;
      invoke(e);
      flush_outbox();
      if (draining_ && --drain_budget_ == 0) proceed_stop(StopMode::drain);
    }
  }
  scheduled_.store(false, std::memory_order_seq_cst);
  if (turn_has_work() && !scheduled_.exchange(true, std::memory_order_seq_cst)) sys.scheduler.schedule(this, true);
}

void Cell::handle_system(Envelope* raw) {
  std::unique_ptr<Envelope> e(raw);
  if (as<Start>(raw)) {
    if (state() == ActorState::starting) start_actor(nullptr);
  } else if (auto* s = as<Stop>(raw)) {
    if (!s->graceful) stop_graceful_ = false;
    if (!s->graceful) draining_ = false;
    begin_stop(s->mode, s->graceful);
  } else if (auto* r = as<Restart>(raw)) {
    const auto st = state();
    if (st == ActorState::stopping || st == ActorState::stopped) return;
    if (actor_) {
      try {
        actor_->on_stop();
      } catch (...) {
      }
      actor_.reset();
    }
    incarnation_.fetch_add(1, std::memory_order_acq_rel);
    restarts_.fetch_add(1, std::memory_order_relaxed);
    start_actor(&r->reason);
  } else if (auto* a = as<Adopt>(raw)) {
    if (state() == ActorState::stopping || state() == ActorState::stopped) {
      a->child.cell()->request_stop(StopMode::discard, stop_graceful_);
      if (state() == ActorState::stopping && stop_after_children_) {
        ++children_stopping_;
        children_.push_back(std::move(a->child));
      }
      return;
    }
    children_.push_back(std::move(a->child));
  } else if (auto* t = as<ChildTerminated>(raw)) {
    std::erase_if(children_, [&](const ActorRef& r) { return r.cell() == t->child; });
    if (stop_after_children_ && --children_stopping_ == 0) finish_stop();
  }
}

void Cell::start_actor(const Error* restart_reason) {
  try {
    if (!actor_) actor_ = factory_();
    actor_->cell_ = this;
    state_.store(ActorState::running, std::memory_order_release);
    if (restart_reason)
      actor_->on_restart(*restart_reason);
    else
      actor_->on_start();
  } catch (...) {
    on_failure(Error{Errc::actor_failed, name + ": start: " + describe_exception(std::current_exception())});
  }
}

void Cell::invoke(Envelope* raw) {
  std::unique_ptr<Envelope> e(raw);
  Actor& a = *actor_;
  std::optional<Error> failure;
  if (auto* k = as<ContinuationBase>(raw)) {
    if (k->incarnation != incarnation()) return;  // belongs to a previous instance's state
    try {
      k->run();
    } catch (...) {
      failure = Error{Errc::actor_failed, name + ": " + describe_exception(std::current_exception())};
    }
  } else if (as<HealthProbe>(raw)) {
    bool ok = false;
    try {
      ok = a.healthy();
    } catch (...) {
    }
    Responder(std::exchange(e->reply, nullptr)).reply(ok);
  } else {
    a.current_ = raw;
    a.stop_requested_ = false;
    try {
      Message m(*raw);
      a.receive(m);
    } catch (...) {
      failure = Error{Errc::actor_failed, name + ": " + describe_exception(std::current_exception())};
    }
    a.current_ = nullptr;
  }
  handled_.store(handled_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (!failure && a.failure_) failure = std::exchange(a.failure_, std::nullopt);
  if (e->reply) e->reply->try_fail(failure ? Error{Errc::actor_failed, failure->context} : Error{Errc::no_reply, name});
  if (failure)
    on_failure(std::move(*failure));
  else if (a.stop_requested_)
    on_normal_exit();
}

void Cell::on_failure(Error reason) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  actor_.reset();
  if (draining_) {  // already on its way out: no restart, just finish stopping
    stop_graceful_ = false;
    proceed_stop(StopMode::discard);
    return;
  }
  if (parent) {
    state_.store(ActorState::suspended, std::memory_order_release);
    notify_parent(std::move(reason), false);
  } else {
    begin_stop(StopMode::discard, false);
  }
}

void Cell::on_normal_exit() {
  if (draining_) {
    proceed_stop(StopMode::discard);
    return;
  }
  if (!parent) {
    begin_stop(StopMode::discard, true);
    return;
  }
  try {
    actor_->on_stop();
  } catch (...) {
  }
  actor_.reset();
  state_.store(ActorState::suspended, std::memory_order_release);
  notify_parent(std::nullopt, false);
}

void Cell::begin_stop(StopMode mode, bool graceful) {
  const auto st = state();
  if (st == ActorState::stopped || (st == ActorState::stopping && !draining_)) return;
  stop_graceful_ = stop_graceful_ && graceful;
  if (mode == StopMode::drain && st == ActorState::running && mailbox_.depth() > 0) {
    draining_ = true;
    drain_budget_ = mailbox_.depth();
    state_.store(ActorState::stopping, std::memory_order_release);
    return;
  }
  proceed_stop(mode);
}

void Cell::proceed_stop(StopMode mode) {
  draining_ = false;
  state_.store(ActorState::stopping, std::memory_order_release);
  drop_queued(Errc::actor_stopped);
  if (!children_.empty()) {
    stop_after_children_ = true;
    children_stopping_ = children_.size();
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) it->cell()->request_stop(mode, stop_graceful_);
    return;
  }
  finish_stop();
}

void Cell::finish_stop() {
  stop_after_children_ = false;
  if (actor_ && stop_graceful_) {
    try {
      actor_->on_stop();
    } catch (...) {
    }
  }
  actor_.reset();
  factory_ = nullptr;  // may own state that references children (a supervisor's): break the cycle
  state_.store(ActorState::stopped, std::memory_order_seq_cst);
  drop_queued(Errc::actor_stopped);
  ActorRef self(this);
  if (registered) sys.registry.unregister(name, self);
  if (ever_subscribed.load(std::memory_order_acquire)) sys.broker.unsubscribe_all(self);
  notify_parent(std::nullopt, true);
  sys.cell_stopped(*this);
}

void Cell::drop_queued(Errc why) {
  while (Envelope* e = mailbox_.pop()) {
    count_dead_letter(*e);
    answer_unreplied(e, why);
    delete e;
  }
}

void Cell::notify_parent(std::optional<Error> failure, bool final) {
  if (!parent) return;
  if (final) parent->send_system(sys_msg<ChildTerminated>(this));
  (void)parent->enqueue(make_envelope(ChildExit{ActorRef(this), incarnation(), std::move(failure), final}));
}

}  // namespace airssys::rt::detail
static_assert(sizeof(airssys::rt::detail::Cell) <= airssys::rt::detail::kMaxPooledBlock, "cells come from the pool");
