#include <airssys/rt/registry.hpp>

#include <array>
#include <cstring>
#include <mutex>
#include <vector>

#include <airssys/rt/detail/spin_lock.hpp>

namespace airssys::rt {
namespace {
// Names are short: hash 8 bytes at a time with a multiply-xorshift mix (a few ns), instead of a
// byte-serial hash.
std::uint64_t hash_name(std::string_view s) noexcept {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  // The last 0..7 bytes with fixed-size loads (wyhash's trick), so no memcpy call.
  const auto* p = reinterpret_cast<const unsigned char*>(s.data() + i);
  const std::size_t rem = s.size() - i;
  std::uint64_t tail = 0;
  if (rem >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + rem - 4, 4);
    tail = (std::uint64_t(a) << 32) | b;
  } else if (rem > 0) {
    tail = (std::uint64_t(p[0]) << 16) | (std::uint64_t(p[rem / 2]) << 8) | p[rem - 1];
  }
  h = (h ^ tail) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

// Open addressing with linear probing and backward-shift deletion: a lookup is a masked index,
// a compare of the stored hash and then of the name. No division, no node chasing.
class NameTable {
 public:
  NameTable() : slots_(16) {}

  const ActorRef* find(std::string_view name, std::uint64_t h) const noexcept {
    for (std::size_t i = h & mask();; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.hash == h && s.name == name) return &s.ref;
    }
  }
  ActorRef* find(std::string_view name, std::uint64_t h) noexcept {
    return const_cast<ActorRef*>(static_cast<const NameTable*>(this)->find(name, h));
  }
  void insert(std::string_view name, std::uint64_t h, ActorRef ref) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    place(Slot{true, h, std::string(name), std::move(ref)});
    ++count_;
  }
  /// Removes the entry and returns its ref (to be released outside the lock).
  ActorRef erase(std::string_view name, std::uint64_t h) noexcept {
    std::size_t i = h & mask();
    while (slots_[i].used && !(slots_[i].hash == h && slots_[i].name == name)) i = (i + 1) & mask();
    if (!slots_[i].used) return {};
    ActorRef out = std::move(slots_[i].ref);
    // Backward shift: pull later entries of the probe run into the hole.
    for (std::size_t j = (i + 1) & mask(); slots_[j].used; j = (j + 1) & mask()) {
      const std::size_t home = slots_[j].hash & mask();
      if (((j - home) & mask()) >= ((j - i) & mask())) {
        slots_[i] = std::move(slots_[j]);
        i = j;
      }
    }
    slots_[i] = Slot{};
    --count_;
    return out;
  }
  std::size_t size() const noexcept { return count_; }

 private:
  struct Slot {
    bool used = false;
    std::uint64_t hash = 0;
    std::string name;
    ActorRef ref;
  };
  std::size_t mask() const noexcept { return slots_.size() - 1; }
  void place(Slot s) {
    std::size_t i = s.hash & mask();
    while (slots_[i].used) i = (i + 1) & mask();
    slots_[i] = std::move(s);
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (auto& s : old)
      if (s.used) place(std::move(s));
  }
  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

std::atomic<std::uint64_t> next_registry_id{1};

// Lookups are read-mostly: each thread keeps a small direct-mapped cache of recent answers,
// valid while its shard's version is unchanged (every register/unregister bumps it). A hit
// costs a version load and one reference increment, no lock.
struct LookupCache {
  struct Entry {
    std::uint64_t registry = 0;  // unique per registry instance (never reused)
    std::uint64_t hash = 0;
    std::uint64_t version = 0;
    std::string name;
    ActorRef ref;
  };
  std::array<Entry, 1024> entries;
};
// The hot path reads a trivially-initialized pointer (one %fs load, no init guard); the owner
// below frees the cache at thread exit.
thread_local LookupCache* lookup_cache = nullptr;
thread_local std::unique_ptr<LookupCache> lookup_cache_owner;
LookupCache& thread_cache() {
  if (!lookup_cache) {
    lookup_cache_owner = std::make_unique<LookupCache>();
    lookup_cache = lookup_cache_owner.get();
  }
  return *lookup_cache;
}

bool same_name(const std::string& a, std::string_view b) noexcept {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), b.size()) == 0;
}
}  // namespace

struct ActorRegistry::Impl {
  struct alignas(64) Shard {
    mutable detail::SpinLock lock;
    std::atomic<std::uint64_t> version{1};  // bumped under `lock` after every change
    NameTable names;
  };
  const std::uint64_t id = next_registry_id.fetch_add(1, std::memory_order_relaxed);
  std::array<Shard, 16> shards;
  Shard& shard_for(std::uint64_t hash) noexcept { return shards[hash >> 60]; }
};

ActorRegistry::ActorRegistry() : impl_(std::make_unique<Impl>()) {}
ActorRegistry::~ActorRegistry() = default;

Result<void> ActorRegistry::register_name(std::string_view name, const ActorRef& ref) {
  if (name.empty()) return fail(Errc::invalid_argument, "empty name");
  if (!ref.alive()) return fail(Errc::actor_stopped, std::string(name));
  const auto h = hash_name(name);
  auto& s = impl_->shard_for(h);
  ActorRef previous;  // released outside the lock
  std::lock_guard lock(s.lock);
  if (ActorRef* existing = s.names.find(name, h)) {
    if (existing->alive()) return fail(Errc::name_taken, std::string(name));
    previous = std::exchange(*existing, ref);  // the owner stopped; its release has not run yet
    s.version.fetch_add(1, std::memory_order_release);
    return {};
  }
  s.names.insert(name, h, ref);
  s.version.fetch_add(1, std::memory_order_release);
  return {};
}

ActorRef ActorRegistry::lookup(std::string_view name) const {
  const auto h = hash_name(name);
  auto& s = impl_->shard_for(h);
  auto& cache = thread_cache();
  auto& e = cache.entries[h & (cache.entries.size() - 1)];
  if (e.hash == h && e.version == s.version.load(std::memory_order_acquire) && e.registry == impl_->id &&
      same_name(e.name, name))
    return e.ref;
  ActorRef found;
  std::uint64_t seen;
  {
    std::lock_guard lock(s.lock);
    if (const ActorRef* r = s.names.find(name, h)) found = *r;
    seen = s.version.load(std::memory_order_relaxed);
  }
  // Misses are not cached: a name registered later must be found at once.
  if (found) {
    e.registry = impl_->id;
    e.hash = h;
    e.version = seen;
    e.name.assign(name);
    e.ref = found;
  }
  return found;
}

bool ActorRegistry::unregister(std::string_view name, const ActorRef& ref) {
  const auto h = hash_name(name);
  auto& s = impl_->shard_for(h);
  ActorRef released;
  std::lock_guard lock(s.lock);
  const ActorRef* cur = s.names.find(name, h);
  if (!cur || (ref && !(*cur == ref))) return false;
  released = s.names.erase(name, h);
  s.version.fetch_add(1, std::memory_order_release);
  return true;
}

std::size_t ActorRegistry::size() const {
  std::size_t n = 0;
  for (auto& s : impl_->shards) {
    std::lock_guard lock(s.lock);
    n += s.names.size();
  }
  return n;
}

}  // namespace airssys::rt
