// Load stage: read bytes, decode, validate, inspect, cache by content hash.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <mutex>
#include <unordered_map>

#include <sodium.h>
#include <wabt/binary-reader-nop.h>
#include <wabt/binary-reader.h>
#include <wabt/interp/binary-reader-interp.h>

#include "aot/aot.hpp"
#include "module_impl.hpp"

namespace airssys::wasm {
namespace detail {
namespace {

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof digest);
  for (unsigned char b : digest) {
    hex += kHex[b >> 4];
    hex += kHex[b & 0xf];
  }
  return hex;
}

wabt::ReadBinaryOptions read_options() {
  wabt::ReadBinaryOptions options;  // default features, like wabt's own tools
  // A custom section with a broken header is malformed (spec custom.wast); wabt decodes the
  // contents of only a few toolchain sections (names are skipped), so valid modules are unaffected.
  options.fail_on_custom_section_error = true;
  return options;
}

/// "<name>: offset 0x1c: <reason>" from the first error wabt reported.
std::string describe(std::string_view name, const wabt::Errors& errors) {
  std::string out(name);
  if (errors.empty()) return out + ": rejected without a reason";
  char offset[32];
  std::snprintf(offset, sizeof offset, ": offset 0x%zx: ", errors.front().loc.offset);
  return out + offset + errors.front().message;
}

/// Binary syntax only (no validation): tells malformed input from input that does not validate.
/// On the way it notes bulk memory/table instructions, whose cost grows with the memory size.
class SyntaxCheck final : public wabt::BinaryReaderNop {
 public:
  bool OnError(const wabt::Error& error) override {
    errors.push_back(error);
    return true;  // handled: wabt would otherwise print it to stderr
  }
  wabt::Result OnMemoryCopyExpr(wabt::Index, wabt::Index) override { return bulk(); }
  wabt::Result OnMemoryFillExpr(wabt::Index) override { return bulk(); }
  wabt::Result OnMemoryInitExpr(wabt::Index, wabt::Index) override { return bulk(); }
  wabt::Result OnTableCopyExpr(wabt::Index, wabt::Index) override { return bulk(); }
  wabt::Result OnTableFillExpr(wabt::Index) override { return bulk(); }
  wabt::Result OnTableInitExpr(wabt::Index, wabt::Index) override { return bulk(); }
  wabt::Result OnDataCount(wabt::Index count) override {
    data_count = count;
    return wabt::Result::Ok;
  }
  wabt::Result OnDataSegmentCount(wabt::Index count) override {
    data_segments = count;
    return wabt::Result::Ok;
  }

  wabt::Errors errors;
  bool uses_bulk_ops = false;
  std::optional<wabt::Index> data_count;  // the DataCount section, if any
  wabt::Index data_segments = 0;          // the Data section's count (none: 0)

 private:
  wabt::Result bulk() {
    uses_bulk_ops = true;
    return wabt::Result::Ok;
  }
};

/// Returns whether the module uses bulk memory/table instructions.
Result<bool> check_syntax(std::string_view name, std::span<const std::uint8_t> bytes) {
  SyntaxCheck check;
  auto options = read_options();
  if (wabt::Failed(wabt::ReadBinary(bytes.data(), bytes.size(), &check, options))) {
    return fail(Errc::malformed_module, describe(name, check.errors));
  }
  // The spec makes this malformed; wabt 1.0.32 misses it when the Data section is absent, and
  // its interpreter then reads a data segment that does not exist (found by load_fuzz).
  if (check.data_count && *check.data_count != check.data_segments) {
    return fail(Errc::malformed_module, std::string(name) + ": the data count section says " +
                                            std::to_string(*check.data_count) + " data segments, the module has " +
                                            std::to_string(check.data_segments));
  }
  return check.uses_bulk_ops;
}

ModuleInfo inspect(std::string name, const wi::ModuleDesc& desc, std::span<const std::uint8_t> bytes) {
  ModuleInfo info;
  info.name = std::move(name);
  info.size_bytes = bytes.size();
  info.sha256 = sha256_hex(bytes);
  for (const auto& imp : desc.imports) {
    ImportInfo i{imp.type.module, imp.type.name, from_wabt(imp.type.type->kind), {}};
    if (auto* f = wabt::dyn_cast<wi::FuncType>(imp.type.type.get())) i.type = from_wabt(*f);
    if (auto* m = wabt::dyn_cast<wi::MemoryType>(imp.type.type.get())) {
      info.memories.push_back({m->limits.initial, m->limits.has_max ? std::optional(m->limits.max) : std::nullopt});
    }
    info.imports.push_back(std::move(i));
  }
  for (const auto& mem : desc.memories) {
    const auto& l = mem.type.limits;
    info.memories.push_back({l.initial, l.has_max ? std::optional(l.max) : std::nullopt});
  }
  for (const auto& exp : desc.exports) {
    ExportInfo e{exp.type.name, from_wabt(exp.type.type->kind), {}};
    if (auto* f = wabt::dyn_cast<wi::FuncType>(exp.type.type.get())) e.type = from_wabt(*f);
    info.exports.push_back(std::move(e));
  }
  return info;
}

Result<std::shared_ptr<ModuleImpl>> decode(std::string name, std::span<const std::uint8_t> bytes) {
  auto bulk = check_syntax(name, bytes);
  if (!bulk) return tl::unexpected(bulk.error());
  wabt::Errors errors;
  wi::ModuleDesc desc;
  auto options = read_options();
  if (wabt::Failed(wi::ReadBinaryInterp(name, bytes.data(), bytes.size(), options, &errors, &desc))) {
    return fail(Errc::invalid_module, describe(name, errors));
  }
  auto info = inspect(std::move(name), desc, bytes);
  return std::make_shared<ModuleImpl>(std::move(info), std::move(desc), *bulk,
                                      std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

Result<std::vector<std::uint8_t>> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::io_error, path.string() + ": cannot open");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return fail(Errc::io_error, path.string() + ": read failed");
  return bytes;
}

}  // namespace

