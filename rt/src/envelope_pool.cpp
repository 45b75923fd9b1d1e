#include <airssys/rt/detail/envelope_pool.hpp>

#include <array>
#include <mutex>
#include <new>
#include <vector>

#include <airssys/rt/detail/spin_lock.hpp>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AIRSSYS_POOL_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define AIRSSYS_POOL_DISABLED 1
#endif
#endif

namespace airssys::rt::detail {
namespace {
constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = kMaxPooledBlock / kGranule;
constexpr std::size_t kBatch = 64;       // blocks moved between a thread cache and the depot at once
constexpr std::size_t kCacheMax = 2 * kBatch;

struct Node {
  Node* next;
};

struct Chain {
  Node* head = nullptr;
  std::size_t count = 0;
};

// Where full batches wait for a thread that runs dry. Immortal (never destroyed), so envelopes
// freed during static destruction still have somewhere to go.
struct Depot {
  std::array<SpinLock, kClasses> locks;
  std::array<std::vector<Node*>, kClasses> batches;  // each a chain of kBatch nodes
};
Depot& depot() {
  static Depot* d = new Depot;
  return *d;
}

thread_local bool cache_gone = false;  // trivially destructible: readable after ~Cache

struct Cache {
  std::array<Chain, kClasses> chains;
  ~Cache() {  // thread exit: hand everything back
    cache_gone = true;
    for (std::size_t c = 0; c < kClasses; ++c)
      while (chains[c].head) give_batch(c);
  }
  void give_batch(std::size_t c) {
    Chain& ch = chains[c];
    Node* head = ch.head;
    Node* tail = head;
    std::size_t n = 1;
    while (n < kBatch && tail->next) tail = tail->next, ++n;
    ch.head = tail->next;
    ch.count -= n;
    tail->next = nullptr;
    auto& d = depot();
    std::lock_guard lock(d.locks[c]);
    d.batches[c].push_back(head);
  }
  bool take_batch(std::size_t c) {
    auto& d = depot();
    Node* head = nullptr;
    {
      std::lock_guard lock(d.locks[c]);
      if (d.batches[c].empty()) return false;
      head = d.batches[c].back();
      d.batches[c].pop_back();
    }
    std::size_t n = 0;
    for (Node* p = head; p; p = p->next) ++n;
    chains[c] = Chain{head, n};
    return true;
  }
};
thread_local Cache cache;

std::size_t class_of(std::size_t size) noexcept { return (size + kGranule - 1) / kGranule - 1; }
}  // namespace

void* pool_allocate(std::size_t size) {
#ifndef AIRSSYS_POOL_DISABLED
  if (size <= kMaxPooledBlock && size > 0 && !cache_gone) {
    const auto c = class_of(size);
    Chain& ch = cache.chains[c];
    if (ch.head || cache.take_batch(c)) {
      Node* n = ch.head;
      ch.head = n->next;
      --ch.count;
      return n;
    }
    return ::operator new((c + 1) * kGranule);
  }
#endif
  return ::operator new(size);
}

void pool_deallocate(void* p, std::size_t size) noexcept {
#ifndef AIRSSYS_POOL_DISABLED
  if (size <= kMaxPooledBlock && size > 0 && !cache_gone) {
    const auto c = class_of(size);
    Chain& ch = cache.chains[c];
    auto* n = static_cast<Node*>(p);
    n->next = ch.head;
    ch.head = n;
    if (++ch.count > kCacheMax) cache.give_batch(c);
    return;
  }
#endif
  ::operator delete(p);
}

}  // namespace airssys::rt::detail
