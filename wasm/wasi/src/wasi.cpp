#include <airssys/wasm/wasi.hpp>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <thread>

namespace airssys::wasm::wasi {

namespace {

using Args = std::span<const Value>;
using Clock = std::chrono::steady_clock;

// ---- rights, flags and layouts of preview 1 (wasi/api.h) ---------------------------------------
constexpr std::uint64_t kRightFdRead = 1u << 1, kRightFdSeek = 1u << 2, kRightFdTell = 1u << 5,
                        kRightFdWrite = 1u << 6, kRightFdReaddir = 1u << 14;
constexpr std::uint64_t kAllRights = (std::uint64_t{1} << 30) - 1;
constexpr std::uint64_t kWriteRights = kRightFdWrite | (1u << 0) /*datasync*/ | (1u << 4) /*sync*/ |
                                       (1u << 8) /*allocate*/ | (1u << 9) /*create dir*/ | (1u << 10) /*create file*/ |
                                       (1u << 12) /*link target*/ | (1u << 17) /*rename target*/ |
                                       (1u << 19) /*path set size*/ | (1u << 22) /*fd set size*/ |
                                       (1u << 24) /*symlink*/ | (1u << 25) /*rmdir*/ | (1u << 26) /*unlink*/;
constexpr std::uint8_t kTypeUnknown = 0, kTypeCharDevice = 2, kTypeDirectory = 3, kTypeRegular = 4, kTypeSymlink = 7;
constexpr std::uint16_t kOflagCreat = 1, kOflagDirectory = 2, kOflagExcl = 4, kOflagTrunc = 8;
constexpr std::uint16_t kFdflagAppend = 1;
constexpr std::uint32_t kFirstFile = 4;  // 0-2 stdio, 3 the preopen
constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::uint32_t kMaxIovs = 1024;

std::uint16_t from_errno(int e) {
  switch (e) {
    case EACCES: return kAcces;
    case EBADF: return kBadf;
    case EEXIST: return kExist;
    case EINVAL: return kInval;
    case EISDIR: return kIsdir;
    case ELOOP: return kLoop;
    case EMFILE: case ENFILE: return kMfile;
    case ENAMETOOLONG: return kNametoolong;
    case ENOENT: return kNoent;
    case ENOSPC: case EDQUOT: return kNospc;
    case ENOTDIR: return kNotdir;
    case ENOTEMPTY: return kNotempty;
    case EPERM: return kPerm;
    case ESPIPE: return kSpipe;
    default: return kIo;
  }
}

/// Bounds-checked little-endian access to the caller's memory (x86-64 and aarch64 hosts are
/// little-endian like wasm, so loads and stores are memcpy).
struct Mem {
  std::span<std::uint8_t> m;
  bool ok(std::uint32_t p, std::uint64_t n) const { return std::uint64_t{p} + n <= m.size(); }
  template <class T>
  bool get(std::uint32_t p, T& v) const {
    if (!ok(p, sizeof(T))) return false;
    std::memcpy(&v, m.data() + p, sizeof(T));
    return true;
  }
  template <class T>
  bool put(std::uint32_t p, T v) {
    if (!ok(p, sizeof(T))) return false;
    std::memcpy(m.data() + p, &v, sizeof(T));
    return true;
  }
  std::uint8_t* at(std::uint32_t p) { return m.data() + p; }
};

/// One guest buffer of an iovec list, checked.
struct Iov {
  std::uint32_t ptr, len;
};
/// Reads `n` iovecs at `p`. False: a bad pointer (EFAULT) or too many (EINVAL in *why).
bool read_iovs(const Mem& mem, std::uint32_t p, std::uint32_t n, std::vector<Iov>& out, std::uint16_t& why) {
  if (n > kMaxIovs) {
    why = kInval;
    return false;
  }
  why = kFault;
  if (!mem.ok(p, std::uint64_t{n} * 8)) return false;
  out.clear();
  for (std::uint32_t i = 0; i < n; ++i) {
    Iov v{};
    mem.get(p + i * 8, v.ptr);
    mem.get(p + i * 8 + 4, v.len);
    if (!mem.ok(v.ptr, v.len)) return false;
    out.push_back(v);
  }
  return true;
}

/// A token bucket: `rate` per second, at most `burst` at once; rate 0 = unlimited.
class Bucket {
 public:
  Bucket(std::uint32_t rate, std::uint32_t burst) : rate_(rate), burst_(std::max(burst, 1u)), tokens_(burst_) {}
  bool take() {
    if (rate_ == 0) return true;
    const auto now = Clock::now();
    if (started_)
      tokens_ = std::min<double>(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    started_ = true;
    last_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  std::uint32_t rate_, burst_;
  double tokens_;
  bool started_ = false;
  Clock::time_point last_;
};

struct OpenFile {
  int fd = -1;
  bool dir = false;
  bool readable = false;
  bool writable = false;
  bool append = false;
  std::string path;  // relative to the preopen, for messages
};

}  // namespace

// ---- State -------------------------------------------------------------------------------------

struct State::Impl {
  Options opt;
  Hooks hooks;
  int root = -1;  // the preopened directory (O_PATH), -1 without a grant
  std::map<std::uint32_t, OpenFile> files;
  std::array<std::string, 2> pending;  // partial lines of stdout, stderr
  Bucket lines;
  Bucket denials;
  std::uint64_t dropped_since_note = 0;
  Clock::time_point last_note{};
  std::optional<std::uint32_t> exit;
  Stats stats;
  std::vector<std::string> reported;  // unsupported functions already audited
  std::vector<Iov> iovs;              // reused

