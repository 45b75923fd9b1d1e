#include <airssys/wasm/correlation.hpp>

#include <thread>

#include <airssys/rt/detail/spin_lock.hpp>

namespace airssys::wasm {

namespace {
constexpr std::uint32_t kNil = 0xFFFFFFFFu;
constexpr std::uint32_t kShardBits = 3;
constexpr std::uint32_t kSlotBits = 32 - kShardBits;
constexpr std::uint32_t kSlotMask = (1u << kSlotBits) - 1;
constexpr std::size_t kWheel = 1024;  // 1 ms ticks: a lap is ~1 s; longer deadlines wait for their lap
}  // namespace

struct CorrelationTracker::Slot {
  std::shared_ptr<ResponseSink> sink;         // null: the slot is free
  std::shared_ptr<const std::string> target;  // the requested address (Response.from)
  std::uint64_t deadline = 0;                 // ms since epoch_
  std::uint32_t gen = 1;                      // generation of the id living here
  std::uint32_t prev = kNil, next = kNil;     // wheel bucket links; `next` doubles as the free list
};

struct CorrelationTracker::Shard {
  // A spin lock, not a std::mutex: held for tens of nanoseconds, and its unlock is a plain store
  // where a mutex's is another atomic read-modify-write (two per request: add and take).
  rt::detail::SpinLock lock;
  std::vector<Slot> slots;  // guarded by lock (indices are stable; addresses are not)
  std::uint32_t free_head = kNil;
  std::array<std::uint32_t, kWheel> wheel;
  std::uint64_t done_until = 0;  // every tick <= this has been processed
  // Counters written under `lock` (no shared atomic read-modify-write on the hot path), read
  // without it by stats()/pending().
  std::atomic<std::uint64_t> registered{0}, answered{0}, cancelled{0}, timed_out{0}, live{0};
  void bump(std::atomic<std::uint64_t>& c, std::int64_t by = 1) {
    c.store(c.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(by), std::memory_order_relaxed);
  }

  Shard() { wheel.fill(kNil); }

  void link(std::uint32_t i) {
    auto& s = slots[i];
    auto& head = wheel[s.deadline % kWheel];
    s.prev = kNil;
    s.next = head;
    if (head != kNil) slots[head].prev = i;
    head = i;
  }
  void unlink(std::uint32_t i) {
    auto& s = slots[i];
    if (s.prev != kNil)
      slots[s.prev].next = s.next;
    else
      wheel[s.deadline % kWheel] = s.next;
    if (s.next != kNil) slots[s.next].prev = s.prev;
  }
  void release(std::uint32_t i) {
    auto& s = slots[i];
    s.sink.reset();
    s.target.reset();
    if (++s.gen == 0) s.gen = 1;
    s.prev = kNil;
    s.next = free_head;
    free_head = i;
  }
};

CorrelationTracker::CorrelationTracker(Scheduler scheduler)
    : scheduler_(std::move(scheduler)), epoch_(Clock::now()), guard_(std::make_shared<TimerGuard>()) {
  guard_->self = this;
  for (auto& s : shards_) s = std::make_unique<Shard>();
}

CorrelationTracker::~CorrelationTracker() {
  std::lock_guard lock(guard_->mutex);
  guard_->self = nullptr;
}

std::size_t CorrelationTracker::bytes_per_slot() noexcept { return sizeof(Slot); }

std::uint64_t CorrelationTracker::now_ms() const noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - epoch_).count());
}

std::uint64_t CorrelationTracker::add(std::shared_ptr<ResponseSink> sink, std::shared_ptr<const std::string> target,
                                      std::chrono::milliseconds timeout) {
  thread_local const unsigned home = static_cast<unsigned>(std::hash<std::thread::id>()(std::this_thread::get_id()));
  const std::uint32_t si = home % kShards;
  auto& sh = *shards_[si];
  // The deadline tick is rounded up from microseconds: a request never times out before its full
  // timeout has passed (tick() fires ticks <= floor(now)), and is late by < 1 ms from rounding.
  const auto now_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - epoch_).count());
  const std::uint64_t deadline =
      (now_us + static_cast<std::uint64_t>(std::max<long long>(timeout.count(), 1)) * 1000 + 999) / 1000;
  std::uint32_t i, gen;
  {
    std::lock_guard held(sh.lock);
    if (sh.free_head != kNil) {
      i = sh.free_head;
      sh.free_head = sh.slots[i].next;
    } else {
      i = static_cast<std::uint32_t>(sh.slots.size());
      sh.slots.emplace_back();
    }
    auto& s = sh.slots[i];
    s.sink = std::move(sink);
    s.target = std::move(target);
    s.deadline = std::max(deadline, sh.done_until + 1);
    gen = s.gen;
    sh.link(i);
    sh.bump(sh.registered);
    sh.bump(sh.live);
  }
  arm();
  return (std::uint64_t{gen} << 32) | (std::uint64_t{si} << kSlotBits) | i;
}

bool CorrelationTracker::take(std::uint64_t id, const ResponseSink* owner, std::shared_ptr<ResponseSink>& sink,
                              std::shared_ptr<const std::string>& target, Take why) {
  const auto gen = static_cast<std::uint32_t>(id >> 32);
  const auto si = static_cast<std::uint32_t>(id >> kSlotBits) & (kShards - 1);
  const auto i = static_cast<std::uint32_t>(id) & kSlotMask;
  auto& sh = *shards_[si];
  std::lock_guard held(sh.lock);
  if (i >= sh.slots.size()) return false;
  auto& s = sh.slots[i];
  if (!s.sink || s.gen != gen) return false;
  if (owner && s.sink.get() != owner) return false;
  sh.unlink(i);
  sink = std::move(s.sink);
  target = std::move(s.target);
  sh.release(i);
  sh.bump(sh.live, -1);
  if (why == Take::answer) sh.bump(sh.answered);
  if (why == Take::cancel) sh.bump(sh.cancelled);
  return true;
}

