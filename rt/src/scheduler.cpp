#include "scheduler.hpp"

#include <airssys/rt/detail/cpu_relax.hpp>

#include "cell.hpp"

namespace airssys::rt::detail {
namespace {
thread_local Scheduler* tl_scheduler = nullptr;
thread_local void* tl_worker = nullptr;

using Clock = std::chrono::steady_clock;
constexpr auto kSpinFor = std::chrono::microseconds(20);  // idle spin before parking
constexpr std::int64_t kStealAfterNs = 100'000;           // queued this long: another core helps
constexpr std::size_t kBacklog = 32;                      // a queue this long wakes a parked worker

std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}
}  // namespace

Scheduler::Scheduler(std::size_t n) {
  if (n == 0) n = 1;
  for (std::size_t i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>());
  for (auto& w : workers_) w->thread = std::thread([this, wp = w.get()] { run(*wp); });
  watchdog_ = std::thread([this] { watch(); });
}

void Scheduler::watch() {
  std::vector<std::uint64_t> last(workers_.size(), ~0ull);
  while (!stopping_.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      auto& v = *workers_[i];
      const auto turns = v.turns.load(std::memory_order_relaxed);
      const bool waiting = v.size.load(std::memory_order_relaxed) > 0 || v.next.load(std::memory_order_relaxed);
      if (turns == last[i] && waiting && !v.parked.load(std::memory_order_relaxed) &&
          spinning_.load(std::memory_order_relaxed) == 0 && sleepers_.load(std::memory_order_relaxed) > 0)
        wake_one();
      last[i] = turns;
    }
  }
}

Scheduler::~Scheduler() { stop(); }

bool Scheduler::on_worker() const noexcept { return tl_scheduler == this; }

void Scheduler::schedule(Cell* c, bool yielded) {
  add_ref(c);
  if (tl_scheduler == this) {
    auto& w = *static_cast<Worker*>(tl_worker);
    if (yielded) return push(w, c, false);
    Cell* displaced = w.next.exchange(c, std::memory_order_acq_rel);
    if (displaced) push(w, displaced, false);
    return;
  }
  push(*workers_[round_robin_.fetch_add(1, std::memory_order_relaxed) % workers_.size()], c, true);
}

void Scheduler::push(Worker& w, Cell* c, bool external) {
  const auto now = now_ns();
  std::size_t size;
  {
    std::lock_guard lock(w.mutex);
    w.queue.emplace_back(c, now);
    size = w.queue.size();
    if (size == 1) w.oldest.store(now, std::memory_order_relaxed);
    w.size.store(size, std::memory_order_seq_cst);
  }
  // From outside, nobody may be awake to run it; from a worker, it runs after the current turn
  // anyway, so only a backlog is worth a (costly) wake-up, once, as the queue reaches it. A
  // spinning worker needs none.
  if ((external || size == kBacklog) && spinning_.load(std::memory_order_seq_cst) == 0 &&
      sleepers_.load(std::memory_order_seq_cst) > 0)
    wake_one();
}

// One wake-up in flight at a time: until the woken worker is up and looking (it clears the flag),
// further pushes need not pay for another futex call.
void Scheduler::wake_one() noexcept {
  if (waking_.exchange(true, std::memory_order_seq_cst)) return;
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  epoch_.notify_one();
}