  Impl(Options o, Hooks h)
      : opt(std::move(o)),
        hooks(std::move(h)),
        lines(opt.max_lines_per_second, opt.line_burst),
        denials(opt.max_denials_per_second, opt.max_denials_per_second) {}
  ~Impl() {
    flush();
    for (auto& [n, f] : files) ::close(f.fd);
    if (root >= 0) ::close(root);
  }

  // -- output --
  void emit(Stream s, std::string_view line) {
    if (!lines.take()) {
      ++stats.dropped_lines;
      ++dropped_since_note;
      return;
    }
    // The note about dropped lines takes a token too, and comes at most once a second.
    const auto now = Clock::now();
    if (dropped_since_note && now - last_note >= std::chrono::seconds(1)) {
      const std::string note = "(" + std::to_string(dropped_since_note) + " lines dropped: rate limit of " +
                               std::to_string(opt.max_lines_per_second) + " lines/s)";
      dropped_since_note = 0;
      last_note = now;
      if (hooks.line) hooks.line(s, note);
      if (!lines.take()) {
        ++stats.dropped_lines;
        ++dropped_since_note;
        return;
      }
    }
    ++stats.lines;
    if (hooks.line) hooks.line(s, line);
  }
  void output(Stream s, std::string_view bytes) {
    std::string& buf = pending[s == Stream::out ? 0 : 1];
    while (!bytes.empty()) {
      const auto nl = bytes.find('\n');
      const std::string_view piece = bytes.substr(0, nl);
      if (buf.size() + piece.size() >= opt.max_line_bytes) {  // cut an overlong line
        const std::size_t take = opt.max_line_bytes - std::min(buf.size(), opt.max_line_bytes);
        buf.append(piece.substr(0, take));
        emit(s, buf);
        buf.clear();
        bytes.remove_prefix(take);
        continue;
      }
      buf.append(piece);
      if (nl == std::string_view::npos) return;
      emit(s, buf);
      buf.clear();
      bytes.remove_prefix(nl + 1);
    }
  }
  void flush() {
    for (int i = 0; i < 2; ++i)
      if (!pending[i].empty()) {
        emit(i == 0 ? Stream::out : Stream::err, pending[i]);
        pending[i].clear();
      }
  }

  // -- denials --
  std::uint16_t deny(std::string_view call, std::string_view target, std::string_view reason,
                     std::uint16_t code = kNotcapable) {
    ++stats.denied;
    if (hooks.denied && denials.take()) hooks.denied(call, target, reason);
    return code;
  }
  std::uint16_t unsupported(std::string_view name) {
    ++stats.denied;
    if (std::find(reported.begin(), reported.end(), name) == reported.end()) {
      reported.emplace_back(name);
      if (hooks.denied)
        hooks.denied("wasi." + std::string(name), opt.name, "not provided by the airssys WASI subset (ENOSYS)");
    }
    return kNosys;
  }

  // -- quota --
  bool reserve(std::uint64_t n) { return n == 0 || !hooks.reserve || hooks.reserve(n); }
  void release(std::uint64_t n) {
    if (n && hooks.release) hooks.release(n);
  }

  // -- fds --
  OpenFile* file(std::uint32_t fd) {
    auto it = files.find(fd);
    return it == files.end() ? nullptr : &it->second;
  }
  /// The host directory fd behind a guest directory fd, or -1 (with *err set).
  int dir_fd(std::uint32_t fd, std::uint16_t& err) {
    if (fd == 3) {
      if (root < 0) err = kNotcapable;
      return root;
    }
    OpenFile* f = file(fd);
    if (!f) {
      err = kBadf;
      return -1;
    }
    if (!f->dir) {
      err = kNotdir;
      return -1;
    }
    return f->fd;
  }
  std::uint32_t next_fd() const {
    std::uint32_t n = kFirstFile;
    for (auto& [fd, f] : files) {
      if (fd != n) break;
      ++n;
    }
    return n;
  }

