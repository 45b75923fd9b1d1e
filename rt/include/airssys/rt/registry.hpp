// Names for actors. A name is released when its actor stops for good.
// Thread-safety: all members are safe from any thread; lookups take no lock on a shared line
// other than their shard's.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <airssys/error.hpp>
#include <airssys/rt/actor.hpp>

namespace airssys::rt {

class ActorRegistry {
 public:
  ActorRegistry();
  ~ActorRegistry();
  ActorRegistry(const ActorRegistry&) = delete;
  ActorRegistry& operator=(const ActorRegistry&) = delete;

  /// Errors: name_taken, actor_stopped, invalid_argument (empty name).
  Result<void> register_name(std::string_view name, const ActorRef& ref);
  /// An empty ref when the name is unknown.
  ActorRef lookup(std::string_view name) const;
  /// Removes the name if it still points at `ref` (or at anything, when ref is empty).
  bool unregister(std::string_view name, const ActorRef& ref = {});
  std::size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace airssys::rt
