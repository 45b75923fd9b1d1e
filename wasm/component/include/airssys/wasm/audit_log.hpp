// The capability audit log: one JSON object per line, e.g.
//   {"time":"2026-11-25T10:22:01.123Z","component":"shop/cart","action":"messaging.send",
//    "target":"billing/invoice","decision":"deny","reason":"send to 'billing/invoice' denied: ..."}
// Fields: time (RFC 3339, UTC, milliseconds), component (address), action ("messaging.send",
// "messaging.request", "messaging.publish", "messaging.subscribe", "storage.set", "spawn", ...),
// target (address, topic, key or module), decision ("allow" or "deny"), reason.
//
// Crash safety: the file is opened O_APPEND and each record is exactly one write(2) of one
// complete line (no stdio buffer), under a mutex, so a crash of the host process (abort, SIGKILL)
// leaves only complete lines; at worst the very last line is torn if the kernel was interrupted
// mid-write (Linux does not do that for regular files). Records reach the page cache, which
// survives a process crash; `sync_each_record` adds an fsync per record for OS crashes.
// Strings longer than kMaxFieldBytes are cut (at a UTF-8 boundary, marked "...") so a guest cannot
// write megabyte lines; invalid UTF-8 is replaced by U+FFFD.
//
// Thread-safety: all members are safe from any thread; records from several threads never
// interleave within a line.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <airssys/error.hpp>

namespace airssys::wasm {

enum class Decision : std::uint8_t { allow, deny };

struct AuditRecord {
  std::chrono::system_clock::time_point time;
  std::string component;
  std::string action;
  std::string target;
  Decision decision = Decision::deny;
  std::string reason;
  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

struct AuditOptions {
  bool log_allowed = false;       ///< default: only denials are written
  bool sync_each_record = false;  ///< fsync after every record (survives an OS crash; slow)
};

class AuditLog {
 public:
  static constexpr std::size_t kMaxFieldBytes = 1024;

  /// Opens (creating, mode 0640) or appends to the file at `path`; the directory must exist.
  /// Errors: io_error with the path and strerror.
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path, AuditOptions options = {});
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  /// True if a record with this decision would be written: callers may skip building strings.
  bool wants(Decision d) const noexcept { return d == Decision::deny || log_allowed_.load(std::memory_order_relaxed); }
  /// Changes the option at run time.
  void set_log_allowed(bool on) noexcept { log_allowed_.store(on, std::memory_order_relaxed); }

  /// Writes one line stamped with the current time, if `wants(decision)`.
  /// Errors: io_error (also counted in failures()); the caller's decision stands either way.
  Result<void> record(std::string_view component, std::string_view action, std::string_view target, Decision decision,
                      std::string_view reason);
  /// Writes `r` as given (its own time), if `wants(r.decision)`.
  Result<void> write(const AuditRecord& r);

  std::uint64_t records_written() const noexcept { return written_.load(std::memory_order_relaxed); }
  std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }
  const std::string& path() const noexcept { return path_; }

  /// The line for `r`, ending in '\n'.
  static std::string format(const AuditRecord& r);
  /// "2026-11-25T10:22:01.123Z"
  static std::string format_time(std::chrono::system_clock::time_point t);

  /// What read() found in a file.
  struct Contents {
    std::vector<AuditRecord> records;
    std::size_t malformed_lines = 0;  ///< complete lines that are not a valid record
    bool torn_tail = false;           ///< the file ends with a partial line (no '\n')
  };
  /// Reads a log back (for tests and tools). Errors: io_error if the file cannot be read.
  static Result<Contents> read(const std::string& path);
  /// Parses one line (without or with its '\n'). Errors: invalid_argument saying what is wrong.
  static Result<AuditRecord> parse(std::string_view line);

 private:
  AuditLog(int fd, std::string path, AuditOptions options);
  Result<void> append(const std::string& line);

  const int fd_;
  const std::string path_;
  const bool sync_;
  std::atomic<bool> log_allowed_;
  std::mutex write_mutex_;  // one write(2) at a time: a partial write is finished before the next line
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> failures_{0};
};

}  // namespace airssys::wasm