  struct Resolved {
    int parent = -1;    // owned: close it
    std::string leaf;   // "." for the directory itself
  };
  /// Resolves `path` beneath host directory `base`: every intermediate component is opened with
  /// O_NOFOLLOW, ".." and absolute paths are refused before touching the file system.
  std::uint16_t resolve(std::string_view call, int base, std::string_view path, Resolved& out) {
    if (path.empty()) return kNoent;
    if (path.size() > kMaxPathBytes) return kNametoolong;
    if (path.find('\0') != std::string_view::npos) return kInval;
    if (path.front() == '/') return deny(call, path, "absolute path (paths are relative to the component's directory)");
    std::vector<std::string_view> parts;
    for (std::size_t i = 0; i <= path.size();) {
      const auto j = std::min(path.find('/', i), path.size());
      const auto part = path.substr(i, j - i);
      if (part == "..") return deny(call, path, "'..' in path (paths stay inside the component's directory)");
      if (!part.empty() && part != ".") parts.push_back(part);
      i = j + 1;
    }
    int cur = ::openat(base, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0) return from_errno(errno);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const std::string name(parts[i]);
      const int next = ::openat(cur, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0) {
        const int e = errno;
        const bool link = is_symlink(cur, name);
        ::close(cur);
        if (link) return deny(call, path, "symbolic link in path (links are not followed)");
        return from_errno(e);
      }
      ::close(cur);
      cur = next;
    }
    out.parent = cur;
    out.leaf = parts.empty() ? std::string(".") : std::string(parts.back());
    return kSuccess;
  }
  static bool is_symlink(int dir, const std::string& name) {
    struct stat st {};
    return ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
  }
};

State::State(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
State::~State() = default;

Result<std::unique_ptr<State>> State::create(Options options, Hooks hooks) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(hooks));
  if (impl->opt.max_line_bytes == 0) impl->opt.max_line_bytes = 1;
  if (impl->opt.fs != FsAccess::none) {
    if (impl->opt.dir.empty())
      return fail(Errc::invalid_config, impl->opt.name + ": a filesystem grant needs a directory");
    impl->root = ::open(impl->opt.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (impl->root < 0)
      return fail(Errc::io_error, impl->opt.name + ": cannot open its directory " + impl->opt.dir.string() + ": " +
                                      std::strerror(errno));
  }
  return std::unique_ptr<State>(new State(std::move(impl)));
}

void State::flush() { impl_->flush(); }
std::optional<std::uint32_t> State::exit_code() const noexcept { return impl_->exit; }
Stats State::stats() const noexcept { return impl_->stats; }
const Options& State::options() const noexcept { return impl_->opt; }

// ---- the functions -----------------------------------------------------------------------------

namespace {

using I = State::Impl;
constexpr ValType I32 = ValType::i32;
constexpr ValType I64 = ValType::i64;

std::uint16_t strings_sizes(Mem mem, const std::vector<std::string>& v, std::uint32_t count_p, std::uint32_t size_p) {
  std::uint32_t bytes = 0;
  for (auto& s : v) bytes += static_cast<std::uint32_t>(s.size() + 1);
  if (!mem.put(count_p, static_cast<std::uint32_t>(v.size())) || !mem.put(size_p, bytes)) return kFault;
  return kSuccess;
}

std::uint16_t strings_get(Mem mem, const std::vector<std::string>& v, std::uint32_t ptrs, std::uint32_t buf) {
  std::uint64_t total = 0;
  for (auto& s : v) total += s.size() + 1;
  if (!mem.ok(ptrs, std::uint64_t{v.size()} * 4) || !mem.ok(buf, total)) return kFault;
  for (std::size_t i = 0; i < v.size(); ++i) {
    mem.put(static_cast<std::uint32_t>(ptrs + i * 4), buf);
    std::memcpy(mem.at(buf), v[i].c_str(), v[i].size() + 1);
    buf += static_cast<std::uint32_t>(v[i].size() + 1);
  }
  return kSuccess;
}

std::uint16_t clock_now(std::uint32_t id, std::uint64_t& ns) {
  timespec ts{};
  if (id == 0)
    ::clock_gettime(CLOCK_REALTIME, &ts);
  else if (id == 1)
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
  else
    return kInval;  // process/thread CPU time: not offered
  ns = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
  return kSuccess;
}

std::uint16_t fd_write(I& s, Mem mem, Args a) {
  const std::uint32_t fd = a[0].u32;
  std::uint16_t why = kFault;
  if (!read_iovs(mem, a[1].u32, a[2].u32, s.iovs, why)) return why;
  if (!mem.ok(a[3].u32, 4)) return kFault;
  std::uint64_t total = 0;
  for (auto& v : s.iovs) total += v.len;
  if (fd == 1 || fd == 2) {
    for (auto& v : s.iovs)
      s.output(fd == 1 ? Stream::out : Stream::err,
               std::string_view(reinterpret_cast<const char*>(mem.at(v.ptr)), v.len));
    mem.put(a[3].u32, static_cast<std::uint32_t>(total));
    return kSuccess;
  }
  if (fd == 0 || fd == 3) return kBadf;
  OpenFile* f = s.file(fd);
  if (!f) return kBadf;
  if (f->dir) return kIsdir;
  if (!f->writable) return kBadf;
  struct stat st {};
  if (::fstat(f->fd, &st) != 0) return from_errno(errno);
  const std::uint64_t old_size = static_cast<std::uint64_t>(st.st_size);
  const off_t pos = f->append ? st.st_size : ::lseek(f->fd, 0, SEEK_CUR);
  if (pos < 0) return from_errno(errno);
  const std::uint64_t end = static_cast<std::uint64_t>(pos) + total;
  const std::uint64_t growth = end > old_size ? end - old_size : 0;
  if (!s.reserve(growth))
    return s.deny("wasi.fd_write", f->path,
                  "storage quota exceeded (" + std::to_string(growth) + " more bytes asked)", kNospc);
  std::vector<iovec> host(s.iovs.size());
  for (std::size_t i = 0; i < s.iovs.size(); ++i) host[i] = {mem.at(s.iovs[i].ptr), s.iovs[i].len};
  const ssize_t n = ::writev(f->fd, host.data(), static_cast<int>(host.size()));
  const int e = errno;
  std::uint64_t grown = 0;
  if (::fstat(f->fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) > old_size)
    grown = static_cast<std::uint64_t>(st.st_size) - old_size;
  if (grown < growth) s.release(growth - grown);
  if (n < 0) return from_errno(e);
  s.stats.bytes_written += static_cast<std::uint64_t>(n);
  mem.put(a[3].u32, static_cast<std::uint32_t>(n));
  return kSuccess;
}

std::uint16_t fd_read(I& s, Mem mem, Args a) {
  std::uint16_t why = kFault;
  if (!read_iovs(mem, a[1].u32, a[2].u32, s.iovs, why)) return why;
  if (!mem.ok(a[3].u32, 4)) return kFault;
  const std::uint32_t fd = a[0].u32;
  if (fd == 0) return mem.put(a[3].u32, std::uint32_t{0}), kSuccess;  // stdin: always at its end
  OpenFile* f = s.file(fd);
  if (!f || fd <= 3) return kBadf;
  if (f->dir) return kIsdir;
  if (!f->readable) return kBadf;
  std::vector<iovec> host(s.iovs.size());
  for (std::size_t i = 0; i < s.iovs.size(); ++i) host[i] = {mem.at(s.iovs[i].ptr), s.iovs[i].len};
  const ssize_t n = ::readv(f->fd, host.data(), static_cast<int>(host.size()));
  if (n < 0) return from_errno(errno);
  mem.put(a[3].u32, static_cast<std::uint32_t>(n));
  return kSuccess;
}

std::uint16_t fd_fdstat_get(I& s, Mem mem, Args a) {
  const std::uint32_t fd = a[0].u32, out = a[1].u32;
  if (!mem.ok(out, 24)) return kFault;
  std::uint8_t type = kTypeUnknown;
  std::uint16_t flags = 0;
  std::uint64_t base = 0, inheriting = 0;
  const std::uint64_t fs_rights = s.opt.fs == FsAccess::read_write ? kAllRights : kAllRights & ~kWriteRights;
  if (fd <= 2) {
    type = kTypeCharDevice;  // no seek/tell rights: libc treats it as a terminal (line-buffered)
    base = fd == 0 ? kRightFdRead : kRightFdWrite;
  } else if (fd == 3) {
    type = kTypeDirectory;
    base = inheriting = fs_rights;
  } else if (OpenFile* f = s.file(fd)) {
    type = f->dir ? kTypeDirectory : kTypeRegular;
    flags = f->append ? kFdflagAppend : 0;
    base = f->dir ? fs_rights : (kRightFdSeek | kRightFdTell | (1u << 21) /*filestat get*/ |
                                 (f->readable ? kRightFdRead : 0) | (f->writable ? kRightFdWrite : 0));
    inheriting = f->dir ? fs_rights : 0;
  } else {
    return kBadf;
  }
  std::array<std::uint8_t, 24> rec{};
  rec[0] = type;
  std::memcpy(rec.data() + 2, &flags, 2);
  std::memcpy(rec.data() + 8, &base, 8);
  std::memcpy(rec.data() + 16, &inheriting, 8);
  std::memcpy(mem.at(out), rec.data(), rec.size());
  return kSuccess;
}

std::uint16_t put_filestat(Mem mem, std::uint32_t out, const struct stat& st) {
  if (!mem.ok(out, 64)) return kFault;
  std::array<std::uint8_t, 64> rec{};
  auto u64 = [&](std::size_t off, std::uint64_t v) { std::memcpy(rec.data() + off, &v, 8); };
  u64(0, st.st_dev);
  u64(8, st.st_ino);
  rec[16] = S_ISDIR(st.st_mode) ? kTypeDirectory : S_ISREG(st.st_mode) ? kTypeRegular
                                                  : S_ISLNK(st.st_mode) ? kTypeSymlink
                                                                        : kTypeUnknown;
  u64(24, st.st_nlink);
  u64(32, static_cast<std::uint64_t>(st.st_size));
  auto ns = [](const timespec& t) {
    return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(t.tv_nsec);
  };
  u64(40, ns(st.st_atim));
  u64(48, ns(st.st_mtim));
  u64(56, ns(st.st_ctim));
  std::memcpy(mem.at(out), rec.data(), rec.size());
  return kSuccess;
}

std::uint16_t fd_filestat_get(I& s, Mem mem, Args a) {
  const std::uint32_t fd = a[0].u32;
  struct stat st {};
  if (fd <= 2) {
    st.st_mode = S_IFCHR;
    return put_filestat(mem, a[1].u32, st);
  }
  std::uint16_t err = kSuccess;
  const int host = fd == 3 ? s.dir_fd(3, err) : (s.file(fd) ? s.file(fd)->fd : -1);
  if (fd == 3 && host < 0) {
    st.st_mode = S_IFDIR;  // the placeholder preopen of a component without a grant
    return put_filestat(mem, a[1].u32, st);
  }
  if (host < 0) return kBadf;
  if (::fstat(host, &st) != 0) return from_errno(errno);
  return put_filestat(mem, a[1].u32, st);
}

std::uint16_t fd_seek(I& s, Mem mem, std::uint32_t fd, std::int64_t offset, std::uint32_t whence, std::uint32_t out) {
  if (fd <= 2) return kSpipe;
  OpenFile* f = s.file(fd);
  if (!f) return fd == 3 ? kIsdir : kBadf;
  if (f->dir) return kIsdir;
  if (whence > 2) return kInval;
  if (!mem.ok(out, 8)) return kFault;
  const int w = whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : SEEK_END;
  const off_t r = ::lseek(f->fd, offset, w);
  if (r < 0) return from_errno(errno);
  mem.put(out, static_cast<std::uint64_t>(r));
  return kSuccess;
}

std::uint16_t fd_close(I& s, std::uint32_t fd) {
  if (fd <= 3) return kSuccess;  // stdio and the preopen stay: closing them is a no-op
  auto it = s.files.find(fd);
  if (it == s.files.end()) return kBadf;
  ::close(it->second.fd);
  s.files.erase(it);
  return kSuccess;
}

std::uint16_t fd_prestat_get(I& s, Mem mem, Args a) {
  if (a[0].u32 != 3) return kBadf;
  if (!mem.ok(a[1].u32, 8)) return kFault;
  mem.put(a[1].u32, std::uint32_t{0});  // tag 0: a directory (3 padding bytes)
  mem.put(a[1].u32 + 4, std::uint32_t{1});  // name length of "."
  return kSuccess;
}

std::uint16_t fd_prestat_dir_name(Mem mem, Args a) {
  if (a[0].u32 != 3) return kBadf;
  if (a[2].u32 < 1) return kNametoolong;
  if (!mem.ok(a[1].u32, 1)) return kFault;
  *mem.at(a[1].u32) = '.';
  return kSuccess;
}

/// The guest path at (ptr, len), or nullopt (EFAULT).
std::optional<std::string_view> guest_path(Mem mem, std::uint32_t p, std::uint32_t n) {
  if (!mem.ok(p, n)) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(mem.at(p)), n);
}

/// Common head of the path calls: the grant, the directory fd, the resolution.
std::uint16_t begin_path(I& s, std::string_view call, std::uint32_t dirfd, std::string_view path, bool write,
                         I::Resolved& r) {
  if (s.opt.fs == FsAccess::none) return s.deny(call, path, "no filesystem grant");
  if (write && s.opt.fs != FsAccess::read_write) return s.deny(call, path, "the filesystem grant is read-only");
  std::uint16_t err = kSuccess;
  const int base = s.dir_fd(dirfd, err);
  if (base < 0) return err;
  return s.resolve(call, base, path, r);
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};


// (fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags, retptr)
std::uint16_t path_open(I& s, Mem mem, Args a) {
  const auto path = guest_path(mem, a[2].u32, a[3].u32);
  if (!path || !mem.ok(a[8].u32, 4)) return kFault;
  const std::uint32_t oflags = a[4].u32, fdflags = a[7].u32;
  const std::uint64_t rights = a[5].u64;
  const bool want_dir = (oflags & kOflagDirectory) != 0;
  const bool write = !want_dir && ((rights & kRightFdWrite) != 0 || (oflags & (kOflagCreat | kOflagTrunc)) != 0 ||
                                   (fdflags & kFdflagAppend) != 0);
  const bool read = want_dir || (rights & (kRightFdRead | kRightFdReaddir)) != 0 || !write;
  I::Resolved r;
  if (auto e = begin_path(s, "wasi.path_open", a[0].u32, *path, write, r); e != kSuccess) return e;
  FdCloser parent{r.parent};
  if (s.files.size() >= s.opt.max_open_files) return kMfile;

  int flags = O_CLOEXEC | O_NOFOLLOW;
  flags |= want_dir ? (O_RDONLY | O_DIRECTORY) : (read && write) ? O_RDWR : write ? O_WRONLY : O_RDONLY;
  if (oflags & kOflagCreat) flags |= O_CREAT;
  if (oflags & kOflagExcl) flags |= O_EXCL;
  if (oflags & kOflagTrunc) flags |= O_TRUNC;
  if (fdflags & kFdflagAppend) flags |= O_APPEND;
  struct stat before {};
  const bool existed = ::fstatat(r.parent, r.leaf.c_str(), &before, AT_SYMLINK_NOFOLLOW) == 0;
  if (existed && S_ISLNK(before.st_mode))
    return s.deny("wasi.path_open", *path, "symbolic link in path (links are not followed)");
  const int fd = ::openat(r.parent, r.leaf.c_str(), flags, 0640);
  if (fd < 0) return from_errno(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
    ::close(fd);
    return s.deny("wasi.path_open", *path, "not a regular file or directory", kAcces);
  }
  if (existed && S_ISREG(before.st_mode) && st.st_size < before.st_size)  // O_TRUNC freed bytes
    s.release(static_cast<std::uint64_t>(before.st_size - st.st_size));
  const std::uint32_t n = s.next_fd();
  s.files[n] = OpenFile{fd, S_ISDIR(st.st_mode), read, write, (fdflags & kFdflagAppend) != 0, std::string(*path)};
  mem.put(a[8].u32, n);
  return kSuccess;
}

// (fd, flags, path, path_len, retptr)
std::uint16_t path_filestat_get(I& s, Mem mem, Args a) {
  const auto path = guest_path(mem, a[2].u32, a[3].u32);
  if (!path || !mem.ok(a[4].u32, 64)) return kFault;
  I::Resolved r;
  if (auto e = begin_path(s, "wasi.path_filestat_get", a[0].u32, *path, false, r); e != kSuccess) return e;
  FdCloser parent{r.parent};
  struct stat st {};
  if (::fstatat(r.parent, r.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return from_errno(errno);
  return put_filestat(mem, a[4].u32, st);
}

// (fd, path, path_len)
std::uint16_t path_create_directory(I& s, Mem mem, Args a) {
  const auto path = guest_path(mem, a[1].u32, a[2].u32);
  if (!path) return kFault;
  I::Resolved r;
  if (auto e = begin_path(s, "wasi.path_create_directory", a[0].u32, *path, true, r); e != kSuccess) return e;
  FdCloser parent{r.parent};
  if (::mkdirat(r.parent, r.leaf.c_str(), 0750) != 0) return from_errno(errno);
  return kSuccess;
}

// (fd, path, path_len): unlink_file (dir = false) and remove_directory (dir = true)
std::uint16_t path_remove(I& s, Mem mem, Args a, bool dir) {
  const auto path = guest_path(mem, a[1].u32, a[2].u32);
  if (!path) return kFault;
  I::Resolved r;
  const char* call = dir ? "wasi.path_remove_directory" : "wasi.path_unlink_file";
  if (auto e = begin_path(s, call, a[0].u32, *path, true, r); e != kSuccess) return e;
  FdCloser parent{r.parent};
  struct stat st {};
  const bool known = ::fstatat(r.parent, r.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (::unlinkat(r.parent, r.leaf.c_str(), dir ? AT_REMOVEDIR : 0) != 0) return from_errno(errno);
  if (known && S_ISREG(st.st_mode) && st.st_nlink == 1) s.release(static_cast<std::uint64_t>(st.st_size));
  return kSuccess;
}

// (in, out, nsubscriptions, retptr): clock subscriptions fire at once, fd ones are refused.
std::uint16_t poll_oneoff(Mem mem, Args a) {
  const std::uint32_t in = a[0].u32, out = a[1].u32, n = a[2].u32;
  if (n == 0) return kInval;
  if (n > 4096 || !mem.ok(in, std::uint64_t{n} * 48) || !mem.ok(out, std::uint64_t{n} * 32) || !mem.ok(a[3].u32, 4))
    return kFault;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint64_t userdata = 0;
    std::uint8_t tag = 0;
    mem.get(in + i * 48, userdata);
    mem.get(in + i * 48 + 8, tag);
    std::array<std::uint8_t, 32> ev{};
    std::memcpy(ev.data(), &userdata, 8);
    const std::uint16_t err = tag == 0 ? kSuccess : kNotsup;  // 0 clock, 1 fd_read, 2 fd_write
    std::memcpy(ev.data() + 8, &err, 2);
    ev[10] = tag;
    std::memcpy(mem.at(out + i * 32), ev.data(), ev.size());
  }
  mem.put(a[3].u32, n);
  std::this_thread::yield();
  return kSuccess;
}

// ---- the table ---------------------------------------------------------------------------------

using Body = std::uint16_t (*)(I&, Mem, Args);

struct Fn {
  std::string_view name;
  std::vector<ValType> params;
  bool fs;     // a filesystem function
  Body body;   // nullptr: ENOSYS
};

std::vector<ValType> i32s(std::size_t n) { return std::vector<ValType>(n, I32); }

const std::vector<Fn>& table() {
  static const std::vector<Fn> fns = [] {
    std::vector<Fn> t{
        {"args_get", i32s(2), false, [](I& s, Mem m, Args a) { return strings_get(m, s.opt.args, a[0].u32, a[1].u32); }},
        {"args_sizes_get", i32s(2), false,
         [](I& s, Mem m, Args a) { return strings_sizes(m, s.opt.args, a[0].u32, a[1].u32); }},
        {"environ_get", i32s(2), false,
         [](I& s, Mem m, Args a) { return strings_get(m, s.opt.env, a[0].u32, a[1].u32); }},
        {"environ_sizes_get", i32s(2), false,
         [](I& s, Mem m, Args a) { return strings_sizes(m, s.opt.env, a[0].u32, a[1].u32); }},
        {"clock_res_get", i32s(2), false,
         [](I&, Mem m, Args a) -> std::uint16_t {
           if (a[0].u32 > 1) return kInval;
           timespec ts{};
           ::clock_getres(a[0].u32 == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
           const std::uint64_t ns =
               static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
           return m.put(a[1].u32, ns) ? kSuccess : kFault;
         }},
        {"clock_time_get", {I32, I64, I32}, false,
         [](I&, Mem m, Args a) -> std::uint16_t {
           std::uint64_t ns = 0;
           if (auto e = clock_now(a[0].u32, ns); e != kSuccess) return e;
           return m.put(a[2].u32, ns) ? kSuccess : kFault;
         }},
        {"fd_advise", {I32, I64, I64, I32}, true, nullptr},
        {"fd_allocate", {I32, I64, I64}, true, nullptr},
        {"fd_close", i32s(1), false, [](I& s, Mem, Args a) { return fd_close(s, a[0].u32); }},
        {"fd_datasync", i32s(1), true, nullptr},
        {"fd_fdstat_get", i32s(2), false, fd_fdstat_get},
        {"fd_fdstat_set_flags", i32s(2), false,
         [](I& s, Mem, Args a) -> std::uint16_t {
           const std::uint32_t fd = a[0].u32;
           if (fd <= 3) return kSuccess;
           OpenFile* f = s.file(fd);
           if (!f) return kBadf;
           if (a[1].u32 & ~std::uint32_t{kFdflagAppend}) return kNotsup;
           const bool append = (a[1].u32 & kFdflagAppend) != 0;
           if (append && !f->writable) return kBadf;
           const int fl = ::fcntl(f->fd, F_GETFL);
           if (fl < 0 || ::fcntl(f->fd, F_SETFL, append ? (fl | O_APPEND) : (fl & ~O_APPEND)) != 0)
             return from_errno(errno);
           f->append = append;
           return kSuccess;
         }},
        {"fd_fdstat_set_rights", {I32, I64, I64}, true, nullptr},
        {"fd_filestat_get", i32s(2), false, fd_filestat_get},
        {"fd_filestat_set_size", {I32, I64}, true, nullptr},
        {"fd_filestat_set_times", {I32, I64, I64, I32}, true, nullptr},
        {"fd_pread", {I32, I32, I32, I64, I32}, true, nullptr},
        {"fd_prestat_get", i32s(2), false, fd_prestat_get},
        {"fd_prestat_dir_name", i32s(3), false, [](I&, Mem m, Args a) { return fd_prestat_dir_name(m, a); }},
        {"fd_pwrite", {I32, I32, I32, I64, I32}, true, nullptr},
        {"fd_read", i32s(4), false, fd_read},
        {"fd_readdir", {I32, I32, I32, I64, I32}, true, nullptr},
        {"fd_renumber", i32s(2), true, nullptr},
        {"fd_seek", {I32, I64, I32, I32}, false,
         [](I& s, Mem m, Args a) {
           return fd_seek(s, m, a[0].u32, static_cast<std::int64_t>(a[1].u64), a[2].u32, a[3].u32);
         }},
        {"fd_sync", i32s(1), true, nullptr},
        {"fd_tell", i32s(2), false, [](I& s, Mem m, Args a) { return fd_seek(s, m, a[0].u32, 0, 1, a[1].u32); }},
        {"fd_write", i32s(4), false, fd_write},
        {"path_create_directory", i32s(3), true, path_create_directory},
        {"path_filestat_get", i32s(5), true, path_filestat_get},
        {"path_filestat_set_times", {I32, I32, I32, I32, I64, I64, I32}, true, nullptr},
        {"path_link", i32s(7), true, nullptr},
        {"path_open", {I32, I32, I32, I32, I32, I64, I64, I32, I32}, true, path_open},
        {"path_readlink", i32s(6), true, nullptr},
        {"path_remove_directory", i32s(3), true, [](I& s, Mem m, Args a) { return path_remove(s, m, a, true); }},
        {"path_rename", i32s(6), true, nullptr},
        {"path_symlink", i32s(5), true, nullptr},
        {"path_unlink_file", i32s(3), true, [](I& s, Mem m, Args a) { return path_remove(s, m, a, false); }},
        {"poll_oneoff", i32s(4), false, [](I&, Mem m, Args a) { return poll_oneoff(m, a); }},
        {"proc_raise", i32s(1), false, nullptr},
        {"random_get", i32s(2), false,
         [](I&, Mem m, Args a) -> std::uint16_t {
           if (!m.ok(a[0].u32, a[1].u32)) return kFault;
           for (std::uint32_t got = 0; got < a[1].u32;) {
             const auto n = ::getrandom(m.at(a[0].u32 + got), a[1].u32 - got, 0);
             if (n > 0) got += static_cast<std::uint32_t>(n);
             else if (errno != EINTR) return kIo;
           }
           return kSuccess;
         }},
        {"sched_yield", {}, false,
         [](I&, Mem, Args) -> std::uint16_t {
           std::this_thread::yield();
           return kSuccess;
         }},
        {"sock_accept", i32s(3), false, nullptr},
        {"sock_recv", i32s(6), false, nullptr},
        {"sock_send", i32s(5), false, nullptr},
        {"sock_shutdown", i32s(2), false, nullptr},
    };
    return t;
  }();
  return fns;
}

const Fn* find_fn(std::string_view name) noexcept {
  for (const auto& f : table())
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace

void define(HostFunctions& out, StateResolver resolve) {
  for (const auto& f : table()) {
    const std::string label = "wasi." + std::string(f.name);
    out.define(std::string(kModule), std::string(f.name), FuncType{f.params, {I32}},
               [resolve, body = f.body, name = f.name, label](CallContext& ctx, Args args,
                                                             std::span<Value> results) -> Result<void> {
                 State* state = resolve(ctx);
                 if (!state) return fail(Errc::host_error, label + ": no WASI state is bound to this instance");
                 I& s = state->impl();
                 results[0] = Value::i32(body ? body(s, Mem{ctx.memory()}, args) : s.unsupported(name));
                 return {};
               });
  }
  out.define(std::string(kModule), "proc_exit", FuncType{{I32}, {}},
             [resolve](CallContext& ctx, Args args, std::span<Value>) -> Result<void> {
               State* state = resolve(ctx);
               if (!state) return fail(Errc::host_error, "wasi.proc_exit: no WASI state is bound to this instance");
               state->impl().flush();
               state->impl().exit = args[0].u32;
               return fail(Errc::guest_exit, "proc_exit(" + std::to_string(args[0].u32) + ")");
             });
}

Options options_from_settings(std::string address, const std::vector<std::pair<std::string, std::string>>& settings) {
  Options o;
  o.name = address;
  o.args.push_back(std::move(address));
  for (const auto& [k, v] : settings) {
    if (k == "args") {
      for (std::size_t i = 0; i < v.size();) {
        const auto j = std::min(v.find(' ', i), v.size());
        if (j > i) o.args.push_back(v.substr(i, j - i));
        i = j + 1;
      }
    }
    if (!k.empty() && k.find('=') == std::string::npos && k.find('\0') == std::string::npos &&
        v.find('\0') == std::string::npos)
      o.env.push_back(k + "=" + v);
  }
  return o;
}

bool provides(std::string_view name) noexcept { return name == "proc_exit" || find_fn(name) != nullptr; }

bool implemented(std::string_view name) noexcept {
  const Fn* f = find_fn(name);
  return name == "proc_exit" || (f && f->body);
}

bool is_filesystem(std::string_view name) noexcept {
  const Fn* f = find_fn(name);
  return f && f->fs;
}

std::vector<std::string> imported_functions(const ModuleInfo& info) {
  std::vector<std::string> out;
  for (const auto& i : info.imports)
    if (i.module == kModule) out.push_back(i.name);
  return out;
}

std::string_view to_string(FsAccess a) noexcept {
  switch (a) {
    case FsAccess::none: return "none";
    case FsAccess::read_only: return "read-only";
    case FsAccess::read_write: return "read-write";
  }
  return "none";
}

std::optional<FsAccess> parse_fs_access(std::string_view text) noexcept {
  for (auto a : {FsAccess::none, FsAccess::read_only, FsAccess::read_write})
    if (to_string(a) == text) return a;
  return std::nullopt;
}

std::string directory_name(std::string_view address) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : address) {
    if (std::isalnum(c) || c == '-' || c == '_' || (c == '.' && !out.empty())) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out.empty() ? std::string("%") : out;
}

std::uint64_t directory_bytes(const std::filesystem::path& dir) {
  std::error_code ec;
  std::uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2) && !it->is_symlink(e2)) total += it->file_size(e2);
  }
  return total;
}

}  // namespace airssys::wasm::wasi
