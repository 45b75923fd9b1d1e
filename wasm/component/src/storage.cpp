#include <airssys/wasm/storage.hpp>

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <set>
#include <shared_mutex>
#include <thread>

#include <lmdb.h>

namespace airssys::wasm {
namespace {

constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kFormatVersion = "1";
constexpr int kMaxAttempts = 16;  // map growth / resize retries for one operation

// Directories with an open store in this process: LMDB must not open an environment twice.
std::mutex open_dirs_mutex;
std::set<std::string> open_dirs;

MDB_val val(std::string_view s) { return {s.size(), const_cast<char*>(s.data())}; }
std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

tl::unexpected<Error> lmdb_fail(std::string_view what, int rc) {
  return fail(Errc::storage_io, std::string(what) + ": " + mdb_strerror(rc));
}

// Namespace prefix: u16 big-endian length, then the bytes. Prefix-free, so keys cannot collide
// across namespaces and a range scan of one namespace never enters another.
std::string ns_prefix(std::string_view ns) {
  std::string out;
  out.reserve(2 + ns.size());
  out += static_cast<char>((ns.size() >> 8) & 0xFF);
  out += static_cast<char>(ns.size() & 0xFF);
  out += ns;
  return out;
}

Result<void> validate_ns(std::string_view ns) {
  if (ns.empty()) return fail(Errc::invalid_argument, "empty storage namespace");
  if (ns.size() > ComponentStore::kMaxNamespaceBytes)
    return fail(Errc::invalid_argument, "storage namespace of " + std::to_string(ns.size()) + " bytes (max " +
                                            std::to_string(ComponentStore::kMaxNamespaceBytes) + ")");
  return {};
}

Result<void> validate_chars(std::string_view what, std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x21 || c > 0x7E) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      return fail(Errc::invalid_key, std::string(what) + " has byte " + hex + " at offset " + std::to_string(i) +
                                         " (allowed: visible ASCII '!'..'~')");
    }
  }
  return {};
}

struct UsageRecord {
  std::uint64_t bytes = 0;
  std::uint64_t keys = 0;
};

std::string encode(const UsageRecord& u) {
  std::string out(16, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>((u.bytes >> (8 * i)) & 0xFF);
    out[8 + i] = static_cast<char>((u.keys >> (8 * i)) & 0xFF);
  }
  return out;
}

bool decode(std::string_view s, UsageRecord& u) {
  if (s.size() != 16) return false;
  u = {};
  for (int i = 0; i < 8; ++i) {
    u.bytes |= std::uint64_t{static_cast<unsigned char>(s[i])} << (8 * i);
    u.keys |= std::uint64_t{static_cast<unsigned char>(s[8 + i])} << (8 * i);
  }
  return true;
}

std::size_t round_to_page(std::size_t n) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return std::max(page, (n + page - 1) / page * page);
}

}  // namespace

struct ComponentStore::Env {
  MDB_env* env = nullptr;
  MDB_dbi data = 0;   // ns_prefix(ns) + key -> value
  MDB_dbi usage = 0;  // ns_prefix(ns) -> UsageRecord
  std::string registered_dir;
  std::size_t max_map = 0;
  // Shared by every transaction; exclusive to change the map size (LMDB requires that no
  // transaction of this process is active then).
  mutable std::shared_mutex gate;
  std::size_t map_size = 0;  // written only under an exclusive gate

  // Background flusher (sync_each_write = false): disk waits stay off the callers' threads.
  std::thread syncer;
  std::mutex syncer_mutex;
  std::condition_variable syncer_wake;
  bool syncer_stop = false;  // guarded by syncer_mutex

  void start_syncer(std::chrono::milliseconds interval) {
    syncer = std::thread([this, interval] {
      std::unique_lock lock(syncer_mutex);
      while (!syncer_wake.wait_for(lock, interval, [this] { return syncer_stop; })) {
        lock.unlock();
        {
          std::shared_lock map_lock(gate);  // not while the map is being resized
          mdb_env_sync(env, 1);             // a failure is retried next round; sync() reports errors
        }
        lock.lock();
      }
    });
  }

