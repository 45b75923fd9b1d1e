// airssys invoke FILE.wasm --message TEXT|@FILE: one component alone, one message, its answer.
//
// LocalHost is a real abi::Host for a single component: it is its own world. Logs go to stderr,
// clocks and random bytes are real, storage is an in-memory namespace with a quota, timers and
// messages the component sends to itself run after the answer for --wait, and everything aimed
// at another address gets target-not-found (there is nobody else). WASI preview 1 is offered too
// (docs/wasi.md): printed lines go to stderr like logs, environ comes from --setting, and
// --dir DIR [--fs read-only|read-write] preopens a directory; file bytes count against --quota.
#include <airssys/wasm/abi/component.hpp>
#include <airssys/wasm/abi/host.hpp>
#include <airssys/wasm/engine.hpp>
#include <airssys/wasm/manifest.hpp>
#include <airssys/wasm/wasi.hpp>
#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "cli.hpp"

namespace airssys::cli {
namespace {

namespace abi = wasm::abi;
using Clock = std::chrono::steady_clock;

class LocalHost final : public abi::Host {
 public:
  LocalHost(std::string address, std::uint64_t quota) : address_(std::move(address)), quota_(quota) {}

  struct Pending {
    Clock::time_point due;
    std::uint64_t timer = 0;  ///< 0: a message it sent itself
    abi::Message message;
  };

  // messaging
  tl::expected<void, abi::SendError> send(std::string_view to, Payload payload,
                                          std::optional<std::string_view> codec) override {
    if (to != address_) return not_found(to);
    abi::Message m{address_, abi::Bytes(payload.begin(), payload.end()),
                   codec ? std::optional<std::string>(std::string(*codec)) : std::nullopt, std::nullopt, std::nullopt};
    pending_.push_back({Clock::now(), 0, std::move(m)});
    return {};
  }
  tl::expected<std::uint64_t, abi::SendError> request(std::string_view to, Payload, std::uint32_t) override {
    note("request to '" + std::string(to) + "': target-not-found (invoke runs the component alone)");
    return tl::unexpected(abi::SendError{abi::SendError::Kind::target_not_found, std::string(to), 0});
  }
  bool cancel(std::uint64_t) override { return false; }
  tl::expected<void, abi::SendError> publish(std::string_view topic, Payload payload) override {
    note("published " + std::to_string(payload.size()) + " bytes on '" + std::string(topic) + "' (no subscribers)");
    return {};
  }
  tl::expected<void, abi::SendError> subscribe(std::string_view topic) override {
    note("subscribed to '" + std::string(topic) + "'");
    return {};
  }
  void unsubscribe(std::string_view) override {}
  std::string self_address() override { return address_; }

  // services
  void log(abi::LogLevel level, std::string_view text) override {
    std::cerr << "[" << abi::to_string(level) << "] " << address_ << ": " << text << '\n';
  }
  std::uint64_t now_unix_ms() override {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
  }
  std::uint64_t monotonic_ns() override {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
  }
  std::uint64_t set_timer(std::uint32_t delay_ms, Payload payload) override {
    const std::uint64_t id = ++next_timer_;
    abi::Message m{address_, abi::Bytes(payload.begin(), payload.end()), std::string("airssys/timer"), std::nullopt,
                   std::nullopt};
    pending_.push_back({Clock::now() + std::chrono::milliseconds(delay_ms), id, std::move(m)});
    return id;
  }
  bool cancel_timer(std::uint64_t id) override {
    auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.timer == id; });
    if (it == pending_.end()) return false;
    pending_.erase(it);
    return true;
  }
  abi::Bytes random_bytes(std::uint32_t len) override {
    abi::Bytes out(len);
    for (auto& b : out) b = static_cast<std::uint8_t>(random_());
    return out;
  }

  // storage: one in-memory namespace
  tl::expected<std::optional<abi::Bytes>, abi::StorageError> storage_get(std::string_view key) override {
    if (auto e = bad_key(key)) return tl::unexpected(*e);
    auto it = store_.find(key);
    if (it == store_.end()) return std::optional<abi::Bytes>();
    return std::optional<abi::Bytes>(it->second);
  }
  tl::expected<void, abi::StorageError> storage_set(std::string_view key, Payload value) override {
    if (auto e = bad_key(key)) return tl::unexpected(*e);
    auto it = store_.find(key);
    const std::uint64_t old = it == store_.end() ? 0 : key.size() + it->second.size();
    const std::uint64_t now = key.size() + value.size();
    if (now > old && bytes_ + file_bytes_ - old + now > quota_)
      return tl::unexpected(abi::StorageError{abi::StorageError::Kind::quota_exceeded, {}});
    bytes_ = bytes_ - old + now;
    store_[std::string(key)] = abi::Bytes(value.begin(), value.end());
    return {};
  }
  tl::expected<bool, abi::StorageError> storage_delete(std::string_view key) override {
    if (auto e = bad_key(key)) return tl::unexpected(*e);
    auto it = store_.find(key);
    if (it == store_.end()) return false;
    bytes_ -= key.size() + it->second.size();
    store_.erase(it);
    return true;
  }
  tl::expected<std::vector<std::string>, abi::StorageError> storage_list_keys(std::string_view prefix,
                                                                              std::uint32_t limit) override {
    if (!prefix.empty())
      if (auto e = bad_key(prefix)) return tl::unexpected(*e);
    std::vector<std::string> out;
    for (auto it = store_.lower_bound(prefix); it != store_.end() && out.size() < std::min<std::uint32_t>(limit, 1000);
         ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      out.push_back(it->first);
    }
    return out;
  }
  tl::expected<abi::Usage, abi::StorageError> storage_usage() override {
    return abi::Usage{bytes_, store_.size(), quota_};
  }

