// Intrusive multi-producer single-consumer queue (Vyukov). One atomic exchange per push.
// Thread-safety: push() from any thread; pop() from the single consumer only.
#pragma once

#include <atomic>

#include <airssys/rt/message.hpp>

namespace airssys::rt::detail {

class MpscQueue {
 public:
  MpscQueue() noexcept : head_(&stub_), tail_(&stub_) {}
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;

  void push(Envelope* e) noexcept {
    e->next.store(nullptr, std::memory_order_relaxed);
    Envelope* prev = head_.exchange(e, std::memory_order_acq_rel);
    prev->next.store(e, std::memory_order_release);
  }

  /// nullptr when empty, or briefly while a producer is between its two steps.
  Envelope* pop() noexcept {
    Envelope* tail = tail_;
    Envelope* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (next == nullptr) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    if (tail != head_.load(std::memory_order_acquire)) return nullptr;
    push(&stub_);
    next = tail->next.load(std::memory_order_acquire);
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    return nullptr;
  }

 private:
  struct Stub final : Envelope {
    Stub() : Envelope(nullptr) {}
    void* data() noexcept override { return nullptr; }
  };
  alignas(64) std::atomic<Envelope*> head_;
  alignas(64) Envelope* tail_;
  Stub stub_;
};

}  // namespace airssys::rt::detail
