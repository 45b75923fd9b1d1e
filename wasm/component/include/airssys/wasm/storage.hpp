// Persistent key-value storage for components (the WIT `storage` interface), on LMDB.
//
// One LMDB environment in a data directory (data.mdb, lock.mdb) holds every component's data.
// Each namespace (a component address) is isolated by construction: a stored key is
//   u16 big-endian length of the namespace | namespace | key
// so the encoding is prefix-free and no key, prefix or listing of one namespace can reach
// another's. Per-namespace usage (bytes, keys) is kept in a second table and updated in the same
// write transaction as the data, so the quota check and the write are one atomic step.
//
// Keys: 1..kMaxKeyBytes (256) bytes of visible ASCII, '!' (0x21) through '~' (0x7E): no space,
// no control characters, no non-ASCII. List prefixes: the same charset, 0..256 bytes.
// Namespaces: 1..kMaxNamespaceBytes (250) bytes, any bytes (the host chooses them).
// Usage bytes = sum over entries of key length + value length; quota applies to that sum.
// A set fails with quota_exceeded, changing nothing, if it would make usage exceed the quota
// AND grow usage; a set that does not grow usage, and every delete, succeed even over quota
// (so a component whose quota was lowered can still shrink). Values: up to max_value_bytes.
//
// Map size: LMDB maps the file; the map starts at initial_map_bytes and doubles on demand up to
// max_map_bytes (address space only: the file grows with the data, not with the map).
//
// Blocking and durability: every call is one short transaction. Reads never block on writers
// (MVCC). Writes are serialized by LMDB. By default (sync_each_write = false) a commit does not
// wait for the disk (a set costs a few µs): data survives a crash of the host process at once, and
// a background thread of the store flushes to disk every sync_interval (and at close), bounding
// what a machine crash can lose. sync_each_write = true makes each commit wait for fsync (~ms on a
// disk: then call the store from a thread that may block, not from a scheduler thread).
//
// One ComponentStore per data directory per process (LMDB forbids opening an environment twice
// in one process; open() refuses it).
//
// Thread-safety: all members are safe from any thread, concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <airssys/error.hpp>

namespace airssys::wasm {

struct StoreOptions {
  std::size_t initial_map_bytes = std::size_t{64} << 20;       ///< 64 MiB
  std::size_t max_map_bytes = std::size_t{64} << 30;           ///< 64 GiB of address space
  std::uint64_t default_quota_bytes = std::uint64_t{1} << 20;  ///< for namespaces without set_quota
  std::size_t max_value_bytes = std::size_t{1} << 20;          ///< 1 MiB, as the message size limit
  std::uint32_t max_list_keys = 1000;                          ///< cap on list_keys' limit
  bool sync_each_write = false;  ///< true: fsync per commit (each write durable, ~ms per write)
  /// With sync_each_write = false: how often a background thread flushes to disk (0: never; the
  /// host then calls sync()). The store always flushes at close.
  std::chrono::milliseconds sync_interval{1000};
};

struct StorageUsage {
  std::uint64_t bytes = 0;
  std::uint64_t keys = 0;
  std::uint64_t quota_bytes = 0;
  friend bool operator==(const StorageUsage&, const StorageUsage&) = default;
};

class ComponentStore {
 public:
  static constexpr std::size_t kMaxKeyBytes = 256;
  static constexpr std::size_t kMaxNamespaceBytes = 250;

  /// Opens the store in directory `dir` (created if missing), creating or reopening its data.
  /// Errors: storage_io with the path and the LMDB/OS message; invalid_argument if this process
  /// already has a store open on `dir`, or for options that make no sense.
  static Result<std::unique_ptr<ComponentStore>> open(const std::string& dir, StoreOptions options = {});
  ~ComponentStore();
  ComponentStore(const ComponentStore&) = delete;
  ComponentStore& operator=(const ComponentStore&) = delete;

  /// The value at `key`, or nullopt. Errors: invalid_key, invalid_argument (namespace), storage_io.
  Result<std::optional<std::vector<std::uint8_t>>> get(std::string_view ns, std::string_view key);
  /// Creates or replaces. Errors: invalid_key; quota_exceeded (usage over quota, or a value over
  /// max_value_bytes; nothing changed); invalid_argument (namespace); storage_io.
  Result<void> set(std::string_view ns, std::string_view key, std::span<const std::uint8_t> value);
  Result<void> set(std::string_view ns, std::string_view key, std::string_view value);
  /// True if the key existed. Errors: invalid_key, invalid_argument (namespace), storage_io.
  Result<bool> erase(std::string_view ns, std::string_view key);
  /// Keys starting with `prefix`, in byte order, at most min(limit, max_list_keys).
  /// Errors: invalid_key (prefix), invalid_argument (namespace), storage_io.
  Result<std::vector<std::string>> list_keys(std::string_view ns, std::string_view prefix, std::uint32_t limit);
  /// Errors: invalid_argument (namespace), storage_io.
  Result<StorageUsage> usage(std::string_view ns);

  /// The quota for `ns` from now on (not persisted: the host re-applies it from the grants at
  /// spawn). Without a call, options.default_quota_bytes applies.
  void set_quota(std::string_view ns, std::uint64_t bytes);
  std::uint64_t quota(std::string_view ns) const;
  /// Bytes `ns` uses outside the store (its WASI files): a set may use only the quota minus
  /// these. Not persisted (the host recounts the files at spawn).
  void set_external_bytes(std::string_view ns, std::uint64_t bytes);
  std::uint64_t external_bytes(std::string_view ns) const;

  /// Flushes everything committed so far to disk. Errors: storage_io.
  Result<void> sync();
  /// The current map size (grows on demand).
  std::size_t map_bytes() const;
  const std::string& dir() const noexcept { return dir_; }

  /// Errors: invalid_key saying why (empty, too long, a byte outside '!'..'~' and where).
  static Result<void> validate_key(std::string_view key);
  static Result<void> validate_prefix(std::string_view prefix);

 private:
  struct Env;  // LMDB handles, defined in storage.cpp
  ComponentStore(std::string dir, StoreOptions options, std::unique_ptr<Env> env);

  const std::string dir_;
  const StoreOptions options_;
  std::unique_ptr<Env> env_;
  mutable std::mutex quota_mutex_;
  std::map<std::string, std::uint64_t, std::less<>> quotas_;  // guarded by quota_mutex_
  std::map<std::string, std::uint64_t, std::less<>> external_;  // guarded by quota_mutex_
};

}  // namespace airssys::wasm