  std::deque<Pending>& pending() { return pending_; }

  /// WASI: lines as logs, denials as host notes, file bytes and storage share the quota.
  Result<void> start_wasi(wasm::wasi::Options o) {
    namespace wasi = wasm::wasi;
    wasi::Hooks h;
    h.line = [this](wasi::Stream s, std::string_view line) {
      log(s == wasi::Stream::out ? abi::LogLevel::info : abi::LogLevel::warn, line);
    };
    h.denied = [this](std::string_view call, std::string_view target, std::string_view reason) {
      note("denied " + std::string(call) + " '" + std::string(target) + "': " + std::string(reason));
    };
    h.reserve = [this](std::uint64_t n) {
      if (bytes_ + file_bytes_ + n > quota_) return false;
      file_bytes_ += n;
      return true;
    };
    h.release = [this](std::uint64_t n) { file_bytes_ -= std::min(n, file_bytes_); };
    if (!o.dir.empty()) file_bytes_ = wasi::directory_bytes(o.dir);
    auto s = wasi::State::create(std::move(o), std::move(h));
    if (!s) return tl::unexpected(s.error());
    wasi_ = std::move(*s);
    return {};
  }
  wasm::wasi::State* wasi() { return wasi_.get(); }

 private:
  tl::unexpected<abi::SendError> not_found(std::string_view to) {
    note("send to '" + std::string(to) + "': target-not-found (invoke runs the component alone)");
    return tl::unexpected(abi::SendError{abi::SendError::Kind::target_not_found, std::string(to), 0});
  }
  void note(const std::string& text) { std::cerr << "[host] " << text << '\n'; }
  // The rule of the real store (ComponentStore::validate_key): 1..256 bytes of '!'..'~'.
  static std::optional<abi::StorageError> bad_key(std::string_view key) {
    if (key.empty() || key.size() > 256)
      return abi::StorageError{abi::StorageError::Kind::invalid_key, "a key is 1 to 256 bytes"};
    for (char c : key)
      if (c < '!' || c > '~')
        return abi::StorageError{abi::StorageError::Kind::invalid_key, "a key is visible ASCII ('!' to '~')"};
    return std::nullopt;
  }

  std::string address_;
  std::uint64_t quota_;
  std::uint64_t bytes_ = 0;
  std::uint64_t file_bytes_ = 0;  // WASI files under --dir
  std::uint64_t next_timer_ = 0;
  std::unique_ptr<wasm::wasi::State> wasi_;
  std::map<std::string, abi::Bytes, std::less<>> store_;
  std::deque<Pending> pending_;
  std::mt19937_64 random_{std::random_device{}()};
};

std::optional<abi::Bytes> read_message(const std::string& spec) {
  if (spec.empty() || spec[0] != '@') return abi::Bytes(spec.begin(), spec.end());
  std::ifstream in(spec.substr(1), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  return abi::Bytes(text.begin(), text.end());
}

void print_answer(const abi::Bytes& bytes, bool force_hex) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!force_hex && valid_utf8(text)) {
    std::cout << text << '\n';
    return;
  }
  if (!force_hex) std::cerr << "(binary answer, " << bytes.size() << " bytes, shown in hex)\n";
  std::cout << hex(bytes.data(), bytes.size()) << '\n';
}

}  // namespace

