#include <airssys/wasm/host_system.hpp>

#include <airssys/wasm/abi/contract.hpp>

#include "host_core.hpp"

namespace airssys::wasm {

std::string_view to_string(ComponentStatus s) noexcept {
  switch (s) {
    case ComponentStatus::starting: return "starting";
    case ComponentStatus::running: return "running";
    case ComponentStatus::restarting: return "restarting";
    case ComponentStatus::failed: return "failed";
    case ComponentStatus::stopped: return "stopped";
  }
  return "unknown";
}

std::string_view to_string(EventKind k) noexcept {
  switch (k) {
    case EventKind::started: return "started";
    case EventKind::failed: return "failed";
    case EventKind::restarted: return "restarted";
    case EventKind::stopped: return "stopped";
    case EventKind::upgraded: return "upgraded";
  }
  return "unknown";
}

namespace {
using abi::SendError;

abi::Interfaces granted_interfaces(const Grants& g) {
  abi::Interfaces set = static_cast<abi::Interfaces>(abi::Interface::services);
  if (!g.send.empty() || !g.request.empty() || !g.publish.empty() || !g.subscribe.empty())
    set |= static_cast<abi::Interfaces>(abi::Interface::messaging);
  if (g.storage.enabled) set |= static_cast<abi::Interfaces>(abi::Interface::storage);
  return set;
}

Error to_error(const SendError& e, std::string_view to) {
  switch (e.kind) {
    case SendError::Kind::denied: return Error{Errc::denied, e.text};
    case SendError::Kind::target_not_found: return Error{Errc::not_found, std::string(to)};
    case SendError::Kind::queue_full: return Error{Errc::mailbox_full, std::string(to)};
    case SendError::Kind::too_large:
      return Error{Errc::too_large, "limit " + std::to_string(e.limit) + " bytes (" + std::string(to) + ")"};
  }
  return Error{Errc::invalid_argument, e.text};
}

class PromiseSink final : public ResponseSink {
 public:
  void deliver(abi::Response response) override { promise.set_value(std::move(response.outcome)); }
  std::promise<Outcome> promise;
};
}  // namespace

// ---- HostCore ----------------------------------------------------------------------------------

HostCore::HostCore(HostOptions o) : options(std::move(o)), engine(options.aot) {
  actors = std::make_unique<rt::ActorSystem>(options.system);
  tracker = std::make_unique<CorrelationTracker>(
      [sys = actors.get()](std::chrono::milliseconds d, std::function<void()> fn) { sys->call_after(d, std::move(fn)); });
  for (unsigned mask = 0; mask < imports.size(); ++mask)
    abi::define_imports(imports[mask], abi::host_from_user_data, static_cast<abi::Interfaces>(mask));
}

HostCore::~HostCore() {
  {
    std::lock_guard lock(compiles_mutex_);
    for (auto& t : compiles_) t.join();  // a compile in flight uses the engine
  }
  shutdown();
  tracker.reset();
  actors.reset();
}

void HostCore::compile_later(const std::shared_ptr<ComponentRecord>& rec, std::shared_ptr<const Module> interp) {
  std::lock_guard lock(compiles_mutex_);
  compiles_.emplace_back([this, weak = std::weak_ptr<ComponentRecord>(rec), interp = std::move(interp)] {
    auto native = engine.compile(*interp);
    auto r = weak.lock();
    if (!r || !native) return;  // gone, or stays on the interpreter
    r->replace_module(interp, *native);
  });
}

std::string_view to_string(ComponentTier t) noexcept {
  switch (t) {
    case ComponentTier::interp: return "interp";
    case ComponentTier::aot: return "aot";
    case ComponentTier::automatic: return "auto";
  }
  return "?";
}

void HostCore::shutdown() {
  if (stopped.exchange(true)) return;
  for (auto& r : registry.snapshot()) r->ready.store(false);
  actors->shutdown(rt::StopMode::drain);
  tracker->fail_all(abi::RequestError{abi::RequestError::Kind::target_failed, "the host shut down"});
  for (auto& r : registry.snapshot()) registry.erase(r->address, r.get());
}

const HostFunctions& HostCore::imports_for(const Grants& g) const { return imports[granted_interfaces(g)]; }

void HostCore::emit(EventKind kind, const std::string& address, std::string detail) {
  if (options.on_event) options.on_event(ComponentEvent{kind, address, std::move(detail)});
}

void HostCore::deny(std::string_view component, std::string_view action, std::string_view target,
                    std::string_view reason) {
  if (audit) (void)audit->record(component, action, target, Decision::deny, reason);
}

void HostCore::allow(std::string_view component, std::string_view action, std::string_view target,
                     std::string_view reason) {
  if (audit && audit->wants(Decision::allow)) (void)audit->record(component, action, target, Decision::allow, reason);
}

Result<std::shared_ptr<const Module>> HostCore::load_checked(std::string_view address, const std::filesystem::path& file,
                                                             std::span<const std::uint8_t> bytes, const Grants& grants,
                                                             std::shared_ptr<const Module> loaded) {
  auto m = loaded ? Result<std::shared_ptr<const Module>>(std::move(loaded))
                  : (file.empty() ? engine.load(bytes, std::string(address)) : engine.load_file(file));
  if (!m) return tl::unexpected(m.error());
  const auto& info = (*m)->info();
  if (auto e = abi::check_exports(info); !e) return tl::unexpected(e.error());
  auto report = abi::inspect_imports(info);
  if (!report.foreign.empty()) {
    std::string list;
    for (auto& f : report.foreign) list += (list.empty() ? "" : ", ") + f;
    return fail(Errc::unknown_import, std::string(address) + ": imports outside the airssys contract: " + list);
  }
  if (!report.mistyped.empty()) return fail(Errc::import_signature, std::string(address) + ": " + report.mistyped.front());
  if (auto c = grants.check_imports(report.functions); !c) {
    deny(address, "spawn", info.name, c.error().context);
    return tl::unexpected(Error{c.error().code, std::string(address) + ": " + c.error().context});
  }
  if (abi::contains(report.interfaces, abi::Interface::storage) && !store) {
    const std::string reason = "imports storage but the host has no data_dir";
    deny(address, "spawn", info.name, reason);
    return fail(Errc::denied, std::string(address) + ": " + reason);
  }
  return m;
}

tl::expected<std::shared_ptr<ComponentRecord>, SendError> HostCore::target(std::string_view to, std::size_t size,
                                                                          std::size_t max_bytes,
                                                                          std::optional<std::string_view> codec) {
  if (size > max_bytes) return tl::unexpected(SendError{SendError::Kind::too_large, {}, max_bytes});
  auto rec = registry.find(to);
  if (!rec || !rec->ready.load(std::memory_order_acquire))
    return tl::unexpected(SendError{SendError::Kind::target_not_found, std::string(to), 0});
  const auto target_max = rec->max_message_bytes.load(std::memory_order_relaxed);
  if (size > target_max) return tl::unexpected(SendError{SendError::Kind::too_large, {}, target_max});
  if (!rec->accepts(codec))
    return tl::unexpected(SendError{SendError::Kind::denied,
                                    "codec '" + std::string(*codec) + "' not accepted by " + std::string(to), 0});
  return rec;
}

tl::expected<void, SendError> HostCore::route_send(std::string_view from, std::string_view to,
                                                   std::span<const std::uint8_t> payload,
                                                   std::optional<std::string_view> codec, std::size_t max_bytes) {
  auto rec = target(to, payload.size(), max_bytes, codec);
  if (!rec) return tl::unexpected(rec.error());
  abi::Message msg{std::string(from), abi::Bytes(payload.begin(), payload.end()),
                   codec ? std::optional<std::string>(std::string(*codec)) : std::nullopt, std::nullopt, std::nullopt};
  auto r = (*rec)->actor.tell(Inbound{std::move(msg), {}});
  if (!r) {
    if (r.error().code == Errc::mailbox_full) return tl::unexpected(SendError{SendError::Kind::queue_full, {}, 0});
    return tl::unexpected(SendError{SendError::Kind::target_not_found, std::string(to), 0});
  }
  return {};
}

tl::expected<std::uint64_t, SendError> HostCore::route_request(std::string_view from, std::string_view to,
                                                               std::span<const std::uint8_t> payload,
                                                               std::chrono::milliseconds timeout,
                                                               std::shared_ptr<ResponseSink> sink,
                                                               std::size_t max_bytes) {
  auto rec = target(to, payload.size(), max_bytes, std::nullopt);
  if (!rec) return tl::unexpected(rec.error());
  auto& r = **rec;
  const auto id = tracker->add(std::move(sink), r.address_ptr, timeout);
  abi::Message msg{std::string(from), abi::Bytes(payload.begin(), payload.end()), std::nullopt, id, std::nullopt};
  RequestGuard::enqueuing = id;
  auto sent = r.actor.tell(Inbound{std::move(msg), RequestGuard(tracker.get(), id, r.address_ptr)});
  RequestGuard::enqueuing = 0;
  if (!sent) {
    tracker->withdraw(id);
    if (sent.error().code == Errc::mailbox_full) return tl::unexpected(SendError{SendError::Kind::queue_full, {}, 0});
    return tl::unexpected(SendError{SendError::Kind::target_not_found, std::string(to), 0});
  }
  return id;
}

void HostCore::watch(const std::shared_ptr<ComponentRecord>& rec) {
  if (rec->watching.exchange(true)) return;
  std::weak_ptr<ComponentRecord> weak = rec;
  actors->call_after(std::chrono::milliseconds(20), [this, weak] {
    auto r = weak.lock();
    if (!r) return;
    r->watching.store(false);
    if (r->status.load() != ComponentStatus::restarting) return;
    if (!r->actor.alive()) {
      r->status.store(ComponentStatus::failed);
      r->ready.store(false);
      registry.erase(r->address, r.get());
      emit(EventKind::stopped, r->address, "given up by its supervisor: " + r->last_error());
      return;
    }
    watch(r);
  });
}

// ---- HostSystem --------------------------------------------------------------------------------

HostSystem::HostSystem(std::unique_ptr<HostCore> core) : core_(std::move(core)) {}
HostSystem::~HostSystem() = default;

Result<std::unique_ptr<HostSystem>> HostSystem::create(HostOptions options) {
  std::unique_ptr<ComponentStore> store;
  std::unique_ptr<AuditLog> audit;
  if (!options.data_dir.empty()) {
    auto s = ComponentStore::open(options.data_dir, options.store);
    if (!s) return tl::unexpected(s.error());
    store = std::move(*s);
  }
  if (!options.audit_path.empty()) {
    auto a = AuditLog::open(options.audit_path, options.audit);
    if (!a) return tl::unexpected(a.error());
    audit = std::move(*a);
  }
  auto core = std::make_unique<HostCore>(std::move(options));
  core->store = std::move(store);
  core->audit = std::move(audit);
  return std::unique_ptr<HostSystem>(new HostSystem(std::move(core)));
}

Result<void> HostSystem::spawn(ComponentSpec spec) {
  auto& c = *core_;
  if (c.stopped.load()) return fail(Errc::system_stopped, spec.address);
  if (spec.address.empty()) return fail(Errc::invalid_config, "component address is empty");
  if (auto v = spec.grants.validate(); !v) return tl::unexpected(v.error());
  if (spec.grants.storage.enabled && !c.store)
    return fail(Errc::invalid_config, spec.address + ": storage granted but the host has no data_dir");
  auto module = c.load_checked(spec.address, spec.file, spec.bytes, spec.grants, spec.module);
  if (!module) return tl::unexpected(module.error());
  const auto tier = spec.tier;
  if (tier == ComponentTier::aot) {
    module = c.engine.compile(**module);
    if (!module) return fail(module.error().code, spec.address + ": " + module.error().context);
  }

  const auto mailbox = spec.mailbox;
  const auto sup = spec.supervision;
  auto rec = std::make_shared<ComponentRecord>(c, std::move(spec), std::move(*module));
  if (auto r = c.registry.insert(rec->address, rec); !r) return r;
  if (c.store && rec->grants.storage.enabled) c.store->set_quota(rec->address, rec->grants.storage.quota_bytes);

  // The first instance is instantiated and init'ed right here, on the spawning thread (errors
  // come back directly, and no thread hand-off is waited for); the actor adopts it through its
  // mailbox. Init's imports already act for the actor (subscriptions, timers, requests): what
  // they bring in before the adoption is kept and handled after it.
  rec->adopting.store(true);
  rt::SupervisorSpec spec_sup;
  spec_sup.strategy = rt::Strategy::one_for_one;
  spec_sup.max_restarts = sup.max_restarts;
  spec_sup.within = sup.within;
  spec_sup.backoff = sup.backoff;
  auto child = rt::ChildSpec::worker(rec->address, [rec] { return std::make_unique<ComponentActor>(rec); }, sup.restart);
  child.mailbox = mailbox;
  child.health = sup.health;
  spec_sup.children.push_back(std::move(child));
  rt::SpawnOptions so;
  so.name = "component:" + rec->address;
  auto s = c.actors->spawn_supervisor(std::move(spec_sup), std::move(so));
  if (!s) {
    c.registry.erase(rec->address, rec.get());
    return tl::unexpected(s.error());
  }
  rec->supervisor = *s;
  rec->actor = c.actors->child(*s, rec->address);
  auto abandon = [&](Error e) -> Result<void> {
    rec->stopping.store(true);
    c.actors->stop(*s, rt::StopMode::discard);
    c.registry.erase(rec->address, rec.get());
    rec->set_last_error(e.message());
    return tl::unexpected(std::move(e));
  };
  auto live = ComponentActor::prepare(rec, rec->module(), rec->actor, *c.actors);
  if (!live) return abandon(live.error());
  if (auto r = rec->actor.tell(Adopt{std::make_shared<ComponentActor::Live>(std::move(*live))}); !r)
    return abandon(r.error());
  rec->status.store(ComponentStatus::running);
  rec->ready.store(true, std::memory_order_release);
  c.emit(EventKind::started, rec->address, rec->module()->info().sha256);
  if (tier == ComponentTier::automatic) c.compile_later(rec, rec->module());
  return {};
}

Result<void> HostSystem::stop(std::string_view address) {
  auto rec = core_->registry.find(address);
  // Not ready: still being spawned (its actor refs are not published yet) or already going.
  if (!rec || !rec->ready.load(std::memory_order_acquire)) return fail(Errc::not_found, std::string(address));
  rec->stopping.store(true);
  rec->ready.store(false);
  core_->registry.erase(address, rec.get());
  core_->actors->stop(rec->supervisor, rt::StopMode::drain);
  rec->status.store(ComponentStatus::stopped);
  core_->emit(EventKind::stopped, rec->address, "stopped through the API");
  return {};
}

Result<void> HostSystem::restart(std::string_view address) {
  auto rec = core_->registry.find(address);
  if (!rec || !rec->ready.load()) return fail(Errc::not_found, std::string(address));
  return rec->actor.tell(Control{Control::Kind::restart});
}

Result<void> HostSystem::upgrade(std::string_view address, std::vector<std::uint8_t> bytes,
                                 std::chrono::milliseconds wait) {
  auto rec = core_->registry.find(address);
  if (!rec || !rec->ready.load()) return fail(Errc::not_found, std::string(address));
  auto module = core_->load_checked(address, {}, bytes, rec->grants);
  if (!module) return tl::unexpected(module.error());
  auto u = std::make_shared<UpgradeRequest>();
  u->module = std::move(*module);
  auto done = u->done.get_future();
  if (auto r = rec->set_upgrade(u); !r) return r;
  // Wakes the actor; the upgrade itself is applied at the start of its next turn, whatever the
  // message, so what is queued now is handled by the new version.
  (void)rec->actor.tell(Control{Control::Kind::wake});
  if (done.wait_for(wait) != std::future_status::ready) {
    if (rec->take_upgrade()) return fail(Errc::timeout, std::string(address) + ": upgrade not applied in time");
    return done.get();  // it was being applied right now
  }
  return done.get();
}

Result<void> HostSystem::upgrade_file(std::string_view address, const std::filesystem::path& file,
                                      std::chrono::milliseconds wait) {
  auto rec = core_->registry.find(address);
  if (!rec) return fail(Errc::not_found, std::string(address));
  auto m = core_->engine.load_file(file);
  if (!m) return tl::unexpected(m.error());
  // Re-check through the same path as bytes (the engine cache makes the second load free).
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return fail(Errc::io_error, file.string());
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  return upgrade(address, std::move(bytes), wait);
}

Result<void> HostSystem::set_limits(std::string_view address, const ComponentLimits& limits) {
  auto rec = core_->registry.find(address);
  if (!rec) return fail(Errc::not_found, std::string(address));
  rec->set_limits(limits);
  return {};
}

Result<void> HostSystem::set_storage_quota(std::string_view address, std::uint64_t bytes) {
  auto rec = core_->registry.find(address);
  if (!rec) return fail(Errc::not_found, std::string(address));
  if (!core_->store) return fail(Errc::invalid_config, "no storage configured");
  core_->store->set_quota(address, bytes);
  return {};
}

namespace {
ComponentInfo info_of(HostCore& c, const ComponentRecord& r) {
  ComponentInfo i;
  i.address = r.address;
  i.status = r.status.load();
  if (i.status == ComponentStatus::restarting && r.actor && !r.actor.alive()) i.status = ComponentStatus::failed;
  i.module_sha256 = r.module()->info().sha256;
  i.tier = r.module()->tier();
  i.handled = r.handled.load();
  i.restarts = r.restarts.load();
  i.failures = r.failures.load();
  if (r.actor)
    if (auto s = c.actors->stats_of(r.actor)) i.mailbox_depth = s->mailbox_depth;
  i.last_error = r.last_error();
  return i;
}
}  // namespace

std::vector<ComponentInfo> HostSystem::list() const {
  std::vector<ComponentInfo> out;
  for (auto& r : core_->registry.snapshot())
    if (r->ready.load()) out.push_back(info_of(*core_, *r));
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.address < b.address; });
  return out;
}

