// airssys run SYSTEM.toml: the manifest mapped onto a HostSystem, run until a signal or --for.
//
// Mapping (docs/command.md): every supervisor no other one lists becomes a HostSystem group
// (spawn_group) with its nested supervisors, strategies, intensities and escalation; every
// component no supervisor lists is spawned alone with the default intensity and backoff. The
// implicit top level itself never gives up: a top-level group over its intensity gives up its
// own components only.
//
// Signals: SIGINT and SIGTERM are blocked in every thread and taken by the main loop with
// sigtimedwait, so shutdown runs on the main thread, never in a handler. A second signal during
// the shutdown ends the process at once (exit 130).
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <airssys/wasm/host_system.hpp>
#include <airssys/wasm/manifest.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <algorithm>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli.hpp"

namespace airssys::cli {
namespace {

namespace mf = wasm::manifest;
namespace abi = wasm::abi;
using Clock = std::chrono::steady_clock;

int level_rank(std::string_view level) {
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error"};
  for (int i = 0; i < 5; ++i)
    if (kLevels[i] == level) return i;
  return -1;
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// All output of a running system goes through here: log lines (from any thread) and, on a
// terminal, a status block (one summary line, one line per component) kept at the bottom of stderr.
class Console {
 public:
  Console(int threshold, bool json, bool status) : threshold_(threshold), json_(json), status_enabled_(status) {}

  void line(std::string_view level, std::string_view component, std::string_view text, std::string_view event = {}) {
    if (level_rank(level) < threshold_) return;
    std::string out;
    if (json_) {
      nlohmann::json j{{"ts", utc_now()}, {"level", level}, {"component", component}};
      if (!event.empty()) j["event"] = event;
      j["msg"] = text;
      out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      out = utc_now() + " " + std::string(level) + " " + std::string(component.empty() ? "host" : component) + ": " +
            (event.empty() ? "" : std::string(event) + ": ") + std::string(text);
    }
    std::lock_guard lock(mutex_);
    clear_locked();
    std::fprintf(stderr, "%s\n", out.c_str());
    draw_locked();
  }

  /// Replaces the status block (a summary line and a few per-component lines).
  void status(std::vector<std::string> lines) {
    if (!status_enabled_) return;
    std::lock_guard lock(mutex_);
    clear_locked();
    status_ = std::move(lines);
    draw_locked();
  }

  void end_status() {
    std::lock_guard lock(mutex_);
    clear_locked();
    status_.clear();
    status_enabled_ = false;
    std::fflush(stderr);
  }

 private:
  // Lines are cut to the terminal's width so that none wraps: the cursor moves up one row per line.
  static std::size_t width() {
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col - 1;
    return 119;
  }
  void clear_locked() {
    if (!status_enabled_ || status_.empty()) return;
    std::fputs("\r\x1b[K", stderr);
    for (std::size_t i = 1; i < status_.size(); ++i) std::fputs("\x1b[1A\x1b[K", stderr);
  }
  void draw_locked() {
    if (status_enabled_ && !status_.empty()) {
      const std::size_t w = width();
      for (std::size_t i = 0; i < status_.size(); ++i) {
        if (i) std::fputc('\n', stderr);
        std::fputs(status_[i].substr(0, w).c_str(), stderr);
      }
    }
    std::fflush(stderr);
  }

  const int threshold_;
  const bool json_;
  bool status_enabled_;
  std::mutex mutex_;
  std::vector<std::string> status_;
};

rt::RestartPolicy map(mf::RestartPolicy p) {
  switch (p) {
    case mf::RestartPolicy::permanent:
      return rt::RestartPolicy::permanent;
    case mf::RestartPolicy::transient:
      return rt::RestartPolicy::transient;
    case mf::RestartPolicy::temporary:
      return rt::RestartPolicy::temporary;
  }
  return rt::RestartPolicy::permanent;
}

rt::OverflowPolicy map(mf::MailboxPolicy p) {
  switch (p) {
    case mf::MailboxPolicy::reject:
      return rt::OverflowPolicy::reject;
    case mf::MailboxPolicy::drop_newest:
      return rt::OverflowPolicy::drop_newest;
    case mf::MailboxPolicy::drop_oldest:
      return rt::OverflowPolicy::drop_oldest;
    case mf::MailboxPolicy::block:
      return rt::OverflowPolicy::block;
  }
  return rt::OverflowPolicy::reject;
}

mf::SupervisorSpec top_level_defaults() { return {}; }

wasm::ComponentSpec to_host_spec(const mf::ComponentSpec& c) {
  wasm::ComponentSpec s;
  s.address = c.address;
  s.file = c.wasm;
  s.grants.send = c.grants.send;
  s.grants.request = c.grants.request;
  s.grants.publish = c.grants.publish;
  s.grants.subscribe = c.grants.subscribe;
  s.grants.storage = {c.grants.storage, c.grants.storage_quota_bytes};
  s.grants.filesystem = wasm::wasi::parse_fs_access(c.grants.filesystem).value_or(wasm::wasi::FsAccess::none);
  s.limits.engine.max_memory_bytes = c.limits.memory_bytes;
  s.limits.engine.fuel_per_call = c.limits.fuel;
  s.limits.engine.deadline_ms = static_cast<std::uint32_t>(c.limits.deadline.count());
  s.limits.max_message_bytes = c.limits.max_message_bytes;
  s.settings = c.settings;
  if (c.data) s.data = abi::Bytes(c.data->begin(), c.data->end());
  s.accepted_codecs = c.codecs;
  s.mailbox = c.limits.mailbox ? rt::MailboxOptions::bounded(c.limits.mailbox, map(c.limits.mailbox_policy))
                               : rt::MailboxOptions::unbounded();
  // Used when the component is spawned alone (no supervisor lists it); a group's apply otherwise.
  const auto defaults = top_level_defaults();
  s.supervision.restart = map(c.restart);
  s.supervision.max_restarts = defaults.max_restarts;
  s.supervision.within = defaults.within;
  s.supervision.backoff = {defaults.backoff.initial, defaults.backoff.max, defaults.backoff.multiplier};
  if (c.health) s.supervision.health = rt::HealthCheck{c.health->interval, c.health->timeout, c.health->failures};
  s.tier = c.tier == mf::Tier::aot         ? wasm::ComponentTier::aot
           : c.tier == mf::Tier::automatic ? wasm::ComponentTier::automatic
                                           : wasm::ComponentTier::interp;
  return s;
}

rt::Strategy map(mf::Strategy s) {
  switch (s) {
    case mf::Strategy::one_for_one:
      return rt::Strategy::one_for_one;
    case mf::Strategy::one_for_all:
      return rt::Strategy::one_for_all;
    case mf::Strategy::rest_for_one:
      return rt::Strategy::rest_for_one;
  }
  return rt::Strategy::one_for_one;
}

wasm::GroupSpec to_group(const mf::SystemManifest& m, const mf::SupervisorSpec& sup) {
  wasm::GroupSpec g;
  g.name = sup.name;
  g.strategy = map(sup.strategy);
  g.max_restarts = sup.max_restarts;
  g.within = sup.within;
  g.backoff = {sup.backoff.initial, sup.backoff.max, sup.backoff.multiplier};
  g.restart = map(sup.restart);
  for (const auto& c : sup.children) {
    if (c.kind == mf::ChildRef::Kind::component)
      g.children.push_back(wasm::GroupSpec::Child::of(to_host_spec(*m.component(c.name))));
    else
      g.children.push_back(wasm::GroupSpec::Child::of(to_group(m, *m.supervisor(c.name))));
  }
  return g;
}

// Starts one child of the implicit top level. On an error, says where in the manifest.
bool start_top_level(wasm::HostSystem& host, const mf::SystemManifest& m, const mf::ChildRef& child) {
  Result<void> r = child.kind == mf::ChildRef::Kind::component
                       ? host.spawn(to_host_spec(*m.component(child.name)))
                       : host.spawn_group(to_group(m, *m.supervisor(child.name)));
  if (r) return true;
  // The component at fault is named first in the error.
  const auto& context = r.error().context;
  const mf::ComponentSpec* at_fault = m.component(child.name);
  for (const auto& c : m.components)
    if (context.rfind(c.address + ":", 0) == 0) at_fault = &c;
  const auto& where = at_fault ? at_fault->where : m.supervisor(child.name)->where;
  std::cerr << where.file << ":" << where.line << ":" << where.column << ": error: "
            << (at_fault ? "component '" + at_fault->address + "'" : "supervisor '" + child.name + "'")
            << " did not start: " << r.error().message() << '\n';
  return false;
}

std::size_t count_components(const mf::SystemManifest& m) { return m.components.size(); }

std::string format_duration(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

int run(const RunArgs& args) {
  // Block the signals first, before any thread exists (every thread inherits the mask): from
  // here on Ctrl-C / SIGTERM is a graceful stop, however early it comes.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const int threshold = level_rank(args.log_level);
  if (threshold < 0) {
    print_error("run", "--log-level must be trace, debug, info, warn or error");
    return kExitUsage;
  }
  if (args.log_format != "text" && args.log_format != "json") {
    print_error("run", "--log-format must be text or json");
    return kExitUsage;
  }
  std::optional<mf::Millis> run_for;
  if (args.duration) {
    run_for = mf::parse_duration(*args.duration);
    if (!run_for || run_for->count() == 0) {
      print_error("run", "--for '" + *args.duration + "' is not a duration (\"10s\", \"2m\")");
      return kExitUsage;
    }
  }
  CheckCounts counts;
  auto manifest = check_system(args.manifest, counts);
  if (!manifest) {
    std::cerr << args.manifest.string() << ": " << plural(counts.errors, "error") << "; nothing started\n";
    return kExitUsage;
  }
  const mf::SystemManifest& m = *manifest;
  if (!run_for) run_for = m.run_for;  // --for wins over [system] run_for
  std::optional<std::filesystem::path> data_dir = args.data_dir ? args.data_dir : m.data_dir;
  if (!data_dir)
    for (const auto& c : m.components)
      if (c.grants.storage || c.grants.filesystem != "none") {
        print_error("run", "component '" + c.address + "' is granted " +
                               (c.grants.storage ? "storage" : "a filesystem") +
                               " but there is no data directory: set [system] data_dir or pass --data-dir DIR");
        return kExitUsage;
      }

  const bool json = args.log_format == "json";
  Console console(threshold, json, !json && !args.no_status && ::isatty(STDERR_FILENO));

  wasm::HostOptions options;
  options.system.workers = m.workers;
  if (data_dir) options.data_dir = data_dir->string();
  if (m.audit_log) options.audit_path = m.audit_log->string();
  std::mutex given_up_mutex;
  std::map<std::string, std::string> given_up;  // address -> why, from stopped events
  options.on_event = [&](const wasm::ComponentEvent& e) {
    if (e.kind == wasm::EventKind::stopped && e.detail.rfind("given up", 0) == 0) {
      std::lock_guard lock(given_up_mutex);
      given_up[e.address] = e.detail;
    }
    const bool bad = e.kind == wasm::EventKind::failed;
    console.line(bad ? "warn" : "info", e.address, e.detail, wasm::to_string(e.kind));
  };
  options.on_log = [&](std::string_view address, abi::LogLevel level, std::string_view text) {
    console.line(abi::to_string(level), address, text);
  };
  auto host_or = wasm::HostSystem::create(std::move(options));
  if (!host_or) {
    print_error("run", host_or.error().message());
    return kExitFailure;
  }
  auto& host = **host_or;

  const auto started = Clock::now();
  std::string stop_reason;
  auto pending_signal = [&]() -> int {
    timespec zero{0, 0};
    const int sig = sigtimedwait(&signals, nullptr, &zero);
    return sig > 0 ? sig : 0;
  };

  int rc = kExitOk;
  for (const auto& child : m.top_level) {
    if (int sig = pending_signal()) {  // Ctrl-C while loading: stop what started, start nothing more
      stop_reason = std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + " while starting";
      break;
    }
    if (!start_top_level(host, m, child)) {
      stop_reason = "a component did not start";
      rc = kExitFailure;
      break;
    }
  }
  if (stop_reason.empty())
    console.line("info", "",
                 "system '" + m.name + "' running: " + plural(count_components(m), "component") +
                     (run_for ? ", for " + format_duration(*run_for) : ", until Ctrl-C / SIGTERM"));

  // The main loop: signals, the end of --for, everything given up, the status line.
  std::uint64_t last_handled = 0;
  auto last_tick = Clock::now();
  std::map<std::string, std::uint64_t> last_by_component;
  std::map<std::string, wasm::ComponentInfo> last_seen;  // kept for the summary once given up
  while (stop_reason.empty()) {
    timespec tick{0, 100'000'000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      stop_reason = sig == SIGINT ? "SIGINT" : "SIGTERM";
      break;
    }
    if (run_for && Clock::now() - started >= *run_for) {
      stop_reason = std::string(args.duration ? "--for " : "run_for ") + format_duration(*run_for) + " elapsed";
      break;
    }
    const auto now = Clock::now();
    if (now - last_tick < std::chrono::milliseconds(500)) continue;
    const auto infos = host.list();
    if (infos.empty()) {
      stop_reason = "every component was given up by its supervisor";
      rc = kExitFailure;
      break;
    }
    std::uint64_t handled = 0, restarts = 0;
    std::size_t running = 0;
    for (const auto& i : infos) {
      handled += i.handled;
      restarts += i.restarts;
      running += i.status == wasm::ComponentStatus::running;
    }
    const double secs = std::chrono::duration<double>(now - last_tick).count();
    auto rate = [&](std::uint64_t now_count, std::uint64_t before) {
      return secs > 0 && now_count >= before ? static_cast<double>(now_count - before) / secs : 0.0;
    };
    std::vector<std::string> lines;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s %s | %zu/%zu running | %llu msgs (%.0f/s) | %llu restarts | %zu pending",
                  m.name.c_str(), format_duration(now - started).c_str(), running, infos.size(),
                  static_cast<unsigned long long>(handled), rate(handled, last_handled),
                  static_cast<unsigned long long>(restarts), host.tracker().pending());
    lines.emplace_back(buf);
    constexpr std::size_t kRows = 8;
    for (std::size_t k = 0; k < infos.size() && k < kRows; ++k) {
      const auto& i = infos[k];
      std::snprintf(buf, sizeof buf, "  %-24s %-10s %8llu msgs %7.0f/s %5llu restarts  mailbox %llu", i.address.c_str(),
                    std::string(wasm::to_string(i.status)).c_str(), static_cast<unsigned long long>(i.handled),
                    rate(i.handled, last_by_component[i.address]), static_cast<unsigned long long>(i.restarts),
                    static_cast<unsigned long long>(i.mailbox_depth));
      lines.emplace_back(buf);
    }
    if (infos.size() > kRows) lines.push_back("  ... " + std::to_string(infos.size() - kRows) + " more");
    for (const auto& i : infos) {
      last_by_component[i.address] = i.handled;
      last_seen[i.address] = i;
    }
    last_handled = handled;
    last_tick = now;
    console.status(std::move(lines));
  }

  // Shutdown: a second signal ends the process at once.
  const auto ran = Clock::now() - started;
  console.end_status();
  console.line("info", "", "stopping (" + stop_reason + ")");
  std::atomic<bool> done{false};
  std::thread second_signal([&] {
    while (!done.load()) {
      timespec tick{0, 100'000'000};
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGINT || sig == SIGTERM) {
        std::fputs("airssys run: second signal: exiting without a graceful shutdown\n", stderr);
        std::_Exit(130);
      }
    }
  });
  auto final_infos = host.list();
  {  // Components given up on the way are in the summary too, as last seen.
    std::lock_guard lock(given_up_mutex);
    for (const auto& entry : given_up) {
      const auto& address = entry.first;
      if (std::any_of(final_infos.begin(), final_infos.end(), [&](auto& i) { return i.address == address; })) continue;
      auto i = last_seen[address];
      i.address = address;
      i.status = wasm::ComponentStatus::failed;
      i.last_error = entry.second;
      final_infos.push_back(std::move(i));
    }
    std::sort(final_infos.begin(), final_infos.end(), [](auto& a, auto& b) { return a.address < b.address; });
  }
  const std::size_t pending_at_stop = host.tracker().pending();
  host.shutdown();
  const auto requests = host.stats().requests;  // every request resolved by now: pending is 0
  done.store(true);
  second_signal.join();
  const auto shutdown_took = Clock::now() - started - ran;

  // The summary, on stdout.
  std::uint64_t handled = 0, restarts = 0, failures = 0;
  for (const auto& i : final_infos) {
    handled += i.handled;
    restarts += i.restarts;
    failures += i.failures;
  }
  if (json) {
    nlohmann::json j{{"system", m.name},
                     {"ran_ms", std::chrono::duration_cast<std::chrono::milliseconds>(ran).count()},
                     {"stopped_by", stop_reason},
                     {"handled", handled},
                     {"restarts", restarts},
                     {"failures", failures},
                     {"pending_at_stop", pending_at_stop},
                     {"requests",
                      {{"made", requests.registered},
                       {"answered", requests.answered},
                       {"timed_out", requests.timed_out},
                       {"cancelled", requests.cancelled},
                       {"unanswered", requests.pending}}},
                     {"shutdown_ms", std::chrono::duration_cast<std::chrono::milliseconds>(shutdown_took).count()}};
    auto& comps = j["components"] = nlohmann::json::array();
    for (const auto& i : final_infos)
      comps.push_back({{"address", i.address},
                       {"status", wasm::to_string(i.status)},
                       {"handled", i.handled},
                       {"restarts", i.restarts},
                       {"failures", i.failures},
                       {"last_error", i.last_error}});
    if (m.audit_log) j["audit_log"] = m.audit_log->string();
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return rc;
  }
  std::printf("system '%s' ran %s, stopped by %s (shutdown took %s)\n", m.name.c_str(), format_duration(ran).c_str(),
              stop_reason.c_str(), format_duration(shutdown_took).c_str());
  std::printf("  %-28s %-10s %10s %9s %9s  %s\n", "component", "status", "handled", "restarts", "failures",
              "last error");
  for (const auto& i : final_infos)
    std::printf("  %-28s %-10s %10llu %9llu %9llu  %s\n", i.address.c_str(),
                std::string(wasm::to_string(i.status)).c_str(), static_cast<unsigned long long>(i.handled),
                static_cast<unsigned long long>(i.restarts), static_cast<unsigned long long>(i.failures),
                i.last_error.substr(0, 60).c_str());
  std::printf(
      "  total: %llu messages handled, %llu restarts, %llu failures; %zu requests pending at stop, "
      "answered with errors\n",
      static_cast<unsigned long long>(handled), static_cast<unsigned long long>(restarts),
      static_cast<unsigned long long>(failures), pending_at_stop);
  std::printf("  requests: %llu made, %llu answered (errors included), %llu timed out, %llu cancelled, %zu unanswered\n",
              static_cast<unsigned long long>(requests.registered), static_cast<unsigned long long>(requests.answered),
              static_cast<unsigned long long>(requests.timed_out), static_cast<unsigned long long>(requests.cancelled),
              requests.pending);
  if (m.audit_log) std::printf("  audit log: %s\n", m.audit_log->string().c_str());
  std::fflush(stdout);
  return rc;
}

}  // namespace airssys::cli