  ~Env() {
    if (syncer.joinable()) {
      {
        std::lock_guard lock(syncer_mutex);
        syncer_stop = true;
      }
      syncer_wake.notify_all();
      syncer.join();
    }
    if (env) {
      mdb_env_sync(env, 1);  // a clean close leaves everything on disk
      mdb_env_close(env);
    }
    if (!registered_dir.empty()) {
      std::lock_guard lock(open_dirs_mutex);
      open_dirs.erase(registered_dir);
    }
  }

  // Runs body(txn, error) in one transaction. body returns an LMDB code; it sets `error` to fail
  // with a domain error (the transaction is aborted, nothing changes). Write transactions that run
  // out of map space grow the map and run body again, so body must reset what it computes.
  template <class Body>
  Result<void> run(bool write, std::string_view what, Body&& body) {
    for (int attempt = 0;; ++attempt) {
      std::size_t seen = 0;
      int rc = 0;
      {
        std::shared_lock lock(gate);
        seen = map_size;
        MDB_txn* raw = nullptr;
        rc = mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &raw);
        if (rc == MDB_SUCCESS) {
          // Aborted on every path but a commit, exceptions from body included (a leaked write
          // transaction would block every writer forever).
          std::unique_ptr<MDB_txn, decltype(&mdb_txn_abort)> txn(raw, &mdb_txn_abort);
          std::optional<Error> error;
          rc = body(txn.get(), error);
          if (error) return tl::unexpected(std::move(*error));
          if (rc == MDB_SUCCESS && write) rc = mdb_txn_commit(txn.release());  // frees it, also on failure
          if (rc == MDB_SUCCESS) return {};
        }
      }
      const bool resized = rc == MDB_MAP_RESIZED;  // another process grew the map
      const bool full = write && rc == MDB_MAP_FULL;
      if (!(resized || full) || attempt + 1 >= kMaxAttempts) return lmdb_fail(what, rc);
      std::unique_lock lock(gate);
      if (resized) {
        if (int r = mdb_env_set_mapsize(env, 0); r != MDB_SUCCESS) return lmdb_fail("adopting the new map size", r);
      } else if (map_size == seen) {  // nobody grew it meanwhile
        if (map_size >= max_map)
          return fail(Errc::storage_io, std::string(what) + ": the store is full (map size " +
                                            std::to_string(map_size) + " bytes = max_map_bytes)");
        const std::size_t next = std::min(max_map, map_size * 2);
        if (int r = mdb_env_set_mapsize(env, next); r != MDB_SUCCESS) return lmdb_fail("growing the map", r);
      }
      MDB_envinfo info;
      mdb_env_info(env, &info);
      map_size = info.me_mapsize;
    }
  }
};

ComponentStore::ComponentStore(std::string dir, StoreOptions options, std::unique_ptr<Env> env)
    : dir_(std::move(dir)), options_(options), env_(std::move(env)) {}

ComponentStore::~ComponentStore() = default;

