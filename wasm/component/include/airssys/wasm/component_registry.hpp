// ComponentRegistry: address -> the component living there. Point-to-point routing resolves a
// target here and enqueues into that one actor's mailbox; there is no broadcast bus involved.
// An address is taken from insert() until erase(): a second insert at it fails with name_taken.
// Thread-safety: all members are safe from any thread; lookups take one shard's shared lock.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <airssys/error.hpp>

namespace airssys::wasm {

class ComponentRecord;  // per-address state of a component (component_actor.hpp)

class ComponentRegistry {
 public:
  /// Errors: name_taken (the address is in use), invalid_argument (empty address).
  Result<void> insert(std::string_view address, std::shared_ptr<ComponentRecord> record);
  /// nullptr when nothing lives at `address`.
  std::shared_ptr<ComponentRecord> find(std::string_view address) const;
  /// Removes `address` if it maps to `expected` (or to anything, when expected is null).
  bool erase(std::string_view address, const ComponentRecord* expected = nullptr);
  /// Every record, in no particular order.
  std::vector<std::shared_ptr<ComponentRecord>> snapshot() const;
  std::size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
  };
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<ComponentRecord>, Hash, std::equal_to<>> map;  // guarded by mutex
  };
  static constexpr std::size_t kShards = 16;
  Shard& shard_for(std::string_view address) const noexcept {
    return shards_[Hash()(address) % kShards];
  }
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace airssys::wasm
