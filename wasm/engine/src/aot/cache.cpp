// AOT stage 2: compile the generated C with the system compiler into a cache directory, verify,
// load. Cache entries: <key>.so and <key>.so.sha256 (the hex sha256 of the .so's bytes), where
// key = sha256(module sha256, the embedded runtime text, the compiler's --version, the flags).
// Loading reads the whole entry, checks it against its recorded hash and dlopens exactly those
// bytes through a memfd, so a file swapped after the check is never what runs. A mismatch
// (corrupt, truncated or tampered entry) is rebuilt.
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

#include <sodium.h>

#include "aot/aot.hpp"

extern char** environ;

namespace airssys::wasm::detail::aot {
namespace {

// The innermost AOT instance called on each thread (the generated code's runtime reaches it
// through bind_host; see abi.h for why it is not a thread-local of the shared object).
airssys_aot_ctx** current_instance() {
  thread_local airssys_aot_ctx* current = nullptr;
  return &current;
}

using Clock = std::chrono::steady_clock;

// Fixed compiler flags (part of the cache key). No sibling-call optimisation: a guest's
// recursion must stay recursion, so the native stack check can stop it. -fsignaling-nans: gcc
// must not fold x*1, x/1, x-0 (wasm turns a signalling NaN operand into a quiet one; clang
// ignores the flag, so with clang those spec cases differ).
constexpr const char* kFixedFlags[] = {"-fPIC", "-shared", "-fvisibility=hidden", "-fno-optimize-sibling-calls",
                                       "-fsignaling-nans", "-w", "-std=gnu11"};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return hex(d, sizeof d);
}

std::optional<std::string> read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return s;
}

Result<void> write_atomic(const std::filesystem::path& p, std::string_view bytes) {
  auto tmp = p;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return fail(Errc::io_error, tmp.string() + ": cannot write");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, p, ec);
  if (ec) return fail(Errc::io_error, p.string() + ": " + ec.message());
  return {};
}

/// Runs argv, output (stdout + stderr) into `output`. Returns the exit status (-1: not run).
int run(const std::vector<std::string>& argv, std::string& output) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipefd[1]);
  if (rc != 0) {
    ::close(pipefd[0]);
    output = argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  char buf[4096];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (output.size() < (1u << 20)) output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string first_lines(const std::string& s, int n) {
  std::size_t pos = 0;
  for (int i = 0; i < n && pos != std::string::npos; ++i) {
    pos = s.find('\n', pos);
    if (pos != std::string::npos) ++pos;
  }
  return pos == std::string::npos ? s : s.substr(0, pos);
}

/// The compiler's identity for the cache key; computed once per compiler name.
Result<std::string> compiler_identity(const std::string& compiler) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::string> known;
  std::lock_guard lock(mutex);
  if (auto it = known.find(compiler); it != known.end()) return it->second;
  std::string out;
  if (run({compiler, "--version"}, out) != 0) {
    return fail(Errc::compile_failed, "cannot run the C compiler `" + compiler + "`: " + first_lines(out, 3));
  }
  return known.emplace(compiler, out).first->second;
}

/// Creates the cache directory 0700, or checks an existing one: ours and closed to others.
Result<void> prepare_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::io_error, dir.string() + ": " + ec.message());
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return fail(Errc::io_error, dir.string() + ": not a directory");
  if (st.st_uid != ::geteuid()) return fail(Errc::io_error, dir.string() + ": the AOT cache belongs to another user");
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return fail(Errc::io_error, dir.string() + ": cannot make the AOT cache private (chmod 0700)");
  }
  return {};
}

/// dlopens exactly `bytes` (already verified) through an anonymous memfd. The fd stays open while
/// the library is loaded: glibc recognises loaded objects by path, so /proc/self/fd/N must not
/// name two modules at once. Returns the handle and the fd.
Result<std::pair<void*, int>> load_bytes(std::string_view bytes, const std::string& what) {
  int fd = ::memfd_create("airssys-aot", MFD_CLOEXEC);
  if (fd < 0) return fail(Errc::io_error, what + ": memfd_create: " + std::strerror(errno));
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return fail(Errc::io_error, what + ": memfd write failed");
    }
    off += static_cast<std::size_t>(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    ::close(fd);
    const char* err = ::dlerror();
    return fail(Errc::compile_failed, what + ": dlopen: " + (err ? err : "unknown error"));
  }
  return std::pair(handle, fd);
}

}  // namespace

AotModule::AotModule(std::shared_ptr<const ModuleImpl> base, void* handle, int fd, const airssys_aot_module* entry)
    : base_(std::move(base)), handle_(handle), fd_(fd), entry_(entry) {
  const auto& infos = base_->info().exports;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (infos[i].kind != ImportInfo::Kind::func) continue;
    exports_.push_back(ExportEntry{infos[i].name, &infos[i].type, static_cast<std::uint32_t>(i)});
  }
  std::sort(exports_.begin(), exports_.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
}

AotModule::~AotModule() {
  ::dlclose(handle_);
  ::close(fd_);
}

