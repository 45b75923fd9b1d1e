#include <airssys/rt/system.hpp>

#include <asio/post.hpp>

#include "cell.hpp"
#include "supervisor_actor.hpp"
#include "system_impl.hpp"

namespace airssys::rt {

using detail::Cell;

// ---------------------------------------------------------------- Impl

ActorSystem::Impl::Impl(ActorSystem& o, SystemOptions opts)
    : owner(o),
      options(opts),
      io_work(asio::make_work_guard(io)),
      io_thread([this] { io.run(); }),
      scheduler(opts.workers ? opts.workers : std::max(1u, std::thread::hardware_concurrency())),
      deadlines(io) {
  if (options.throughput == 0) options.throughput = 1;
}

ActorSystem::Impl::~Impl() {
  io_work.reset();
  io.stop();
  if (io_thread.joinable()) io_thread.join();
}

Result<ActorRef> ActorSystem::Impl::spawn_cell(ActorFactory factory, const SpawnOptions& o, Cell* parent) {
  if (stopping.load(std::memory_order_acquire)) return fail(Errc::system_stopped, o.name);
  if (!factory) return fail(Errc::invalid_argument, "spawn without a factory");
  auto* c = new Cell(*this, next_id.fetch_add(1, std::memory_order_relaxed), o.name, std::move(factory), o.mailbox, parent);
  ActorRef ref(c);  // the cell's own initial reference belongs to `live`
  if (o.register_name) {
    if (auto r = registry.register_name(o.name, ref); !r) {
      detail::release(c);
      return tl::unexpected(r.error());
    }
    c->registered = true;
  }
  live.insert(c);
  spawned.fetch_add(1, std::memory_order_relaxed);
  if (parent) parent->adopt(c);
  return ref;
}

void ActorSystem::Impl::cell_stopped(Cell& c) {
  if (!live.erase(&c, c.counters())) return;
  detail::release(&c);  // the scheduler still holds one while the cell's turn runs
}

void ActorSystem::Impl::dead_letter(Cell& c, TypeId type) {
  dead_letters.fetch_add(1, std::memory_order_relaxed);
  if (dead_letter_fn) dead_letter_fn(DeadLetter{c.id, c.name, type});
}

// ---------------------------------------------------------------- spawning

ActorSystem::ActorSystem(SystemOptions options) : impl_(std::make_unique<Impl>(*this, options)) {}

ActorSystem::~ActorSystem() { shutdown(); }

Result<ActorRef> ActorSystem::spawn(ActorFactory factory, SpawnOptions options) {
  auto ref = impl_->spawn_cell(std::move(factory), options, nullptr);
  if (ref) ref->cell()->request_start();
  return ref;
}

namespace {
// Builds a supervisor cell and (recursively) its children's cells without starting them; the
// supervisor starts its children in order from on_start.
Result<ActorRef> build_supervisor(ActorSystem::Impl& sys, SupervisorSpec spec, const SpawnOptions& o, Cell* parent) {
  auto state = std::make_shared<detail::SupervisorState>();
  auto children = std::move(spec.children);
  state->spec = std::move(spec);
  auto sup = sys.spawn_cell([state] { return std::make_unique<detail::SupervisorActor>(state); }, o, parent);
  if (!sup) return sup;
  for (auto& child : children) {
    SpawnOptions co{child.name, child.register_name, child.mailbox};
    Result<ActorRef> ref = child.supervisor ? build_supervisor(sys, *child.supervisor, co, sup->cell())
                                            : sys.spawn_cell(child.factory, co, sup->cell());
    if (!ref) {
      sup->cell()->request_stop(StopMode::discard, false);
      return ref;
    }
    detail::SupervisorState::Child c;
    c.spec = std::move(child);
    c.ref = std::move(*ref);
    state->children.push_back(std::move(c));
  }
  std::lock_guard lock(sys.supervisors_mutex);
  if (sys.supervisors.size() >= 64 && sys.supervisors.size() % 64 == 0)
    std::erase_if(sys.supervisors, [](auto& kv) { return kv.second.expired(); });
  sys.supervisors[sup->id()] = state;
  return sup;
}
}  // namespace

std::shared_ptr<detail::SupervisorState> ActorSystem::Impl::supervisor_state(const ActorRef& sup) {
  if (!sup) return nullptr;
  std::lock_guard lock(supervisors_mutex);
  auto it = supervisors.find(sup.id());
  return it == supervisors.end() ? nullptr : it->second.lock();
}

Result<ActorRef> ActorSystem::spawn_supervisor(SupervisorSpec spec, SpawnOptions options) {
  auto sup = build_supervisor(*impl_, std::move(spec), options, nullptr);
  if (sup) sup->cell()->request_start();
  return sup;
}

Result<ActorRef> ActorSystem::start_child(const ActorRef& supervisor, ChildSpec child) {
  auto state = impl_->supervisor_state(supervisor);
  if (!state) return fail(Errc::not_found, "not a supervisor");
  SpawnOptions co{child.name, child.register_name, child.mailbox};
  auto ref = child.supervisor ? build_supervisor(*impl_, *child.supervisor, co, supervisor.cell())
                              : impl_->spawn_cell(child.factory, co, supervisor.cell());
  if (!ref) return ref;
  {
    std::lock_guard lock(state->mutex);
    detail::SupervisorState::Child c;
    c.spec = std::move(child);
    c.ref = *ref;
    state->children.push_back(std::move(c));
  }
  (void)supervisor.tell(detail::SupervisorActor::ChildAdded{*ref});
  return ref;
}

ActorRef ActorSystem::child(const ActorRef& supervisor, std::string_view name) const {
  auto state = impl_->supervisor_state(supervisor);
  if (!state) return {};
  std::lock_guard lock(state->mutex);
  for (auto& c : state->children)
    if (c.spec.name == name) return c.ref;
  return {};
}

std::vector<ActorRef> ActorSystem::children(const ActorRef& supervisor) const {
  std::vector<ActorRef> out;
  auto state = impl_->supervisor_state(supervisor);
  if (!state) return out;
  std::lock_guard lock(state->mutex);
  for (auto& c : state->children) out.push_back(c.ref);
  return out;
}

// ---------------------------------------------------------------- stopping

void ActorSystem::stop(const ActorRef& ref, StopMode mode) {
  if (ref) ref.cell()->request_stop(mode, true);
}

void ActorSystem::kill(const ActorRef& ref) {
  if (ref) ref.cell()->request_stop(StopMode::discard, false);
}

void ActorSystem::shutdown(StopMode mode) {
  if (impl_->stopping.exchange(true)) return;
  auto& im = *impl_;
  auto members = [&](bool top_level_only) {
    std::vector<ActorRef> refs;
    im.live.for_each([&](Cell& c) {
      if (!top_level_only || !c.parent) refs.emplace_back(&c);
    });
    return refs;
  };
  for (auto& r : members(true)) r.cell()->request_stop(mode, true);  // children stop first, per parent
  auto all_stopped = [&](std::chrono::milliseconds t) {
    const auto end = std::chrono::steady_clock::now() + t;
    while (im.live.size() > 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return im.live.size() == 0;
  };
  if (!all_stopped(im.options.shutdown_timeout)) {
    for (auto& r : members(false)) r.cell()->request_stop(StopMode::discard, false);
    all_stopped(std::chrono::milliseconds(1000));
  }
  {
    std::lock_guard lock(im.timers_mutex);
    for (auto& [id, t] : im.timers) t->cancelled = true;
  }
  im.scheduler.stop();
  im.deadlines.fail_all(Error{Errc::system_stopped, "shutdown"});
  // Whatever is still alive now had a handler that never returned: release what we hold.
  for (Cell* c : im.live.take_all()) detail::release(c);
  im.io_work.reset();
  im.io.stop();
  if (im.io_thread.joinable()) im.io_thread.join();
  std::lock_guard lock(im.timers_mutex);
  im.timers.clear();
}

// ---------------------------------------------------------------- timers

TimerId ActorSystem::schedule_timer(const ActorRef& to, std::chrono::milliseconds delay, std::chrono::milliseconds period,
                                    std::function<std::unique_ptr<Envelope>()> make) {
  auto& im = *impl_;
  const TimerId id = im.next_timer.fetch_add(1, std::memory_order_relaxed);
  auto timer = std::make_shared<Impl::Timer>(im.io);
  {
    std::lock_guard lock(im.timers_mutex);
    im.timers.emplace(id, timer);
  }
  auto fire = std::make_shared<std::function<void()>>();
  *fire = [&im, id, timer, to, period, make = std::move(make), weak = std::weak_ptr<std::function<void()>>(fire)] {
    auto erase = [&] {
      std::lock_guard lock(im.timers_mutex);
      im.timers.erase(id);
    };
    if (timer->cancelled.load()) return erase();
    auto sent = detail::enqueue(to.cell(), make());
    if (period.count() == 0 || (!sent && sent.error().code == Errc::actor_stopped)) return erase();
    timer->timer.expires_at(timer->timer.expiry() + period);
    timer->timer.async_wait([next = weak.lock()](const asio::error_code& ec) {
      if (!ec && next) (*next)();
    });
  };
  asio::post(im.io, [timer, delay, fire] {
    timer->timer.expires_after(delay);
    timer->timer.async_wait([fire](const asio::error_code& ec) {
      if (!ec) (*fire)();
    });
  });
  return id;
}

bool ActorSystem::cancel_timer(TimerId id) {
  std::shared_ptr<Impl::Timer> t;
  {
    std::lock_guard lock(impl_->timers_mutex);
    auto it = impl_->timers.find(id);
    if (it == impl_->timers.end()) return false;
    t = it->second;
    impl_->timers.erase(it);
  }
  if (t->cancelled.exchange(true)) return false;
  asio::post(impl_->io, [t] { t->timer.cancel(); });
  return true;
}

void ActorSystem::call_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  call_at(std::chrono::steady_clock::now() + delay, std::move(fn));
}

void ActorSystem::call_at(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->io);
  asio::post(impl_->io, [timer, when, fn = std::move(fn)]() mutable {
    timer->expires_at(when);
    timer->async_wait([timer, fn = std::move(fn)](const asio::error_code& ec) {
      if (!ec) fn();
    });
  });
}

