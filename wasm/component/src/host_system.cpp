#include <airssys/wasm/host_system.hpp>

#include <airssys/wasm/abi/contract.hpp>
#include <algorithm>
#include <set>

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
      [sys = actors.get()](auto when, std::function<void()> fn) { sys->call_at(when, std::move(fn)); });
  // WASI is offered to every component: its file functions check the filesystem grant per call.
  auto wasi_of = [](CallContext& c) -> wasi::State* {
    auto* h = abi::host_from_user_data(c);
    return h ? static_cast<InstanceHost*>(h)->wasi() : nullptr;
  };
  for (unsigned mask = 0; mask < imports.size(); ++mask) {
    abi::define_imports(imports[mask], abi::host_from_user_data, static_cast<abi::Interfaces>(mask));
    wasi::define(imports[mask], wasi_of);
  }
  if (options.idle_release.count() > 0) actors->call_after(options.idle_release, [this] { sweep_idle(); });
}

void HostCore::sweep_idle() {
  if (stopped.load()) return;
  engine.trim_recycled(options.idle_release);  // instances parked for reuse that nobody took
  for (auto& r : registry.snapshot()) {
    if (!r->ready.load(std::memory_order_acquire)) continue;
    const auto handled = r->handled.load(std::memory_order_relaxed);
    if (r->idle_mark.exchange(handled, std::memory_order_relaxed) != handled) continue;  // active since
    if (r->released_mark.exchange(handled, std::memory_order_relaxed) == handled) continue;  // done already
    (void)r->actor.tell(Control{Control::Kind::release_memory});
  }
  actors->call_after(options.idle_release, [this] { sweep_idle(); });
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
  std::erase_if(report.foreign, [](const std::string& f) {  // "wasi_snapshot_preview1.fd_write"
    return f.starts_with(wasi::kModule) && f.size() > wasi::kModule.size() && f[wasi::kModule.size()] == '.' &&
           wasi::provides(std::string_view(f).substr(wasi::kModule.size() + 1));
  });
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

void HostCore::retire(ComponentRecord& rec, rt::StopMode mode, std::string why) {
  rec.stopping.store(true);
  rec.ready.store(false);
  registry.erase(rec.address, &rec);
  actors->stop(rec.supervisor ? rec.supervisor : rec.actor, mode);  // inside a group: it alone
  rec.status.store(ComponentStatus::stopped);
  emit(EventKind::stopped, rec.address, std::move(why));
}

void HostCore::watch(const std::shared_ptr<ComponentRecord>& rec) {
  if (rec->watching.exchange(true)) return;
  std::weak_ptr<ComponentRecord> weak = rec;
  actors->call_after(std::chrono::milliseconds(20), [this, weak] {
    auto r = weak.lock();
    if (!r) return;
    r->watching.store(false);
    if (r->status.load() != ComponentStatus::restarting) return;
    if (r->actor.alive()) return watch(r);
    give_up(r);
    sweep(r->placement.tree);
  });
}

void HostCore::sweep(const std::shared_ptr<ComponentTree>& tree) {
  // A group that gave up takes its healthy children with it, and they stop a little later.
  bool again = false;
  for (auto& w : tree->members)
    if (auto m = w.lock()) {
      if (!m->actor.alive())
        give_up(m);
      else if (!tree->root.alive())
        again = true;
    }
  if (!again) return;
  std::weak_ptr<ComponentTree> weak = tree;
  actors->call_after(std::chrono::milliseconds(20), [this, weak] {
    if (auto t = weak.lock()) sweep(t);
  });
}

void HostCore::give_up(const std::shared_ptr<ComponentRecord>& rec) {
  auto s = rec->status.load();
  if (rec->stopping.load() || s == ComponentStatus::failed || s == ComponentStatus::stopped) return;
  if (!rec->status.compare_exchange_strong(s, ComponentStatus::failed)) return;
  rec->ready.store(false);
  registry.erase(rec->address, rec.get());
  const auto why = rec->last_error();
  emit(EventKind::stopped, rec->address,
       "given up by its supervisor: " + (why.empty() ? std::string("its group gave up") : why));
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

namespace {
// Builds the rt supervisor spec of a group and a record per component (inserted in the registry).
// On an error, undo() takes back what was inserted.
class TreeBuilder {
 public:
  TreeBuilder(HostCore& core, std::shared_ptr<ComponentTree> tree) : c_(core), tree_(std::move(tree)) {}

  Result<rt::SupervisorSpec> build(GroupSpec& g, std::vector<std::string> path) {
    if (g.children.empty()) return fail(Errc::invalid_config, "group '" + g.name + "' has no children");
    if (!g.name.empty()) {
      if (auto r = claim(g.name); !r) return tl::unexpected(r.error());
      path.push_back(g.name);
    }
    rt::SupervisorSpec out;
    out.strategy = g.strategy;
    out.max_restarts = g.max_restarts;
    out.within = g.within;
    out.backoff = g.backoff;
    for (auto& child : g.children) {
      if (child.group) {
        if (child.group->name.empty()) return fail(Errc::invalid_config, "a nested group has no name");
        auto nested = build(*child.group, path);
        if (!nested) return tl::unexpected(nested.error());
        out.children.push_back(rt::ChildSpec::nested(child.group->name, std::move(*nested), child.group->restart));
      } else if (child.component) {
        auto rec = component(std::move(*child.component), path, g.strategy);
        if (!rec) return tl::unexpected(rec.error());
        auto spec = rt::ChildSpec::worker((*rec)->address, [r = *rec] { return std::make_unique<ComponentActor>(r); },
                                          (*rec)->supervision.restart);
        spec.mailbox = (*rec)->mailbox;
        spec.health = (*rec)->supervision.health;
        out.children.push_back(std::move(spec));
      } else {
        return fail(Errc::invalid_config, "group '" + g.name + "' has an empty child");
      }
    }
    return out;
  }

  /// Finds each component's actor below the started root.
  void resolve(const rt::ActorRef& root) {
    for (auto& rec : records) {
      rt::ActorRef parent = root;
      for (std::size_t k = 1; k < rec->placement.groups.size(); ++k) parent = c_.actors->child(parent, rec->placement.groups[k]);
      rec->actor = c_.actors->child(parent, rec->address);
    }
  }

  void undo() {
    for (auto& rec : records) c_.registry.erase(rec->address, rec.get());
    std::lock_guard lock(c_.groups_mutex);
    for (auto& name : tree_->groups) c_.groups.erase(name);
  }

  std::vector<std::shared_ptr<ComponentRecord>> records;        // in start order
  std::vector<std::shared_ptr<ComponentRecord>> compile_later;  // ComponentTier::automatic, once started

 private:
  Result<void> claim(const std::string& name) {
    std::lock_guard lock(c_.groups_mutex);
    if (!c_.groups.emplace(name, tree_).second)
      return fail(Errc::name_taken, "group '" + name + "'");
    tree_->groups.push_back(name);
    return {};
  }

  Result<std::shared_ptr<ComponentRecord>> component(ComponentSpec spec, const std::vector<std::string>& path,
                                                     rt::Strategy strategy) {
    if (spec.address.empty()) return fail(Errc::invalid_config, "component address is empty");
    if (auto v = spec.grants.validate(); !v) return fail(v.error().code, spec.address + ": " + v.error().context);
    if (spec.grants.storage.enabled && !c_.store)
      return fail(Errc::invalid_config, spec.address + ": storage granted but the host has no data_dir");
    if (spec.grants.filesystem != wasi::FsAccess::none && !c_.store)
      return fail(Errc::invalid_config, spec.address + ": filesystem granted (" +
                                            std::string(wasi::to_string(spec.grants.filesystem)) +
                                            ") but the host has no data_dir to hold its directory");
    auto module = c_.load_checked(spec.address, spec.file, spec.bytes, spec.grants, spec.module);
    if (!module) return tl::unexpected(module.error());
    const auto tier = spec.tier;
    if (tier == ComponentTier::aot) {  // compiled (or found in the AOT cache) before anything starts
      module = c_.engine.compile(**module);
      if (!module) return fail(module.error().code, spec.address + ": " + module.error().context);
    }
    auto rec = std::make_shared<ComponentRecord>(c_, std::move(spec), std::move(*module));
    if (tier == ComponentTier::automatic) compile_later.push_back(rec);
    rec->placement = Placement{path, strategy, tree_};
    if (auto r = c_.registry.insert(rec->address, rec); !r) return tl::unexpected(r.error());
    records.push_back(rec);
    tree_->members.push_back(rec);
    if (auto r = provision(*rec); !r) return tl::unexpected(r.error());
    return rec;
  }

  // Storage quota, and the WASI directory data_dir/files/<address>: created on first spawn, its
  // bytes recounted each spawn.
  Result<void> provision(ComponentRecord& rec) {
    const bool files = rec.grants.filesystem != wasi::FsAccess::none;
    if (c_.store && (rec.grants.storage.enabled || files)) c_.store->set_quota(rec.address, rec.grants.storage.quota_bytes);
    if (!files) return {};
    rec.files_dir = std::filesystem::path(c_.options.data_dir) / "files" / wasi::directory_name(rec.address);
    std::error_code ec;
    std::filesystem::create_directories(rec.files_dir, ec);
    if (ec)
      return fail(Errc::io_error,
                  rec.address + ": cannot create its directory " + rec.files_dir.string() + ": " + ec.message());
    rec.file_bytes.store(wasi::directory_bytes(rec.files_dir));
    c_.store->set_external_bytes(rec.address, rec.file_bytes.load());
    return {};
  }

  HostCore& c_;
  std::shared_ptr<ComponentTree> tree_;
};

// Errors of a component in a tree name it first.
Error naming(const std::string& address, Error e) {
  if (e.context.rfind(address, 0) != 0) e.context = address + ": " + e.context;
  return e;
}
}  // namespace

Result<void> HostCore::start_tree(GroupSpec spec) {
  if (stopped.load()) return fail(Errc::system_stopped, spec.name);
  auto tree = std::make_shared<ComponentTree>();
  TreeBuilder builder(*this, tree);
  auto sup_spec = builder.build(spec, {});
  if (!sup_spec) {
    builder.undo();
    return tl::unexpected(sup_spec.error());
  }
  for (auto& rec : builder.records) {
    // The first instance is instantiated and init'ed below, on the spawning thread (errors come
    // back directly, and no thread hand-off is waited for); the actor adopts it through its
    // mailbox. Init's imports already act for the actor (subscriptions, timers, requests): what
    // they bring in before the adoption is kept and handled after it.
    rec->adopting.store(true);
  }
  rt::SpawnOptions so;
  so.name = spec.name.empty() ? "component:" + builder.records.front()->address : "group:" + spec.name;
  auto root = actors->spawn_supervisor(std::move(*sup_spec), std::move(so));
  if (!root) {
    builder.undo();
    return tl::unexpected(root.error());
  }
  tree->root = *root;
  builder.resolve(*root);
  if (spec.name.empty()) builder.records.front()->supervisor = *root;
  // Published before the inits run: a component's init may message one started after it.
  for (auto& rec : builder.records) rec->ready.store(true, std::memory_order_release);
  for (auto& rec : builder.records) {
    auto live = ComponentActor::prepare(rec, rec->module(), rec->actor, *actors);
    Result<void> adopted = live ? rec->actor.tell(Adopt{std::make_shared<ComponentActor::Live>(std::move(*live))})
                                : Result<void>(tl::unexpected(live.error()));
    if (!adopted) {
      for (auto& r : builder.records) {
        r->stopping.store(true);
        r->ready.store(false);
      }
      actors->stop(*root, rt::StopMode::discard);
      builder.undo();
      rec->set_last_error(adopted.error().message());
      return tl::unexpected(naming(rec->address, adopted.error()));
    }
    rec->status.store(ComponentStatus::running);
    emit(EventKind::started, rec->address, rec->module()->info().sha256);
  }
  for (auto& rec : builder.compile_later) compile_later(rec, rec->module());
  return {};
}

Result<void> HostSystem::spawn(ComponentSpec spec) {
  if (core_->stopped.load()) return fail(Errc::system_stopped, spec.address);
  GroupSpec solo;  // unnamed: the component's own one-child supervisor
  solo.max_restarts = spec.supervision.max_restarts;
  solo.within = spec.supervision.within;
  solo.backoff = spec.supervision.backoff;
  solo.children.push_back(GroupSpec::Child::of(std::move(spec)));
  return core_->start_tree(std::move(solo));
}

Result<void> HostSystem::spawn_group(GroupSpec spec) {
  if (spec.name.empty()) return fail(Errc::invalid_config, "a group needs a name");
  return core_->start_tree(std::move(spec));
}

Result<void> HostSystem::stop_group(std::string_view name) {
  auto& c = *core_;
  std::shared_ptr<ComponentTree> tree;
  {
    std::lock_guard lock(c.groups_mutex);
    auto it = c.groups.find(name);
    if (it == c.groups.end()) return fail(Errc::not_found, "group '" + std::string(name) + "'");
    tree = it->second;
  }
  std::vector<std::shared_ptr<ComponentRecord>> below;
  for (auto& w : tree->members)
    if (auto r = w.lock()) {
      auto& g = r->placement.groups;
      if (std::find(g.begin(), g.end(), name) != g.end()) below.push_back(std::move(r));
    }
  rt::ActorRef ref = tree->root;  // the group's supervisor: the root, or found by path
  if (!below.empty()) {
    const auto& g = below.front()->placement.groups;
    for (std::size_t k = 1; k < g.size() && g[k - 1] != name; ++k) ref = c.actors->child(ref, g[k]);
  }
  for (auto& r : below) {
    r->stopping.store(true);
    r->ready.store(false);
    c.registry.erase(r->address, r.get());
  }
  c.actors->stop(ref, rt::StopMode::drain);
  for (auto& r : below) {
    r->status.store(ComponentStatus::stopped);
    c.emit(EventKind::stopped, r->address, "its group '" + std::string(name) + "' was stopped");
  }
  // The group and the groups nested in it are gone; their names are free again.
  std::set<std::string, std::less<>> gone{std::string(name)};
  for (auto& r : below) {
    auto& g = r->placement.groups;
    gone.insert(std::find(g.begin(), g.end(), name), g.end());
  }
  std::lock_guard lock(c.groups_mutex);
  for (auto& n : gone) c.groups.erase(n);
  return {};
}

bool HostSystem::group_running(std::string_view name) const {
  std::lock_guard lock(core_->groups_mutex);
  auto it = core_->groups.find(name);
  return it != core_->groups.end() && it->second->root.alive();
}

Result<void> HostSystem::stop(std::string_view address) {
  auto rec = core_->registry.find(address);
  // Not ready: still being spawned (its actor refs are not published yet) or already going.
  if (!rec || !rec->ready.load(std::memory_order_acquire)) return fail(Errc::not_found, std::string(address));
  core_->retire(*rec, rt::StopMode::drain, "stopped through the API");
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
  if (!core_->registry.find(address)) return fail(Errc::not_found, std::string(address));
  // Read once; upgrade() loads (engine cache) and checks the bytes.
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

Result<void> HostSystem::set_mailbox(std::string_view address, rt::MailboxOptions mailbox) {
  auto rec = core_->registry.find(address);
  if (!rec || !rec->ready.load(std::memory_order_acquire)) return fail(Errc::not_found, std::string(address));
  return core_->actors->set_mailbox(rec->actor, mailbox);
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
  i.memory_released = r.released_bytes.load();
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
