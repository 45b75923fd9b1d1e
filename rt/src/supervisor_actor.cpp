#include "supervisor_actor.hpp"

#include <algorithm>
#include <cmath>

#include "cell.hpp"

namespace airssys::rt::detail {

using Clock = std::chrono::steady_clock;

void SupervisorActor::start_child(SupervisorState::Child& c) {
  c.ref.cell()->request_start();
  if (c.spec.health && c.health_timer == 0)
    c.health_timer = system().send_periodic(self(), c.spec.health->interval, HealthTick{c.ref});
}

void SupervisorActor::on_start() {
  std::lock_guard lock(state_->mutex);
  for (auto& c : state_->children) start_child(c);
}

void SupervisorActor::on_restart(const Error& reason) {
  // A fresh supervisor gives its subtree a fresh start, in place.
  std::lock_guard lock(state_->mutex);
  for (auto& c : state_->children) {
    if (c.stopped) continue;
    c.expected_incarnation = c.ref.cell()->incarnation() + 1;
    c.health_failures = 0;
    c.ref.cell()->request_restart(reason);
  }
}

void SupervisorActor::on_stop() {
  std::lock_guard lock(state_->mutex);
  for (auto& c : state_->children)
    if (c.health_timer) system().cancel_timer(std::exchange(c.health_timer, 0));
}

void SupervisorActor::receive(Message& msg) {
  if (auto* e = msg.get_if<ChildExit>()) {
    on_child_exit(*e);
  } else if (auto* t = msg.get_if<HealthTick>()) {
    const auto* c = find(t->child);
    if (!c || c->stopped || !c->spec.health) return;
    ActorRef child = t->child;
    ask<bool>(child, HealthProbe{}, c->spec.health->timeout,
              [this, child](Result<bool> r) { on_health(child, r.has_value() && *r); });
  } else if (auto* a = msg.get_if<ChildAdded>()) {
    std::lock_guard lock(state_->mutex);
    if (auto* c = find(a->child)) start_child(*c);
  }
}

SupervisorState::Child* SupervisorActor::find(const ActorRef& r) {
  auto i = index_of(r);
  return i < state_->children.size() ? &state_->children[i] : nullptr;
}

std::size_t SupervisorActor::index_of(const ActorRef& r) const {
  auto& cs = state_->children;
  return static_cast<std::size_t>(std::find_if(cs.begin(), cs.end(), [&](auto& c) { return c.ref == r; }) - cs.begin());
}

void SupervisorActor::on_child_exit(ChildExit& e) {
  std::unique_lock lock(state_->mutex);
  const auto i = index_of(e.child);
  if (i >= state_->children.size()) return;
  auto& c = state_->children[i];
  if (e.final) {
    c.stopped = true;
    if (c.health_timer) system().cancel_timer(std::exchange(c.health_timer, 0));
    return;
  }
  if (e.incarnation < c.expected_incarnation) return;  // the child was restarted since
  const bool restart = c.spec.restart == RestartPolicy::permanent ||
                       (c.spec.restart == RestartPolicy::transient && e.failure.has_value());
  if (!restart) {
    c.ref.cell()->request_stop(StopMode::discard, true);
    return;
  }
  const Error reason = e.failure.value_or(Error{Errc::actor_stopped, c.spec.name + " exited"});
  if (intensity_exceeded()) {
    lock.unlock();
    fail(Error{Errc::actor_failed, "restart intensity exceeded (" + std::to_string(state_->spec.max_restarts) +
                                       " in " + std::to_string(state_->spec.within.count()) + " ms): " + reason.message()});
    return;
  }
  restart_for(i, reason);
}

bool SupervisorActor::intensity_exceeded() {
  const auto now = Clock::now();
  recent_restarts_.push_back(now);
  while (!recent_restarts_.empty() && now - recent_restarts_.front() > state_->spec.within) recent_restarts_.pop_front();
  return recent_restarts_.size() > state_->spec.max_restarts;
}

std::chrono::milliseconds SupervisorActor::backoff_for(SupervisorState::Child& c) {
  const auto now = Clock::now();
  c.consecutive_restarts = (now - c.last_restart < state_->spec.within) ? c.consecutive_restarts + 1 : 1;
  c.last_restart = now;
  const auto& b = state_->spec.backoff;
  if (b.initial.count() == 0) return std::chrono::milliseconds(0);
  const double ms = static_cast<double>(b.initial.count()) * std::pow(b.multiplier, c.consecutive_restarts - 1);
  return std::chrono::milliseconds(static_cast<long long>(std::min(ms, static_cast<double>(b.max.count()))));
}

void SupervisorActor::restart_for(std::size_t failed, const Error& reason) {
  auto& cs = state_->children;
  std::size_t first = failed, last = failed + 1;
  if (state_->spec.strategy == Strategy::one_for_all) first = 0, last = cs.size();
  if (state_->spec.strategy == Strategy::rest_for_one) last = cs.size();
  const auto delay = backoff_for(cs[failed]);
  std::vector<ActorRef> targets;
  for (std::size_t j = first; j < last; ++j) {
    auto& c = cs[j];
    if (c.stopped) continue;
    const auto current = c.ref.cell()->incarnation();
    if (c.expected_incarnation > current) continue;  // a restart is already on its way
    c.expected_incarnation = current + 1;
    c.health_failures = 0;
    targets.push_back(c.ref);
  }
  auto restart_all = [targets, reason] {
    for (auto& t : targets) t.cell()->request_restart(reason);
  };
  if (delay.count() == 0)
    restart_all();
  else
    system().call_after(delay, std::move(restart_all));  // backoff blocks no one
}

void SupervisorActor::on_health(const ActorRef& child, bool ok) {
  std::unique_lock lock(state_->mutex);
  const auto i = index_of(child);
  if (i >= state_->children.size()) return;
  auto& c = state_->children[i];
  if (ok || c.stopped) {
    c.health_failures = 0;
    return;
  }
  if (++c.health_failures < c.spec.health->failures_to_restart) return;
  c.health_failures = 0;
  const Error reason{Errc::actor_failed, c.spec.name + ": health check failed"};
  if (intensity_exceeded()) {
    lock.unlock();
    fail(Error{Errc::actor_failed, "restart intensity exceeded: " + reason.message()});
    return;
  }
  restart_for(i, reason);
}

}  // namespace airssys::rt::detail