HostStats HostSystem::stats() const {
  HostStats s;
  s.components = core_->registry.size();
  s.requests = core_->tracker->stats();
  s.dropped_responses = core_->dropped_responses.load();
  s.stale_deliveries = core_->stale_deliveries.load();
  s.audit_records = core_->audit ? core_->audit->records_written() : 0;
  return s;
}

std::optional<ComponentInfo> HostSystem::info(std::string_view address) const {
  auto r = core_->registry.find(address);
  if (!r || !r->ready.load(std::memory_order_acquire)) return std::nullopt;
  return info_of(*core_, *r);
}

Result<void> HostSystem::send(std::string_view to, abi::Bytes payload, std::optional<std::string> codec) {
  auto r = core_->route_send("host", to, payload,
                             codec ? std::optional<std::string_view>(*codec) : std::nullopt, kDefaultMaxMessageBytes);
  if (!r) {
    if (r.error().kind == SendError::Kind::denied && codec)
      return fail(Errc::codec_not_accepted, r.error().text);
    return tl::unexpected(to_error(r.error(), to));
  }
  return {};
}

std::future<RequestOutcome> HostSystem::request(std::string_view to, abi::Bytes payload,
                                                std::chrono::milliseconds timeout) {
  auto sink = std::make_shared<PromiseSink>();
  auto fut = sink->promise.get_future();
  auto r = core_->route_request("host", to, payload, timeout, sink, kDefaultMaxMessageBytes);
  if (!r) {
    using K = abi::RequestError::Kind;
    abi::RequestError e;
    switch (r.error().kind) {
      case SendError::Kind::target_not_found: e = {K::target_not_found, std::string(to)}; break;
      case SendError::Kind::queue_full: e = {K::queue_full, {}}; break;
      case SendError::Kind::too_large:
        e = {K::denied, "payload over the limit of " + std::to_string(r.error().limit) + " bytes"};
        break;
      case SendError::Kind::denied: e = {K::denied, r.error().text}; break;
    }
    sink->promise.set_value(tl::unexpected(std::move(e)));
  }
  return fut;
}

Result<std::size_t> HostSystem::publish(std::string_view topic, abi::Bytes payload) {
  if (payload.size() > kDefaultMaxMessageBytes) return fail(Errc::too_large, std::string(topic));
  return core_->actors->broker().publish(topic, Published{"host", std::move(payload)});
}

Engine& HostSystem::engine() noexcept { return core_->engine; }
rt::ActorSystem& HostSystem::actors() noexcept { return *core_->actors; }
CorrelationTracker& HostSystem::tracker() noexcept { return *core_->tracker; }
const ComponentRegistry& HostSystem::registry() const noexcept { return core_->registry; }
ComponentStore* HostSystem::store() noexcept { return core_->store.get(); }
AuditLog* HostSystem::audit() noexcept { return core_->audit.get(); }
void HostSystem::shutdown() { core_->shutdown(); }

}  // namespace airssys::wasm
