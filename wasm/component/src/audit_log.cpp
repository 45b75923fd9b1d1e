#include <airssys/wasm/audit_log.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace airssys::wasm {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

// Cuts at a UTF-8 boundary (never inside a multi-byte sequence) and marks the cut.
std::string bounded(std::string_view s) {
  if (s.size() <= AuditLog::kMaxFieldBytes) return std::string(s);
  std::size_t n = AuditLog::kMaxFieldBytes - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // s[n] starts the cut part
  std::string out(s.substr(0, n));
  out += "...";
  return out;
}

std::string_view decision_name(Decision d) { return d == Decision::allow ? "allow" : "deny"; }

}  // namespace

AuditLog::AuditLog(int fd, std::string path, AuditOptions options)
    : fd_(fd), path_(std::move(path)), sync_(options.sync_each_record), log_allowed_(options.log_allowed) {}

AuditLog::~AuditLog() { ::close(fd_); }

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path, AuditOptions options) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return fail(Errc::io_error, "audit log '" + path + "': " + errno_text(errno));
  return std::unique_ptr<AuditLog>(new AuditLog(fd, path, options));
}

std::string AuditLog::format_time(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms_total = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms_total / 1000);
  auto ms = ms_total % 1000;
  if (ms < 0) {  // before 1970: floor, not truncate
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string AuditLog::format(const AuditRecord& r) {
  // Key order is fixed (ordered_json) so lines are easy to read and to grep.
  nlohmann::ordered_json j;
  j["time"] = format_time(r.time);
  j["component"] = bounded(r.component);
  j["action"] = bounded(r.action);
  j["target"] = bounded(r.target);
  j["decision"] = decision_name(r.decision);
  j["reason"] = bounded(r.reason);
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  return line;
}

Result<void> AuditLog::record(std::string_view component, std::string_view action, std::string_view target,
                              Decision decision, std::string_view reason) {
  if (!wants(decision)) return {};
  return append(format(AuditRecord{std::chrono::system_clock::now(), std::string(component), std::string(action),
                                   std::string(target), decision, std::string(reason)}));
}

Result<void> AuditLog::write(const AuditRecord& r) {
  if (!wants(r.decision)) return {};
  return append(format(r));
}

Result<void> AuditLog::append(const std::string& line) {
  std::lock_guard lock(write_mutex_);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      failures_.fetch_add(1, std::memory_order_relaxed);
      return fail(Errc::io_error, "audit log '" + path_ + "': " + errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (sync_ && ::fdatasync(fd_) != 0) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    return fail(Errc::io_error, "audit log '" + path_ + "': fdatasync: " + errno_text(errno));
  }
  written_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

Result<AuditRecord> AuditLog::parse(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::invalid_argument, "not a JSON object");
  AuditRecord r;
  for (const char* key : {"time", "component", "action", "target", "decision", "reason"})
    if (!j.contains(key) || !j[key].is_string())
      return fail(Errc::invalid_argument, std::string("missing string field '") + key + "'");
  if (j.size() != 6) return fail(Errc::invalid_argument, "unexpected fields");
  const auto time = j["time"].get<std::string>();
  std::tm tm{};
  int ms = 0, consumed = 0;
  if (time.size() != 24 ||
      std::sscanf(time.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &ms, &consumed) != 7 ||
      consumed != 24)
    return fail(Errc::invalid_argument, "time '" + time + "' is not RFC 3339 UTC with milliseconds");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  r.time = std::chrono::system_clock::from_time_t(::timegm(&tm)) + std::chrono::milliseconds(ms);
  r.component = j["component"].get<std::string>();
  r.action = j["action"].get<std::string>();
  r.target = j["target"].get<std::string>();
  const auto decision = j["decision"].get<std::string>();
  if (decision == "allow")
    r.decision = Decision::allow;
  else if (decision == "deny")
    r.decision = Decision::deny;
  else
    return fail(Errc::invalid_argument, "decision '" + decision + "' is neither allow nor deny");
  r.reason = j["reason"].get<std::string>();
  return r;
}

Result<AuditLog::Contents> AuditLog::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::io_error, "audit log '" + path + "': cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  Contents c;
  std::size_t start = 0;
  while (start < data.size()) {
    const std::size_t nl = data.find('\n', start);
    if (nl == std::string::npos) {
      c.torn_tail = true;
      break;
    }
    if (auto r = parse(std::string_view(data).substr(start, nl - start)))
      c.records.push_back(std::move(*r));
    else
      ++c.malformed_lines;
    start = nl + 1;
  }
  return c;
}

}  // namespace airssys::wasm