Cell* Scheduler::pop(Worker& w) {
  if (w.size.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard lock(w.mutex);
  if (w.queue.empty()) return nullptr;
  Cell* c = w.queue.front().first;
  w.queue.pop_front();
  after_removal(w);
  return c;
}

void Scheduler::after_removal(Worker& w) noexcept {
  if (!w.queue.empty()) w.oldest.store(w.queue.front().second, std::memory_order_relaxed);
  w.size.store(w.queue.size(), std::memory_order_relaxed);
}

// Takes half of the victim's queue (oldest first) in one visit.
Cell* Scheduler::steal_from(Worker& self, Worker& victim) {
  std::deque<std::pair<Cell*, std::int64_t>> loot;
  {
    std::lock_guard lock(victim.mutex);
    const std::size_t n = (victim.queue.size() + 1) / 2;
    if (n == 0) return nullptr;
    const auto cut = victim.queue.begin() + static_cast<std::ptrdiff_t>(n);
    loot.assign(victim.queue.begin(), cut);
    victim.queue.erase(victim.queue.begin(), cut);
    after_removal(victim);
  }
  Cell* first = loot.front().first;
  if (loot.size() > 1) {
    std::lock_guard lock(self.mutex);
    const bool was_empty = self.queue.empty();
    self.queue.insert(self.queue.end(), loot.begin() + 1, loot.end());
    if (was_empty) self.oldest.store(self.queue.front().second, std::memory_order_relaxed);
    self.size.store(self.queue.size(), std::memory_order_relaxed);
  }
  return first;
}

bool Scheduler::worth_stealing(const Worker& v, std::int64_t now) const noexcept {
  if (v.size.load(std::memory_order_relaxed) == 0) return false;
  return v.parked.load(std::memory_order_relaxed) || now - v.oldest.load(std::memory_order_relaxed) >= kStealAfterNs;
}

Cell* Scheduler::find_work(Worker& w) {
  // The next slot keeps a conversation on one core, but two actors answering each other forever
  // must not starve the queue: after kMaxNextStreak turns in a row, the queue goes first.
  constexpr unsigned kMaxNextStreak = 32;
  if (w.next_streak >= kMaxNextStreak) {
    w.next_streak = 0;
    if (Cell* c = pop(w)) return c;
  }
  if (w.next.load(std::memory_order_relaxed))
    if (Cell* c = w.next.exchange(nullptr, std::memory_order_acq_rel)) {
      ++w.next_streak;
      return c;
    }
  w.next_streak = 0;
  if (Cell* c = pop(w)) return c;
  const auto now = now_ns();
  for (auto& v : workers_)
    if (v.get() != &w && worth_stealing(*v, now))
      if (Cell* c = steal_from(w, *v)) return c;
  return nullptr;
}

// The condition a parking worker re-checks after announcing itself; it matches what push()
// wakes for, so no wake-up is lost.
bool Scheduler::worth_waking_for() noexcept {
  for (auto& v : workers_) {
    const auto n = v->size.load(std::memory_order_seq_cst);
    if (n >= kBacklog || (n > 0 && v->parked.load(std::memory_order_seq_cst))) return true;
  }
  return false;
}

void Scheduler::idle(Worker& w) {
  // Spin a while: most idle gaps under load are short, and a futex round trip costs microseconds.
  // Meanwhile, take over actors that have waited too long behind a busy worker.
  spinning_.fetch_add(1, std::memory_order_seq_cst);
  auto& seen = w.seen;
  seen.resize(workers_.size());
  bool found = false;
  for (const auto start = now_ns(); !found;) {
    if (stopping_.load(std::memory_order_relaxed) || w.size.load(std::memory_order_relaxed) > 0) break;
    const auto now = now_ns();
    if (now - start >= std::chrono::nanoseconds(kSpinFor).count()) break;
    for (std::size_t i = 0; i < workers_.size() && !found; ++i) {
      auto& v = *workers_[i];
      if (&v == &w) continue;
      const auto turns = v.turns.load(std::memory_order_relaxed);
      if (turns != seen[i].first || seen[i].second == 0) seen[i] = {turns, now};
      Cell* c = worth_stealing(v, now) ? steal_from(w, v) : nullptr;
      if (!c && now - seen[i].second >= kStealAfterNs && v.next.load(std::memory_order_relaxed))
        c = v.next.exchange(nullptr, std::memory_order_acq_rel);  // its owner is stuck in a long turn
      if (c) {
        w.next.store(c, std::memory_order_relaxed);  // run it as if popped
        found = true;
      }
    }
    for (int k = 0; k < 16; ++k) cpu_relax();
  }
  spinning_.fetch_sub(1, std::memory_order_seq_cst);
  if (found || stopping_.load(std::memory_order_relaxed) || w.size.load(std::memory_order_relaxed) > 0) return;

  const auto epoch = epoch_.load(std::memory_order_seq_cst);
  w.parked.store(true, std::memory_order_seq_cst);
  // A wake-up still "in flight" must not outlive this: if it was meant for work, the re-check
  // below finds that work; if the flag stayed set while everyone sleeps, no push could wake us.
  waking_.store(false, std::memory_order_seq_cst);
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (!worth_waking_for() && !stopping_.load(std::memory_order_seq_cst)) epoch_.wait(epoch, std::memory_order_seq_cst);
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
  waking_.store(false, std::memory_order_seq_cst);
  w.parked.store(false, std::memory_order_seq_cst);
}

void Scheduler::run(Worker& w) {
  tl_scheduler = this;
  tl_worker = &w;
  for (;;) {
    if (Cell* c = find_work(w)) {
      w.turns.store(w.turns.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      c->run();
      Cell::flush_outbox();  // sends made outside a handler (hooks, system messages)
      release(c);
      continue;
    }
    if (stopping_.load(std::memory_order_acquire)) break;
    idle(w);
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
  if (watchdog_.joinable()) watchdog_.join();
  for (auto& w : workers_) {
    if (Cell* c = w->next.exchange(nullptr)) release(c);
    for (auto& [c, t] : w->queue) release(c);
    w->queue.clear();
  }
}

}  // namespace airssys::rt::detail
