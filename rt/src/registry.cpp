#include <airssys/rt/registry.hpp>

#include <airssys/rt/detail/spin_lock.hpp>

#include <array>
#include <mutex>
#include <unordered_map>

namespace airssys::rt {
namespace {
// FNV-1a: names are short, and this hashes one in a few nanoseconds.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
    return static_cast<std::size_t>(h);
  }
};
struct NameEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};
}  // namespace

struct ActorRegistry::Impl {
  struct alignas(64) Shard {
    mutable detail::SpinLock mutex;
    std::unordered_map<std::string, ActorRef, NameHash, NameEq> names;
  };
  std::array<Shard, 16> shards;
  Shard& shard_for(std::size_t hash) { return shards[(hash >> 7) & 15]; }
};

ActorRegistry::ActorRegistry() : impl_(std::make_unique<Impl>()) {}
ActorRegistry::~ActorRegistry() = default;

Result<void> ActorRegistry::register_name(std::string_view name, const ActorRef& ref) {
  if (name.empty()) return fail(Errc::invalid_argument, "empty name");
  if (!ref.alive()) return fail(Errc::actor_stopped, std::string(name));
  auto& s = impl_->shard_for(NameHash{}(name));
  std::lock_guard lock(s.mutex);
  auto [it, inserted] = s.names.try_emplace(std::string(name), ref);
  if (!inserted) {
    if (it->second.alive()) return fail(Errc::name_taken, std::string(name));
    it->second = ref;  // the previous owner stopped and its release has not run yet
  }
  return {};
}

ActorRef ActorRegistry::lookup(std::string_view name) const {
  const auto h = NameHash{}(name);
  auto& s = impl_->shard_for(h);
  std::lock_guard lock(s.mutex);
  auto it = s.names.find(name);
  return it == s.names.end() ? ActorRef() : it->second;
}

bool ActorRegistry::unregister(std::string_view name, const ActorRef& ref) {
  auto& s = impl_->shard_for(NameHash{}(name));
  ActorRef released;  // destroyed outside the lock
  std::lock_guard lock(s.mutex);
  auto it = s.names.find(name);
  if (it == s.names.end() || (ref && !(it->second == ref))) return false;
  released = std::move(it->second);
  s.names.erase(it);
  return true;
}

std::size_t ActorRegistry::size() const {
  std::size_t n = 0;
  for (auto& s : impl_->shards) {
    std::lock_guard lock(s.mutex);
    n += s.names.size();
  }
  return n;
}

}  // namespace airssys::rt