Result<std::unique_ptr<ComponentStore>> ComponentStore::open(const std::string& dir, StoreOptions options) {
  if (options.initial_map_bytes == 0 || options.max_map_bytes < options.initial_map_bytes)
    return fail(Errc::invalid_argument, "storage: need 0 < initial_map_bytes <= max_map_bytes");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::storage_io, "storage directory '" + dir + "': " + ec.message());
  const auto canonical = std::filesystem::canonical(dir, ec);
  if (ec) return fail(Errc::storage_io, "storage directory '" + dir + "': " + ec.message());

  auto env = std::make_unique<Env>();
  {
    std::lock_guard lock(open_dirs_mutex);
    if (!open_dirs.insert(canonical.string()).second)
      return fail(Errc::invalid_argument, "storage directory '" + dir + "' is already open in this process");
  }
  env->registered_dir = canonical.string();
  env->max_map = round_to_page(options.max_map_bytes);
  const std::string where = "storage '" + dir + "'";

  if (int rc = mdb_env_create(&env->env); rc != MDB_SUCCESS) return lmdb_fail(where, rc);
  mdb_env_set_maxdbs(env->env, 4);
  mdb_env_set_maxreaders(env->env, 1024);
  mdb_env_set_mapsize(env->env, round_to_page(options.initial_map_bytes));
  // MDB_NOTLS: read transactions are not tied to threads (reader slots are released at once).
  const unsigned flags = MDB_NOTLS | (options.sync_each_write ? 0u : unsigned{MDB_NOSYNC});
  if (int rc = mdb_env_open(env->env, canonical.c_str(), flags, 0640); rc != MDB_SUCCESS) {
    mdb_env_close(env->env);  // required after a failed open
    env->env = nullptr;
    return lmdb_fail(where, rc);
  }
  MDB_envinfo info;
  mdb_env_info(env->env, &info);
  env->map_size = info.me_mapsize;  // an existing file larger than the initial map keeps its size
  env->max_map = std::max(env->max_map, env->map_size);

  const auto max_key = static_cast<std::size_t>(mdb_env_get_maxkeysize(env->env));
  if (max_key < 2 + kMaxNamespaceBytes + kMaxKeyBytes)
    return fail(Errc::storage_io, where + ": LMDB max key size " + std::to_string(max_key) + " is too small");

  Env* e = env.get();
  auto opened = e->run(true, where, [&](MDB_txn* txn, std::optional<Error>& error) {
    if (int rc = mdb_dbi_open(txn, "data", MDB_CREATE, &e->data); rc != MDB_SUCCESS) return rc;
    if (int rc = mdb_dbi_open(txn, "usage", MDB_CREATE, &e->usage); rc != MDB_SUCCESS) return rc;
    MDB_dbi meta;
    if (int rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &meta); rc != MDB_SUCCESS) return rc;
    MDB_val k = val(kFormatKey), v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
      v = val(kFormatVersion);
      return mdb_put(txn, meta, &k, &v, 0);
    }
    if (rc == MDB_SUCCESS && view(v) != kFormatVersion)
      error = Error{Errc::storage_io, where + ": unknown data format version '" + std::string(view(v)) + "'"};
    return rc;
  });
  if (!opened) return tl::unexpected(opened.error());
  if (!options.sync_each_write && options.sync_interval.count() > 0) env->start_syncer(options.sync_interval);
  return std::unique_ptr<ComponentStore>(new ComponentStore(dir, options, std::move(env)));
}

Result<void> ComponentStore::validate_key(std::string_view key) {
  if (key.empty()) return fail(Errc::invalid_key, "empty key");
  if (key.size() > kMaxKeyBytes)
    return fail(Errc::invalid_key,
                "key of " + std::to_string(key.size()) + " bytes (max " + std::to_string(kMaxKeyBytes) + ")");
  return validate_chars("key", key);
}

Result<void> ComponentStore::validate_prefix(std::string_view prefix) {
  if (prefix.size() > kMaxKeyBytes)
    return fail(Errc::invalid_key,
                "prefix of " + std::to_string(prefix.size()) + " bytes (max " + std::to_string(kMaxKeyBytes) + ")");
  return validate_chars("prefix", prefix);
}

Result<std::optional<std::vector<std::uint8_t>>> ComponentStore::get(std::string_view ns, std::string_view key) {
  if (auto ok = validate_ns(ns); !ok) return tl::unexpected(ok.error());
  if (auto ok = validate_key(key); !ok) return tl::unexpected(ok.error());
  const std::string k = ns_prefix(ns).append(key);
  std::optional<std::vector<std::uint8_t>> out;
  auto done = env_->run(false, "storage get", [&](MDB_txn* txn, std::optional<Error>&) {
    out.reset();
    MDB_val mk = val(k), mv;
    const int rc = mdb_get(txn, env_->data, &mk, &mv);
    if (rc == MDB_NOTFOUND) return MDB_SUCCESS;
    if (rc == MDB_SUCCESS) {
      const auto* p = static_cast<const std::uint8_t*>(mv.mv_data);
      out.emplace(p, p + mv.mv_size);
    }
    return rc;
  });
  if (!done) return tl::unexpected(done.error());
  return out;
}