ModuleImpl::ModuleImpl(ModuleInfo info, wi::ModuleDesc desc, bool uses_bulk_ops, std::vector<std::uint8_t> bytes)
    : info_(std::move(info)), desc_(std::move(desc)), uses_bulk_ops_(uses_bulk_ops), bytes_(std::move(bytes)) {
  if (!desc_.starts.empty()) start_ = desc_.starts.front().func_index;
  desc_.starts.clear();
  std::uint64_t most = 2;  // any plain instruction pushes at most a couple of values
  for (const auto& f : desc_.funcs) {
    if (!f.locals.empty()) most = std::max<std::uint64_t>(most, f.locals.back().end);
  }
  for (const auto& t : desc_.func_types) most = std::max<std::uint64_t>(most, t.results.size() + t.params.size());
  max_values_per_step_ = most;
  memory_plan_ = plan_memory(desc_);
}

}  // namespace detail

namespace detail {
namespace {

// A std::mutex that clang's -Wthread-safety can reason about (libstdc++'s is not annotated).
class __attribute__((capability("mutex"))) Mutex {
 public:
  void lock() __attribute__((acquire_capability())) { m_.lock(); }
  void unlock() __attribute__((release_capability())) { m_.unlock(); }

 private:
  std::mutex m_;
};

class __attribute__((scoped_lockable)) Lock {
 public:
  explicit Lock(Mutex& m) __attribute__((acquire_capability(m))) : m_(m) { m_.lock(); }
  ~Lock() __attribute__((release_capability())) { m_.unlock(); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  Mutex& m_;
};

}  // namespace
}  // namespace detail

struct Engine::Impl {
  mutable detail::Mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const detail::ModuleImpl>> by_hash __attribute__((guarded_by(mutex)));
  std::unordered_map<std::string, std::shared_ptr<const detail::aot::AotModule>> aot_by_hash __attribute__((guarded_by(mutex)));
  detail::aot::Config aot;
  detail::Mutex compile_mutex;  // one compile at a time per Engine: the machine's cores are shared
};

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::move(fallback);
}

std::filesystem::path default_cache_dir() {
  if (const char* v = std::getenv("AIRSSYS_AOT_CACHE"); v && *v) return v;
  if (const char* v = std::getenv("XDG_CACHE_HOME"); v && *v) return std::filesystem::path(v) / "airssys" / "aot";
  if (const char* v = std::getenv("HOME"); v && *v) return std::filesystem::path(v) / ".cache" / "airssys" / "aot";
  return std::filesystem::temp_directory_path() / ("airssys-aot-" + std::to_string(::getuid()));
}

}  // namespace

Engine::Engine() : Engine(AotOptions{}) {}