int invoke(const InvokeArgs& args) {
  namespace mf = wasm::manifest;
  const std::string address = args.address.empty() ? "invoke/" + args.file.stem().string() : args.address;
  if (!mf::valid_address(address)) {
    print_error("invoke", "--address '" + address + "' is not \"namespace/name\"");
    return kExitUsage;
  }
  auto memory = mf::parse_size(args.memory);
  auto deadline = mf::parse_duration(args.deadline);
  auto wait = mf::parse_duration(args.wait);
  auto quota = mf::parse_size(args.quota);
  if (!memory || !deadline || !wait || !quota) {
    print_error("invoke", "bad --memory, --deadline, --wait or --quota (sizes like 16MiB, durations like 500ms)");
    return kExitUsage;
  }
  abi::Config config{address, {}, std::nullopt};
  for (const auto& s : args.settings) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      print_error("invoke", "--setting '" + s + "' is not KEY=VALUE");
      return kExitUsage;
    }
    config.settings.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  auto fs = wasm::wasi::FsAccess::none;
  if (!args.fs.empty()) {
    auto parsed = wasm::wasi::parse_fs_access(args.fs);
    if (!parsed) {
      print_error("invoke", "--fs '" + args.fs + "' is not read-only, read-write or none");
      return kExitUsage;
    }
    if (*parsed != wasm::wasi::FsAccess::none && !args.dir) {
      print_error("invoke", "--fs " + args.fs + " needs --dir DIR (the directory to preopen)");
      return kExitUsage;
    }
    fs = *parsed;
  } else if (args.dir) {
    fs = wasm::wasi::FsAccess::read_write;
  }
  if (args.dir && fs != wasm::wasi::FsAccess::none && !std::filesystem::is_directory(*args.dir)) {
    print_error("invoke", "--dir '" + args.dir->string() + "' is not a directory");
    return kExitUsage;
  }
  auto payload = read_message(args.message);
  if (!payload) {
    print_error("invoke", "cannot read the message file '" + args.message.substr(1) + "'");
    return kExitUsage;
  }

  wasm::Engine engine;
  auto mod = engine.load_file(args.file);
  if (!mod) {
    print_error("invoke", mod.error().message());
    return kExitUsage;
  }
  wasm::Limits limits;
  limits.max_memory_bytes = *memory;
  limits.fuel_per_call = args.fuel;
  limits.deadline_ms = static_cast<std::uint32_t>(deadline->count());
  LocalHost host(address, *quota);
  wasm::wasi::Options wasi_options = wasm::wasi::options_from_settings(address, config.settings);
  wasi_options.fs = fs;
  if (fs != wasm::wasi::FsAccess::none) wasi_options.dir = *args.dir;
  wasi_options.max_lines_per_second = 0;  // one message from a terminal: print everything
  if (auto w = host.start_wasi(std::move(wasi_options)); !w) {
    print_error("invoke", w.error().message());
    return kExitUsage;
  }
  static const wasm::HostFunctions imports = [] {
    wasm::HostFunctions f;
    abi::define_imports(f, abi::host_from_user_data);
    wasm::wasi::define(f, [](wasm::CallContext& c) { return static_cast<LocalHost*>(abi::host_from_user_data(c))->wasi(); });
    return f;
  }();
  auto comp = abi::ComponentInstance::create(**mod, imports, host, limits, address);
  if (!comp) {
    print_error("invoke", args.file.string() + ": " + comp.error().message());
    return kExitUsage;
  }
  abi::ComponentInstance& c = **comp;

  // proc_exit: the guest stopped itself; 0 is a normal end.
  auto exited = [&]() -> std::optional<int> {
    auto code = host.wasi()->exit_code();
    if (!code) return std::nullopt;
    host.wasi()->flush();
    std::cerr << "[host] the component exited with code " << *code << " (proc_exit)\n";
    return *code == 0 ? kExitOk : kExitFailure;
  };
  auto init = c.init(config);
  if (!init) {
    if (auto rc = exited()) return *rc;
    print_error("invoke", "init failed: " + init.error().message());
    return kExitFailure;
  }
  if (!*init) {
    print_error("invoke", "init returned an error: " + init->error());
    return kExitFailure;
  }

  abi::Message msg;
  msg.from = args.from;
  msg.payload = std::move(*payload);
  msg.codec = args.codec;
  if (!args.send) msg.correlation = 1;
  auto answer = c.handle_message(msg);
  int rc = kExitOk;
  if (!answer) {
    if (auto rc = exited()) return *rc;
    print_error("invoke", "handle-message failed: " + answer.error().message());
    return kExitFailure;
  }
  if (!*answer) {
    print_error("invoke", "the component answered with an error: " + answer->error());
    rc = kExitFailure;
  } else if (!answer->value()) {
    std::cerr << "(no answer)\n";
  } else {
    print_answer(*answer->value(), args.hex_output);
  }
  std::cout.flush();

  // Afterwards: timers and self-sends for --wait.
  const auto end = Clock::now() + *wait;
  auto& pending = host.pending();
  while (!pending.empty() && !c.poisoned()) {
    auto next =
        std::min_element(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.due < b.due; });
    if (next->due > end) break;
    std::this_thread::sleep_until(next->due);
    LocalHost::Pending p = std::move(*next);
    pending.erase(next);
    std::cerr << "[host] delivering "
              << (p.timer ? "timer " + std::to_string(p.timer) : std::string("a self-sent message")) << '\n';
    auto r = c.handle_message(p.message);
    if (!r) {
      if (auto rc = exited()) return *rc;
      print_error("invoke", "handle-message failed: " + r.error().message());
      return kExitFailure;
    }
    if (!*r) std::cerr << "[host] the component answered with an error: " << r->error() << '\n';
  }
  if (!pending.empty())
    std::cerr << "[host] " << pending.size() << " timer(s)/message(s) left undelivered (use --wait DURATION)\n";

  if (auto s = c.shutdown(); !s) {
    if (auto code = exited()) return *code;
    print_error("invoke", "shutdown failed: " + s.error().message());
    return kExitFailure;
  }
  host.wasi()->flush();  // a last line without '\n'
  return rc;
}

}  // namespace airssys::cli
