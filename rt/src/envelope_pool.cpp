#include <airssys/rt/detail/envelope_pool.hpp>

#include <array>
#include <mutex>
#include <new>
#include <utility>
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
  std::array<std::vector<Chain>, kClasses> batches;  // counted chains (never walked to count)
};
Depot& depot() {
  static Depot* d = new Depot;
  return *d;
}

thread_local bool cache_gone = false;  // trivially destructible: readable after ~Cache

// Per size class: `current` takes frees and serves allocations; when it reaches kBatch it
// becomes `spare`, and a previous spare goes to the depot. Nothing is ever walked: a node freed
// by another core is touched once, when it is handed out again.
struct Cache {
  struct Class {
    Chain current, spare;
  };
  std::array<Class, kClasses> classes;
  ~Cache() {  // thread exit: hand everything back
    cache_gone = true;
    for (std::size_t c = 0; c < kClasses; ++c) {
      give(c, classes[c].current);
      give(c, classes[c].spare);
    }
  }
  static void give(std::size_t c, Chain& ch) {
    if (!ch.head) return;
    auto& d = depot();
    std::lock_guard lock(d.locks[c]);
    d.batches[c].push_back(std::exchange(ch, Chain{}));
  }
  static bool take(std::size_t c, Chain& into) {
    auto& d = depot();
    std::lock_guard lock(d.locks[c]);
    if (d.batches[c].empty()) return false;
    into = d.batches[c].back();
    d.batches[c].pop_back();
    return true;
  }
  void* allocate(std::size_t c) {
    auto& k = classes[c];
    if (!k.current.head) {
      if (k.spare.head)
        std::swap(k.current, k.spare);
      else if (!take(c, k.current))
        return nullptr;
    }
    Node* n = k.current.head;
    k.current.head = n->next;
    --k.current.count;
    if (k.current.head) __builtin_prefetch(k.current.head, 1);
    return n;
  }
  void free(std::size_t c, void* p) {
    auto& k = classes[c];
    auto* n = static_cast<Node*>(p);
    n->next = k.current.head;
    k.current.head = n;
    if (++k.current.count < kBatch) return;
    give(c, k.spare);
    k.spare = std::exchange(k.current, Chain{});
  }
};
thread_local Cache cache;

std::size_t class_of(std::size_t size) noexcept { return (size + kGranule - 1) / kGranule - 1; }
}  // namespace

void* pool_allocate(std::size_t size) {
#ifndef AIRSSYS_POOL_DISABLED
  if (size <= kMaxPooledBlock && size > 0 && !cache_gone) {
    const auto c = class_of(size);
    if (void* p = cache.allocate(c)) return p;
    return ::operator new((c + 1) * kGranule);
  }
#endif
  return ::operator new(size);
}

void pool_deallocate(void* p, std::size_t size) noexcept {
#ifndef AIRSSYS_POOL_DISABLED
  if (size <= kMaxPooledBlock && size > 0 && !cache_gone) {
    cache.free(class_of(size), p);
    return;
  }
#endif
  ::operator delete(p);
}

}  // namespace airssys::rt::detail