Result<void> ComponentStore::set(std::string_view ns, std::string_view key, std::string_view value) {
  return set(ns, key, std::span(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
}

Result<void> ComponentStore::set(std::string_view ns, std::string_view key, std::span<const std::uint8_t> value) {
  if (auto ok = validate_ns(ns); !ok) return tl::unexpected(ok.error());
  if (auto ok = validate_key(key); !ok) return tl::unexpected(ok.error());
  if (value.size() > options_.max_value_bytes)
    return fail(Errc::quota_exceeded, "value of " + std::to_string(value.size()) + " bytes (max " +
                                          std::to_string(options_.max_value_bytes) + " per value)");
  const std::uint64_t quota_bytes = quota(ns), outside = external_bytes(ns);
  const std::uint64_t limit = outside >= quota_bytes ? 0 : quota_bytes - outside;
  const std::string prefix = ns_prefix(ns);
  const std::string k = prefix + std::string(key);
  return env_->run(true, "storage set", [&](MDB_txn* txn, std::optional<Error>& error) {
    UsageRecord u;
    MDB_val uk = val(prefix), uv;
    int rc = mdb_get(txn, env_->usage, &uk, &uv);
    if (rc == MDB_SUCCESS && !decode(view(uv), u)) rc = MDB_CORRUPTED;
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return rc;

    MDB_val mk = val(k), old;
    rc = mdb_get(txn, env_->data, &mk, &old);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return rc;
    const bool existed = rc == MDB_SUCCESS;
    UsageRecord next = u;
    if (existed)
      next.bytes -= key.size() + old.mv_size;
    else
      ++next.keys;
    next.bytes += key.size() + value.size();
    if (next.bytes > limit && next.bytes > u.bytes) {
      error = Error{Errc::quota_exceeded, "namespace '" + std::string(ns) + "': " + std::to_string(next.bytes) +
                                              " bytes after this write, quota " + std::to_string(quota_bytes) +
                                              (outside ? " (" + std::to_string(outside) + " of it used by files)" : "")};
      return MDB_SUCCESS;
    }
    MDB_val mv{value.size(), const_cast<std::uint8_t*>(value.data())};
    if (rc = mdb_put(txn, env_->data, &mk, &mv, 0); rc != MDB_SUCCESS) return rc;
    const std::string enc = encode(next);
    MDB_val nv = val(enc);
    return mdb_put(txn, env_->usage, &uk, &nv, 0);
  });
}

Result<bool> ComponentStore::erase(std::string_view ns, std::string_view key) {
  if (auto ok = validate_ns(ns); !ok) return tl::unexpected(ok.error());
  if (auto ok = validate_key(key); !ok) return tl::unexpected(ok.error());
  const std::string prefix = ns_prefix(ns);
  const std::string k = prefix + std::string(key);
  bool existed = false;
  auto done = env_->run(true, "storage delete", [&](MDB_txn* txn, std::optional<Error>&) {
    existed = false;
    MDB_val mk = val(k), old;
    int rc = mdb_get(txn, env_->data, &mk, &old);
    if (rc == MDB_NOTFOUND) return MDB_SUCCESS;  // nothing to change; the empty commit is free
    if (rc != MDB_SUCCESS) return rc;
    const std::size_t freed = key.size() + old.mv_size;
    UsageRecord u;
    MDB_val uk = val(prefix), uv;
    rc = mdb_get(txn, env_->usage, &uk, &uv);
    if (rc != MDB_SUCCESS) return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;  // data without usage
    if (!decode(view(uv), u) || u.keys == 0 || u.bytes < freed) return MDB_CORRUPTED;
    if (rc = mdb_del(txn, env_->data, &mk, nullptr); rc != MDB_SUCCESS) return rc;
    existed = true;
    u.bytes -= freed;
    --u.keys;
    if (u.keys == 0) return mdb_del(txn, env_->usage, &uk, nullptr);
    const std::string enc = encode(u);
    MDB_val nv = val(enc);
    return mdb_put(txn, env_->usage, &uk, &nv, 0);
  });
  if (!done) return tl::unexpected(done.error());
  return existed;
}

Result<std::vector<std::string>> ComponentStore::list_keys(std::string_view ns, std::string_view prefix,
                                                           std::uint32_t limit) {
  if (auto ok = validate_ns(ns); !ok) return tl::unexpected(ok.error());
  if (auto ok = validate_prefix(prefix); !ok) return tl::unexpected(ok.error());
  const std::size_t ns_len = 2 + ns.size();
  const std::string start = ns_prefix(ns).append(prefix);
  const std::size_t most = std::min(limit, options_.max_list_keys);
  std::vector<std::string> keys;
  auto done = env_->run(false, "storage list-keys", [&](MDB_txn* txn, std::optional<Error>&) {
    keys.clear();
    if (most == 0) return MDB_SUCCESS;
    MDB_cursor* cursor = nullptr;
    if (int rc = mdb_cursor_open(txn, env_->data, &cursor); rc != MDB_SUCCESS) return rc;
    MDB_val mk = val(start), mv;
    int rc = mdb_cursor_get(cursor, &mk, &mv, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && keys.size() < most) {
      const std::string_view found = view(mk);
      if (!found.starts_with(start)) break;  // past this namespace + prefix: keys are sorted
      keys.emplace_back(found.substr(ns_len));
      rc = mdb_cursor_get(cursor, &mk, &mv, MDB_NEXT);
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
  });
  if (!done) return tl::unexpected(done.error());
  return keys;
}

Result<StorageUsage> ComponentStore::usage(std::string_view ns) {
  if (auto ok = validate_ns(ns); !ok) return tl::unexpected(ok.error());
  const std::string prefix = ns_prefix(ns);
  UsageRecord u;
  auto done = env_->run(false, "storage usage", [&](MDB_txn* txn, std::optional<Error>&) {
    u = {};
    MDB_val uk = val(prefix), uv;
    const int rc = mdb_get(txn, env_->usage, &uk, &uv);
    if (rc == MDB_NOTFOUND) return MDB_SUCCESS;
    if (rc == MDB_SUCCESS && !decode(view(uv), u)) return MDB_CORRUPTED;
    return rc;
  });
  if (!done) return tl::unexpected(done.error());
  return StorageUsage{u.bytes, u.keys, quota(ns)};
}

namespace {
using NsMap = std::map<std::string, std::uint64_t, std::less<>>;
void put(NsMap& m, std::string_view ns, std::uint64_t v) {
  if (auto it = m.find(ns); it != m.end())
    it->second = v;
  else
    m.emplace(std::string(ns), v);
}
std::uint64_t get_or(const NsMap& m, std::string_view ns, std::uint64_t fallback) {
  auto it = m.find(ns);
  return it == m.end() ? fallback : it->second;
}
}  // namespace

void ComponentStore::set_quota(std::string_view ns, std::uint64_t bytes) {
  std::lock_guard lock(quota_mutex_);
  put(quotas_, ns, bytes);
}

void ComponentStore::set_external_bytes(std::string_view ns, std::uint64_t bytes) {
  std::lock_guard lock(quota_mutex_);
  put(external_, ns, bytes);
}

std::uint64_t ComponentStore::external_bytes(std::string_view ns) const {
  std::lock_guard lock(quota_mutex_);
  return get_or(external_, ns, 0);
}

std::uint64_t ComponentStore::quota(std::string_view ns) const {
  std::lock_guard lock(quota_mutex_);
  return get_or(quotas_, ns, options_.default_quota_bytes);
}

Result<void> ComponentStore::sync() {
  std::shared_lock lock(env_->gate);
  if (int rc = mdb_env_sync(env_->env, 1); rc != MDB_SUCCESS) return lmdb_fail("storage sync", rc);
  return {};
}

std::size_t ComponentStore::map_bytes() const {
  std::shared_lock lock(env_->gate);
  return env_->map_size;
}

}  // namespace airssys::wasm