Engine::Engine(AotOptions aot) : impl_(std::make_unique<Impl>()) {
  // libsodium must be initialised once before use; it is idempotent and thread-safe.
  if (sodium_init() < 0) std::abort();
  impl_->aot.cache_dir = aot.cache_dir.empty() ? default_cache_dir() : aot.cache_dir;
  impl_->aot.compiler = aot.compiler.empty() ? env_or("AIRSSYS_AOT_CC", "cc") : aot.compiler;
  impl_->aot.flags = aot.flags.empty() ? std::vector<std::string>{"-O3"} : aot.flags;  // release preset: -O3 too
}

Engine::~Engine() = default;

Result<std::shared_ptr<const Module>> Engine::load(std::span<const std::uint8_t> bytes, std::string name, Tier tier) {
  if (tier == Tier::aot) {
    auto m = load(bytes, std::move(name), Tier::interp);
    if (!m) return m;
    return compile(**m);
  }
  std::string hash = detail::sha256_hex(bytes);
  {
    detail::Lock lock(impl_->mutex);
    if (auto it = impl_->by_hash.find(hash); it != impl_->by_hash.end()) return it->second;
  }
  // Decode outside the lock: loads of different modules proceed in parallel. If two threads
  // decode the same bytes, the first to insert wins and both get that module.
  std::string label = name;
  Result<std::shared_ptr<detail::ModuleImpl>> decoded;
  try {
    decoded = detail::decode(std::move(name), bytes);
  } catch (const std::bad_alloc&) {  // wabt sizes some tables from counts in the input
    return fail(Errc::malformed_module, label + ": the host ran out of memory decoding it");
  }
  if (!decoded) return tl::unexpected(decoded.error());
  detail::Lock lock(impl_->mutex);
  auto [it, inserted] = impl_->by_hash.emplace(std::move(hash), std::move(*decoded));
  return it->second;
}

Result<std::shared_ptr<const Module>> Engine::load_file(const std::filesystem::path& path, Tier tier) {
  auto bytes = detail::read_file(path);
  if (!bytes) return tl::unexpected(bytes.error());
  return load(*bytes, path.string(), tier);
}

Result<std::shared_ptr<const Module>> Engine::compile(const Module& module, AotStats* stats) {
  if (const auto* aot = dynamic_cast<const detail::aot::AotModule*>(&module)) {
    if (stats) *stats = AotStats{.cache_hit = true};
    return std::shared_ptr<const Module>(aot->shared_from_this());
  }
  const auto* impl = dynamic_cast<const detail::ModuleImpl*>(&module);
  if (!impl) return fail(Errc::invalid_argument, "Engine::compile: the module was not loaded by an Engine");
  const std::string& hash = impl->info().sha256;
  {
    detail::Lock lock(impl_->mutex);
    if (auto it = impl_->aot_by_hash.find(hash); it != impl_->aot_by_hash.end()) {
      if (stats) *stats = AotStats{.cache_hit = true};
      return std::shared_ptr<const Module>(it->second);
    }
  }
  detail::Lock one_at_a_time(impl_->compile_mutex);
  {
    detail::Lock lock(impl_->mutex);
    if (auto it = impl_->aot_by_hash.find(hash); it != impl_->aot_by_hash.end()) {
      if (stats) *stats = AotStats{.cache_hit = true};
      return std::shared_ptr<const Module>(it->second);
    }
  }
  Result<std::shared_ptr<const detail::aot::AotModule>> compiled;
  try {
    compiled = detail::aot::compile(impl->shared_from_this(), impl_->aot, stats);
  } catch (const std::bad_alloc&) {
    return fail(Errc::compile_failed, impl->info().name + ": the host ran out of memory translating it");
  }
  if (!compiled) return tl::unexpected(compiled.error());
  detail::Lock lock(impl_->mutex);
  auto [it, inserted] = impl_->aot_by_hash.emplace(hash, std::move(*compiled));
  return std::shared_ptr<const Module>(it->second);
}

std::size_t Engine::trim_recycled(std::chrono::milliseconds unused_for) {
  std::vector<std::shared_ptr<const detail::ModuleImpl>> modules;
  {
    detail::Lock lock(impl_->mutex);
    for (const auto& [hash, m] : impl_->by_hash) modules.push_back(m);
  }
  const auto cutoff = std::chrono::steady_clock::now() - unused_for;
  std::size_t bytes = 0;
  for (const auto& m : modules) bytes += m->shelf().trim(cutoff) + m->memories().trim(cutoff);
  return bytes;
}

std::size_t Engine::cached_modules() const {
  detail::Lock lock(impl_->mutex);
  return impl_->by_hash.size();
}

}  // namespace airssys::wasm
