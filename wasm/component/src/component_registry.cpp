#include <airssys/wasm/component_registry.hpp>

#include <mutex>

namespace airssys::wasm {

Result<void> ComponentRegistry::insert(std::string_view address, std::shared_ptr<ComponentRecord> record) {
  if (address.empty()) return fail(Errc::invalid_argument, "empty component address");
  auto& s = shard_for(address);
  std::unique_lock lock(s.mutex);
  auto [it, inserted] = s.map.try_emplace(std::string(address), std::move(record));
  if (!inserted) return fail(Errc::name_taken, "address '" + std::string(address) + "' is in use");
  return {};
}

std::shared_ptr<ComponentRecord> ComponentRegistry::find(std::string_view address) const {
  auto& s = shard_for(address);
  std::shared_lock lock(s.mutex);
  auto it = s.map.find(address);
  return it == s.map.end() ? nullptr : it->second;
}

bool ComponentRegistry::erase(std::string_view address, const ComponentRecord* expected) {
  auto& s = shard_for(address);
  std::unique_lock lock(s.mutex);
  auto it = s.map.find(address);
  if (it == s.map.end() || (expected && it->second.get() != expected)) return false;
  s.map.erase(it);
  return true;
}

std::vector<std::shared_ptr<ComponentRecord>> ComponentRegistry::snapshot() const {
  std::vector<std::shared_ptr<ComponentRecord>> out;
  for (auto& s : shards_) {
    std::shared_lock lock(s.mutex);
    for (auto& [k, v] : s.map) out.push_back(v);
  }
  return out;
}

std::size_t ComponentRegistry::size() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::shared_lock lock(s.mutex);
    n += s.map.size();
  }
  return n;
}

}  // namespace airssys::wasm