const ExportEntry* AotModule::find(std::string_view name) const noexcept {
  auto it = std::lower_bound(exports_.begin(), exports_.end(), name,
                             [](const ExportEntry& e, std::string_view n) { return e.name < n; });
  return it != exports_.end() && it->name == name ? &*it : nullptr;
}

Result<std::shared_ptr<const AotModule>> compile(const std::shared_ptr<const ModuleImpl>& base, const Config& config,
                                                 AotStats* stats) {
  AotStats local;
  AotStats& st = stats ? *stats : local;
  st = AotStats{};
  const auto& info = base->info();
  for (const auto& imp : info.imports) {
    if (imp.kind != ImportInfo::Kind::func) {
      return fail(Errc::unknown_import, info.name + ": " + import_name(imp) +
                                            ": the host provides functions only; this import is not a function, "
                                            "so the module cannot be compiled");
    }
  }
  if (auto ok = prepare_dir(config.cache_dir); !ok) return tl::unexpected(ok.error());
  auto identity = compiler_identity(config.compiler);
  if (!identity) return fail(identity.error().code, info.name + ": " + identity.error().context);

  std::string key_material = info.sha256;
  key_material += '\0';
  key_material += kTranslatorVersion;
  key_material += '\0';
  for (auto part : {embedded_abi(), embedded_prelude(), embedded_runtime()}) key_material += part;
  key_material += '\0' + config.compiler + '\0' + *identity;
  for (const auto& f : config.flags) key_material += '\0' + f;
  for (const char* f : kFixedFlags) key_material += std::string(1, '\0') + f;
  std::string key = sha256_hex(key_material);
  auto so_path = config.cache_dir / (key + ".so");
  auto sum_path = config.cache_dir / (key + ".so.sha256");
  st.so_path = so_path;

  auto finish = [&](std::string_view bytes) -> Result<std::shared_ptr<const AotModule>> {
    auto t0 = Clock::now();
    auto loaded = load_bytes(bytes, info.name);
    if (!loaded) return tl::unexpected(loaded.error());
    auto [handle, fd] = *loaded;
    auto entry_fn = reinterpret_cast<airssys_aot_entry_fn>(::dlsym(handle, AIRSSYS_AOT_ENTRY));
    const airssys_aot_module* entry = entry_fn ? entry_fn() : nullptr;
    if (!entry || entry->abi_version != AIRSSYS_AOT_ABI_VERSION || entry->nexports != info.exports.size()) {
      ::dlclose(handle);
      ::close(fd);
      return fail(Errc::compile_failed, info.name + ": " + so_path.string() + ": not an airssys AOT module of this version");
    }
    entry->bind_host(&current_instance);
    st.load_ms = ms_since(t0);
    st.so_bytes = bytes.size();
    return std::shared_ptr<const AotModule>(std::make_shared<AotModule>(base, handle, fd, entry));
  };

  // Cache hit: the entry matches its recorded hash.
  {
    auto t0 = Clock::now();
    auto so = read_all(so_path);
    auto sum = read_all(sum_path);
    if (so && sum && sha256_hex(*so) == first_lines(*sum, 1).substr(0, 64)) {
      st.cache_hit = true;
      auto m = finish(*so);
      st.load_ms = ms_since(t0);
      if (m) return m;
    }
  }

  // Miss (or a bad entry): translate, compile in a private scratch directory, publish atomically.
  auto t0 = Clock::now();
  auto source = translate(base->bytes(), info);
  if (!source) return tl::unexpected(source.error());
  st.translate_ms = ms_since(t0);
  st.c_bytes = source->size();

  std::string scratch_template = (config.cache_dir / "build-XXXXXX").string();
  if (!::mkdtemp(scratch_template.data())) return fail(Errc::io_error, scratch_template + ": mkdtemp failed");
  std::filesystem::path scratch = scratch_template;
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } cleanup{scratch};
  if (auto ok = write_atomic(scratch / "module.c", *source); !ok) return tl::unexpected(ok.error());
  if (std::getenv("AIRSSYS_AOT_KEEP_SOURCE")) (void)write_atomic(config.cache_dir / (key + ".c"), *source);

  std::vector<std::string> argv{config.compiler};
  argv.insert(argv.end(), config.flags.begin(), config.flags.end());
  for (const char* f : kFixedFlags) argv.emplace_back(f);
  argv.emplace_back("-o");
  argv.push_back((scratch / "module.so").string());
  argv.push_back((scratch / "module.c").string());
  argv.emplace_back("-lm");
  t0 = Clock::now();
  std::string output;
  int status = run(argv, output);
  st.compile_ms = ms_since(t0);
  if (status != 0) {
    return fail(Errc::compile_failed, info.name + ": `" + config.compiler + "` exited with " + std::to_string(status) +
                                          ": " + first_lines(output, 8));
  }
  auto so = read_all(scratch / "module.so");
  if (!so) return fail(Errc::compile_failed, info.name + ": the compiler wrote no shared object");
  if (auto ok = write_atomic(so_path, *so); !ok) return tl::unexpected(ok.error());
  if (auto ok = write_atomic(sum_path, sha256_hex(*so) + "\n"); !ok) return tl::unexpected(ok.error());
  return finish(*so);
}

}  // namespace airssys::wasm::detail::aot