bool CorrelationTracker::resolve(std::uint64_t id, Outcome outcome, bool count_late) {
  std::shared_ptr<ResponseSink> sink;
  std::shared_ptr<const std::string> target;
  if (!take(id, nullptr, sink, target, Take::answer)) {
    if (count_late) late_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  sink->deliver(abi::Response{id, target ? *target : std::string(), std::move(outcome)});
  return true;
}

bool CorrelationTracker::cancel(std::uint64_t id, const ResponseSink* owner) {
  if (!owner) return false;
  std::shared_ptr<ResponseSink> sink;
  std::shared_ptr<const std::string> target;
  if (!take(id, owner, sink, target, Take::cancel)) return false;
  sink->deliver(abi::Response{id, target ? *target : std::string(),
                              tl::unexpected(abi::RequestError{abi::RequestError::Kind::cancelled, {}})});
  return true;
}

bool CorrelationTracker::withdraw(std::uint64_t id) {
  std::shared_ptr<ResponseSink> sink;
  std::shared_ptr<const std::string> target;
  return take(id, nullptr, sink, target, Take::withdraw);
}

std::size_t CorrelationTracker::tick() {
  const std::uint64_t now = now_ms();
  struct Due {
    std::uint64_t id;
    std::shared_ptr<ResponseSink> sink;
    std::shared_ptr<const std::string> target;
  };
  std::vector<Due> due;
  for (std::uint32_t si = 0; si < kShards; ++si) {
    auto& sh = *shards_[si];
    std::lock_guard held(sh.lock);
    if (now <= sh.done_until) continue;
    // Walk the buckets of the ticks elapsed since the last pass (at most one full lap).
    const std::uint64_t from = (now - sh.done_until > kWheel) ? now - kWheel + 1 : sh.done_until + 1;
    const auto before = due.size();
    for (std::uint64_t t = from; t <= now; ++t) {
      std::uint32_t i = sh.wheel[t % kWheel];
      while (i != kNil) {
        auto& s = sh.slots[i];
        const std::uint32_t next = s.next;
        if (s.deadline <= now) {
          sh.unlink(i);
          due.push_back(Due{(std::uint64_t{s.gen} << 32) | (std::uint64_t{si} << kSlotBits) | i, std::move(s.sink),
                            std::move(s.target)});
          sh.release(i);
        }
        i = next;
      }
    }
    sh.done_until = now;
    const auto n = static_cast<std::int64_t>(due.size() - before);
    sh.bump(sh.live, -n);
    sh.bump(sh.timed_out, n);
  }
  if (due.empty()) return 0;
  for (auto& d : due)
    d.sink->deliver(abi::Response{d.id, d.target ? *d.target : std::string(),
                                  tl::unexpected(abi::RequestError{abi::RequestError::Kind::timeout, {}})});
  return due.size();
}

std::size_t CorrelationTracker::fail_all(const abi::RequestError& error) {
  std::size_t n = 0;
  for (std::uint32_t si = 0; si < kShards; ++si) {
    std::vector<std::uint64_t> ids;
    {
      auto& sh = *shards_[si];
      std::lock_guard held(sh.lock);
      for (std::uint32_t i = 0; i < sh.slots.size(); ++i)
        if (sh.slots[i].sink) ids.push_back((std::uint64_t{sh.slots[i].gen} << 32) | (std::uint64_t{si} << kSlotBits) | i);
    }
    for (auto id : ids) n += resolve(id, tl::unexpected(error)) ? 1 : 0;
  }
  return n;
}

void CorrelationTracker::arm() {
  if (!scheduler_ || ticking_.load(std::memory_order_relaxed) || ticking_.exchange(true)) return;
  std::weak_ptr<TimerGuard> weak = guard_;
  // The next millisecond boundary of the tracker's clock: a deadline tick is due exactly then.
  const auto when = epoch_ + std::chrono::milliseconds(now_ms() + 1);
  scheduler_(when, [weak] {
    auto g = weak.lock();
    if (!g) return;
    std::lock_guard lock(g->mutex);
    if (g->self) g->self->on_timer();
  });
}

void CorrelationTracker::on_timer() {
  tick();
  ticking_.store(false);
  if (pending() > 0) arm();
}

std::size_t CorrelationTracker::pending() const noexcept {
  std::uint64_t n = 0;
  for (auto& sh : shards_) n += sh->live.load(std::memory_order_relaxed);
  return static_cast<std::size_t>(n);
}

CorrelationTracker::Stats CorrelationTracker::stats() const {
  Stats s;
  for (auto& sh : shards_) {
    s.registered += sh->registered.load(std::memory_order_relaxed);
    s.answered += sh->answered.load(std::memory_order_relaxed);
    s.timed_out += sh->timed_out.load(std::memory_order_relaxed);
    s.cancelled += sh->cancelled.load(std::memory_order_relaxed);
  }
  s.late = late_.load(std::memory_order_relaxed);
  s.pending = pending();
  return s;
}

}  // namespace airssys::wasm
