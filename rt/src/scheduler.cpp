#include "scheduler.hpp"

#include <airssys/rt/detail/cpu_relax.hpp>

#include "cell.hpp"

namespace airssys::rt::detail {
namespace {
thread_local Scheduler* tl_scheduler = nullptr;
thread_local void* tl_worker = nullptr;
}  // namespace

Scheduler::Scheduler(std::size_t n) {
  if (n == 0) n = 1;
  for (std::size_t i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>());
  for (auto& w : workers_) w->thread = std::thread([this, wp = w.get()] { run(*wp); });
}

Scheduler::~Scheduler() { stop(); }

bool Scheduler::on_worker() const noexcept { return tl_scheduler == this; }

void Scheduler::schedule(Cell* c) {
  add_ref(c);
  if (tl_scheduler == this) {
    auto& w = *static_cast<Worker*>(tl_worker);
    Cell* displaced = std::exchange(w.next, c);
    if (!displaced) return;  // runs right after the current actor: no wake-up needed
    push(w, displaced);
    return;
  }
  push(*workers_[round_robin_.fetch_add(1, std::memory_order_relaxed) % workers_.size()], c);
}

void Scheduler::push(Worker& w, Cell* c) {
  {
    std::lock_guard lock(w.mutex);
    w.queue.push_back(c);
  }
  queued_.fetch_add(1, std::memory_order_seq_cst);
  // A spinning worker will find it; only when none is looking does a sleeper need a (costly) wake.
  if (spinning_.load(std::memory_order_seq_cst) == 0 && sleepers_.load(std::memory_order_seq_cst) > 0) wake_one();
}

void Scheduler::wake_one() noexcept {
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  epoch_.notify_one();
}

Cell* Scheduler::pop(Worker& w) {
  std::lock_guard lock(w.mutex);
  if (w.queue.empty()) return nullptr;
  Cell* c = w.queue.front();
  w.queue.pop_front();
  queued_.fetch_sub(1, std::memory_order_relaxed);
  return c;
}

// Takes half of a victim's queue (oldest first) in one visit, so a flood of ready actors is
// shared out without a lock round trip per actor.
Cell* Scheduler::steal(Worker& self) {
  for (auto& w : workers_) {
    if (w.get() == &self) continue;
    std::deque<Cell*> loot;
    {
      std::lock_guard lock(w->mutex);
      const std::size_t n = (w->queue.size() + 1) / 2;
      if (n == 0) continue;
      loot.assign(w->queue.begin(), w->queue.begin() + static_cast<std::ptrdiff_t>(n));
      w->queue.erase(w->queue.begin(), w->queue.begin() + static_cast<std::ptrdiff_t>(n));
    }
    Cell* first = loot.front();
    queued_.fetch_sub(1, std::memory_order_relaxed);
    if (loot.size() > 1) {
      std::lock_guard lock(self.mutex);
      self.queue.insert(self.queue.end(), loot.begin() + 1, loot.end());
    }
    return first;
  }
  return nullptr;
}

bool Scheduler::any_work() noexcept { return queued_.load(std::memory_order_seq_cst) > 0; }

Cell* Scheduler::find_work(Worker& w) {
  if (Cell* c = std::exchange(w.next, nullptr)) return c;
  if (queued_.load(std::memory_order_relaxed) == 0) return nullptr;
  if (Cell* c = pop(w)) return c;
  return steal(w);
}

void Scheduler::park() {
  // Spin briefly: most idle gaps under load are short, and a futex round trip costs microseconds.
  spinning_.fetch_add(1, std::memory_order_seq_cst);
  for (int i = 0; i < 256; ++i) {
    if (any_work() || stopping_.load(std::memory_order_relaxed)) break;
    cpu_relax();
  }
  spinning_.fetch_sub(1, std::memory_order_seq_cst);
  const auto seen = epoch_.load(std::memory_order_seq_cst);
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (!any_work() && !stopping_.load(std::memory_order_seq_cst)) epoch_.wait(seen, std::memory_order_seq_cst);
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
}

void Scheduler::run(Worker& w) {
  tl_scheduler = this;
  tl_worker = &w;
  for (;;) {
    if (Cell* c = find_work(w)) {
      c->run();
      release(c);
      continue;
    }
    if (stopping_.load(std::memory_order_acquire)) break;
    park();
  }
  tl_scheduler = nullptr;
  tl_worker = nullptr;
}

void Scheduler::stop() {
  if (stopping_.exchange(true)) return;
  epoch_.fetch_add(1);
  epoch_.notify_all();
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  for (auto& w : workers_) {
    if (w->next) release(std::exchange(w->next, nullptr));
    for (Cell* c : w->queue) release(c);
    w->queue.clear();
  }
}

}  // namespace airssys::rt::detail
