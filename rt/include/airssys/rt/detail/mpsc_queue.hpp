// Intrusive multi-producer single-consumer queue (Vyukov). One atomic exchange per push.
// Thread-safety: push() from any thread; pop() from the single consumer only.
#pragma once

#include <atomic>
#include <cstdint>

#include <airssys/rt/message.hpp>

namespace airssys::rt::detail {

class MpscQueue {
 public:
  MpscQueue() noexcept : head_(&sentinel_), tail_(&sentinel_) {}
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;

  void push(Envelope* e) noexcept {
    e->next.store(nullptr, std::memory_order_relaxed);
    push_chain(e, e, 1);
  }

  /// Pushes `count` envelopes already linked first..last with one exchange on the shared head.
  void push_chain(Envelope* first, Envelope* last, std::uint64_t count) noexcept {
    pushed_.fetch_add(count, std::memory_order_seq_cst);
    last->next.store(nullptr, std::memory_order_relaxed);
    Envelope* prev = head_.exchange(last, std::memory_order_acq_rel);
    prev->next.store(first, std::memory_order_release);
  }

  /// Messages pushed and not yet popped (exact when quiescent). The two counters live on the
  /// producers' and the consumer's cache lines respectively, so counting adds no line transfer.
  std::uint64_t depth() const noexcept {
    return pushed_.load(std::memory_order_seq_cst) - popped_.load(std::memory_order_seq_cst);
  }

  /// nullptr when empty, or briefly while a producer is between its two steps.
  Envelope* pop() noexcept {
    Envelope* tail = tail_;
    Envelope* next = tail->next.load(std::memory_order_acquire);
    if (tail == &sentinel_) {
      if (next == nullptr) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next != nullptr) {
      tail_ = next;
      return counted(tail);
    }
    if (tail != head_.load(std::memory_order_acquire)) return nullptr;
    link(&sentinel_);
    next = tail->next.load(std::memory_order_acquire);
    if (next != nullptr) {
      tail_ = next;
      return counted(tail);
    }
    return nullptr;
  }

 private:
  void link(Envelope* e) noexcept {
    e->next.store(nullptr, std::memory_order_relaxed);
    Envelope* prev = head_.exchange(e, std::memory_order_acq_rel);
    prev->next.store(e, std::memory_order_release);
  }
  Envelope* counted(Envelope* e) noexcept {
    popped_.store(popped_.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
    return e;
  }

  struct Sentinel final : Envelope {
    Sentinel() : Envelope(nullptr) {}
    void* data() noexcept override { return nullptr; }
  };
  // Producers' and consumer's fields sit 64+ bytes apart (padding, not alignas: an over-aligned
  // cell would need the slow aligned allocator at every spawn).
  std::atomic<Envelope*> head_;
  std::atomic<std::uint64_t> pushed_{0};
  [[maybe_unused]] char pad_[64];
  Envelope* tail_;
  std::atomic<std::uint64_t> popped_{0};
  Sentinel sentinel_;
};

}  // namespace airssys::rt::detail