// ---------------------------------------------------------------- introspection

ActorRegistry& ActorSystem::registry() noexcept { return impl_->registry; }
MessageBroker& ActorSystem::broker() noexcept { return impl_->broker; }
std::size_t ActorSystem::worker_count() const noexcept { return impl_->scheduler.size(); }
void ActorSystem::on_dead_letter(std::function<void(const DeadLetter&)> fn) { impl_->dead_letter_fn = std::move(fn); }

std::vector<ActorStats> ActorSystem::actors() const {
  std::vector<ActorStats> out;
  impl_->live.for_each([&](Cell& c) { out.push_back(c.stats()); });
  return out;
}

Result<void> ActorSystem::set_mailbox(const ActorRef& ref, MailboxOptions options) {
  if (!ref) return fail(Errc::not_found, "empty actor ref");
  return ref.cell()->reconfigure_mailbox(options);
}

std::optional<MailboxOptions> ActorSystem::mailbox_of(const ActorRef& ref) const {
  if (!ref) return std::nullopt;
  return ref.cell()->mailbox_options();
}

std::optional<ActorStats> ActorSystem::stats_of(const ActorRef& ref) const {
  if (!ref) return std::nullopt;
  return ref.cell()->stats();
}

SystemStats ActorSystem::stats() const {
  auto& im = *impl_;
  SystemStats s;
  const auto retired = im.live.retired();
  s.handled = retired.handled;
  s.dropped = retired.dropped;
  s.restarts = retired.restarts;
  s.failures = retired.failures;
  s.dead_letters = im.dead_letters.load(std::memory_order_relaxed);
  s.actors_spawned = im.spawned.load(std::memory_order_relaxed);
  im.live.for_each([&](Cell& c) {
    const auto a = c.counters();
    ++s.actors_alive;
    s.handled += a.handled;
    s.mailbox_depth += a.mailbox_depth;
    s.dropped += a.dropped;
    s.restarts += a.restarts;
    s.failures += a.failures;
  });
  return s;
}

// ---------------------------------------------------------------- ActorRef

std::uint64_t ActorRef::id() const noexcept { return cell_ ? cell_->id : 0; }
const std::string& ActorRef::name() const noexcept {
  static const std::string none;
  return cell_ ? cell_->name : none;
}
bool ActorRef::alive() const noexcept { return cell_ && cell_->state() != ActorState::stopped; }

}  // namespace airssys::rt
