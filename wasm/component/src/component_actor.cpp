#include <airssys/wasm/component_actor.hpp>

#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "host_core.hpp"

namespace airssys::wasm {

namespace {
abi::RequestError target_failed(std::string text) {
  return abi::RequestError{abi::RequestError::Kind::target_failed, std::move(text)};
}
abi::Bytes copy(std::span<const std::uint8_t> p) { return abi::Bytes(p.begin(), p.end()); }
}  // namespace

// ---- RequestGuard ------------------------------------------------------------------------------

thread_local std::uint64_t RequestGuard::enqueuing = 0;

RequestGuard::~RequestGuard() {
  if (!tracker_ || id_ == 0 || id_ == enqueuing) return;
  tracker_->resolve(id_,
                    tl::unexpected(target_failed((target_ ? *target_ : std::string("target")) +
                                                 " stopped or dropped the request before answering")),
                    /*count_late=*/false);
}

// ---- ComponentRecord ---------------------------------------------------------------------------

ComponentRecord::ComponentRecord(HostCore& c, ComponentSpec spec, std::shared_ptr<const Module> module)
    : core(c),
      address(spec.address),
      address_ptr(std::make_shared<const std::string>(spec.address)),
      grants(std::move(spec.grants)),
      settings(std::move(spec.settings)),
      data(std::move(spec.data)),
      accepted_codecs(std::move(spec.accepted_codecs)),
      supervision(spec.supervision),
      mailbox(spec.mailbox),
      max_message_bytes(spec.limits.max_message_bytes),
      max_sends_per_second(spec.limits.max_sends_per_second),
      module_(std::move(module)),
      limits_(spec.limits) {}

bool ComponentRecord::reserve_file_bytes(std::uint64_t n) {
  const std::uint64_t quota = core.store ? core.store->quota(address) : grants.storage.quota_bytes;
  std::uint64_t kv = 0;
  if (core.store)
    if (auto u = core.store->usage(address)) kv = u->bytes;
  std::uint64_t cur = file_bytes.load();
  do {
    if (cur + n + kv > quota) return false;
  } while (!file_bytes.compare_exchange_weak(cur, cur + n));
  if (core.store) core.store->set_external_bytes(address, cur + n);
  return true;
}

void ComponentRecord::release_file_bytes(std::uint64_t n) {
  std::uint64_t cur = file_bytes.load();
  while (!file_bytes.compare_exchange_weak(cur, cur > n ? cur - n : 0)) {
  }
  if (core.store) core.store->set_external_bytes(address, cur > n ? cur - n : 0);
}

bool ComponentRecord::accepts(std::optional<std::string_view> codec) const {
  if (!codec || accepted_codecs.empty()) return true;
  return std::find(accepted_codecs.begin(), accepted_codecs.end(), *codec) != accepted_codecs.end();
}

std::shared_ptr<const Module> ComponentRecord::module() const {
  std::lock_guard lock(mutex_);
  return module_;
}
void ComponentRecord::set_module(std::shared_ptr<const Module> m) {
  std::lock_guard lock(mutex_);
  module_ = std::move(m);
}
bool ComponentRecord::replace_module(const std::shared_ptr<const Module>& expected, std::shared_ptr<const Module> m) {
  std::lock_guard lock(mutex_);
  if (module_ != expected) return false;
  module_ = std::move(m);
  return true;
}
ComponentLimits ComponentRecord::limits() const {
  std::lock_guard lock(mutex_);
  return limits_;
}
void ComponentRecord::set_limits(const ComponentLimits& l) {
  std::lock_guard lock(mutex_);
  limits_ = l;
  max_message_bytes.store(l.max_message_bytes, std::memory_order_relaxed);
  max_sends_per_second.store(l.max_sends_per_second, std::memory_order_relaxed);
  limits_version.fetch_add(1, std::memory_order_release);
}
std::string ComponentRecord::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}
void ComponentRecord::set_last_error(std::string e) {
  std::lock_guard lock(mutex_);
  last_error_ = std::move(e);
}
Result<void> ComponentRecord::set_upgrade(std::shared_ptr<UpgradeRequest> u) {
  std::lock_guard lock(mutex_);
  if (upgrade_) return fail(Errc::invalid_argument, address + ": an upgrade is already in progress");
  upgrade_ = std::move(u);
  upgrade_flag_.store(true, std::memory_order_release);
  return {};
}
std::shared_ptr<UpgradeRequest> ComponentRecord::take_upgrade() {
  std::lock_guard lock(mutex_);
  upgrade_flag_.store(false, std::memory_order_release);
  return std::exchange(upgrade_, nullptr);
}

// ---- SubscriptionBook --------------------------------------------------------------------------

Result<void> SubscriptionBook::subscribe(rt::MessageBroker& broker, const std::string& pattern, const rt::ActorRef& who) {
  std::lock_guard lock(mutex_);
  auto& n = refs_[pattern];
  if (n++ == 0) {
    auto r = broker.subscribe(pattern, who);
    if (!r) {
      refs_.erase(pattern);
      return r;
    }
  }
  return {};
}

void SubscriptionBook::unsubscribe(rt::MessageBroker& broker, const std::string& pattern, const rt::ActorRef& who) {
  std::lock_guard lock(mutex_);
  auto it = refs_.find(pattern);
  if (it == refs_.end()) return;
  if (--it->second == 0) {
    broker.unsubscribe(pattern, who);
    refs_.erase(it);
  }
}

void SubscriptionBook::reset(rt::MessageBroker& broker, const rt::ActorRef& who) {
  std::lock_guard lock(mutex_);
  refs_.clear();
  broker.unsubscribe_all(who);
}

// ---- ComponentActor ----------------------------------------------------------------------------

ComponentActor::Live::Live() = default;
ComponentActor::Live::Live(Live&&) noexcept = default;
ComponentActor::Live& ComponentActor::Live::operator=(Live&&) noexcept = default;
ComponentActor::Live::~Live() = default;

ComponentActor::ComponentActor(std::shared_ptr<ComponentRecord> record) : record_(std::move(record)) {}

ComponentActor::~ComponentActor() { discard(live_, false); }

Result<ComponentActor::Live> ComponentActor::prepare(const std::shared_ptr<ComponentRecord>& record,
                                                     const std::shared_ptr<const Module>& module,
                                                     const rt::ActorRef& self, rt::ActorSystem& system) {
  auto& rec = *record;
  Live live;
  live.host = std::make_unique<InstanceHost>(rec, self, system, rec.next_epoch.fetch_add(1, std::memory_order_relaxed));
  live.limits_version = rec.limits_version.load(std::memory_order_acquire);
  if (auto w = live.host->start_wasi(); !w) {
    live.host->release();
    return tl::unexpected(w.error());
  }
  const auto limits = rec.limits();
  auto inst = abi::ComponentInstance::create(*module, rec.core.imports_for(rec.grants), *live.host, limits.engine,
                                             rec.address);
  if (!inst) {
    live.host->release();
    return tl::unexpected(inst.error());
  }
  live.instance = std::move(*inst);
  auto init = live.instance->init(abi::Config{rec.address, rec.settings, rec.data});
  if (!init || !*init) {
    Error e = !init ? init.error() : Error{Errc::guest_error, rec.address + ": init: " + init->error()};
    discard(live, false);
    return tl::unexpected(std::move(e));
  }
  return live;
}

Result<ComponentActor::Live> ComponentActor::instantiate(const std::shared_ptr<const Module>& module) {
  return prepare(record_, module, self(), system());
}

void ComponentActor::discard(Live& live, bool call_shutdown) {
  if (live.instance && call_shutdown && !live.instance->poisoned()) (void)live.instance->shutdown();
  if (live.host) live.host->release();
  live.instance.reset();
  live.host.reset();
}

void ComponentActor::adopt(Live live) {
  if (live_.instance) {  // restarted with its group meanwhile: the fresh instance serves
    discard(live, true);
    record_->adopting.store(false);
    return;
  }
  live_ = std::move(live);
  epoch_ = live_.host->epoch();
  limits_seen_ = live_.limits_version;
  record_->adopting.store(false);
  // What arrived while the spawning thread ran init (responses, timers, publications).
  auto early = std::move(early_);
  for (auto& e : early) {
    rt::Message m(*e);
    receive(m);
  }
}

void ComponentActor::start(const Error* restart_reason) {
  auto& rec = *record_;
  if (!restart_reason && rec.adopting.load()) return;  // the spawning thread prepares the instance
  // A fresh actor object after a restart: the previous instance's subscriptions are gone with it.
  rec.subscriptions.reset(system().broker(), self());
  auto live = instantiate(rec.module());
  if (!live) {
    rec.set_last_error(live.error().message());
    rec.failures.fetch_add(1, std::memory_order_relaxed);
    rec.status.store(ComponentStatus::restarting);
    rec.core.emit(EventKind::failed, rec.address, live.error().message());
    rec.core.watch(record_);
    throw std::runtime_error(live.error().message());
  }
  live_ = std::move(*live);
  epoch_ = live_.host->epoch();
  limits_seen_ = live_.limits_version;
  rec.status.store(ComponentStatus::running);
  if (restart_reason) rec.core.emit(EventKind::restarted, rec.address, restart_detail(*restart_reason));
}

std::string ComponentActor::restart_detail(const Error& reason) const {
  auto why = reason.message();
  const auto& p = record_->placement;
  if (p.groups.empty() || reason.context.rfind(record_->address + ":", 0) == 0) return why;  // its own failure
  static constexpr std::string_view kStrategy[] = {"one-for-one", "one-for-all", "rest-for-one"};
  return "restarted by supervisor '" + p.groups.back() + "' (" +
         std::string(kStrategy[static_cast<int>(p.strategy)]) + ") after: " + why;
}

void ComponentActor::on_start() { start(nullptr); }

void ComponentActor::on_restart(const Error& reason) {
  record_->restarts.fetch_add(1, std::memory_order_relaxed);
  if (!record_->supervision.keep_queue_on_restart) {
    // Everything ahead of the marker was queued before the restart. A full mailbox refuses the
    // marker: then nothing is dropped (rather than dropping forever).
    dropping_ = self().tell(Control{Control::Kind::resume}).has_value();
  }
  start(&reason);
}

void ComponentActor::on_stop() {
  discard(live_, true);
  if (record_->stopping.load()) record_->status.store(ComponentStatus::stopped);
}

bool ComponentActor::healthy() {
  if (!live_.instance && record_->adopting.load()) return true;  // its first init is still running
  if (!live_.instance || live_.instance->poisoned()) return false;
  auto h = live_.instance->health();
  return h && *h != abi::Health::unhealthy;
}

void ComponentActor::guest_exited() {
  auto& rec = *record_;
  discard(live_, false);
  rec.core.retire(rec, rt::StopMode::discard, "the guest exited with code 0 (proc_exit)");
}

void ComponentActor::guest_failed(const Error& e, std::string_view during) {
  auto& rec = *record_;
  if (live_.host && live_.host->wasi())
    if (auto code = live_.host->wasi()->exit_code(); code && *code == 0) return guest_exited();
  // "<address>: <what failed>", naming the export only when the engine's text does not already.
  std::string_view what = e.context;
  if (what.rfind(rec.address + ": ", 0) == 0) what.remove_prefix(rec.address.size() + 2);
  Error failure{e.code, rec.address + ": " +
                            (what.find(during) == std::string_view::npos ? std::string(during) + ": " : "") +
                            std::string(what)};
  rec.failures.fetch_add(1, std::memory_order_relaxed);
  rec.set_last_error(failure.message());
  rec.status.store(ComponentStatus::restarting);
  discard(live_, false);
  rec.core.emit(EventKind::failed, rec.address, failure.message());
  rec.core.watch(record_);
  fail(std::move(failure));
}

void ComponentActor::prepare_turn() {
  auto& rec = *record_;
  if (live_.instance) {
    const auto v = rec.limits_version.load(std::memory_order_acquire);
    if (v != limits_seen_) {
      limits_seen_ = v;
      live_.instance->instance().set_limits(rec.limits().engine);
    }
  }
  if (rec.upgrade_pending())
    if (auto u = rec.take_upgrade()) apply_upgrade(*u);
}

void ComponentActor::apply_upgrade(UpgradeRequest& u) {
  auto& rec = *record_;
  auto fresh = instantiate(u.module);
  if (!fresh) {  // the old version keeps serving
    u.done.set_value(tl::unexpected(Error{fresh.error().code, rec.address + ": upgrade refused, old version kept: " +
                                                                  fresh.error().message()}));
    return;
  }
  discard(live_, true);
  live_ = std::move(*fresh);
  epoch_ = live_.host->epoch();
  limits_seen_ = live_.limits_version;
  rec.set_module(u.module);
  rec.status.store(ComponentStatus::running);
  u.done.set_value({});
  rec.core.emit(EventKind::upgraded, rec.address, u.module->info().sha256);
}

void ComponentActor::deliver(abi::Message msg, RequestGuard* guard) {
  auto& rec = *record_;
  auto& tracker = *rec.core.tracker;
  if (!live_.instance) return;  // a request's guard answers target-failed
  auto r = live_.instance->handle_message(msg);
  rec.handled.fetch_add(1, std::memory_order_relaxed);
  if (!r) {
    if (guard) tracker.resolve(guard->disarm(), tl::unexpected(target_failed(rec.address + ": " + r.error().message())));
    guest_failed(r.error(), "handle-message");
    return;
  }
  if (!guard) return;
  const auto id = guard->disarm();
  if (*r)
    tracker.resolve(id, (*r)->value_or(abi::Bytes{}));
  else
    tracker.resolve(id, tl::unexpected(target_failed(r->error())));
}

namespace {
template <class T>
bool stash(rt::Message& m, std::vector<std::unique_ptr<rt::Envelope>>& out) {
  auto* v = m.get_if<T>();
  if (!v) return false;
  out.push_back(rt::make_envelope(std::move(*v)));
  return true;
}
}  // namespace

void ComponentActor::receive(rt::Message& m) {
  auto& rec = *record_;
  if (auto* a = m.get_if<Adopt>()) {
    adopt(std::move(*std::static_pointer_cast<Live>(a->live)));
    return;
  }
  if (!live_.instance && rec.adopting.load()) {
    stash<Inbound>(m, early_) || stash<rt::Publication<Published>>(m, early_) || stash<ResponseIn>(m, early_) ||
        stash<TimerFired>(m, early_) || stash<Control>(m, early_);
    return;
  }
  if (dropping_) {  // a request's guard answers target-failed as its envelope goes
    if (auto* c = m.get_if<Control>(); c && c->kind == Control::Kind::resume) dropping_ = false;
    return;
  }
  prepare_turn();
  if (auto* in = m.get_if<Inbound>()) {
    RequestGuard* guard = in->msg.correlation ? &in->guard : nullptr;
    deliver(std::move(in->msg), guard);
  } else if (auto* p = m.get_if<rt::Publication<Published>>()) {
    if (p->value().payload.size() > rec.max_message_bytes.load(std::memory_order_relaxed)) return;
    deliver(abi::Message{p->value().from, p->value().payload, std::nullopt, std::nullopt, p->topic()}, nullptr);
  } else if (auto* r = m.get_if<ResponseIn>()) {
    if (r->epoch != epoch_ || !live_.instance) {
      rec.core.stale_deliveries.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    auto h = live_.instance->handle_response(r->response);
    rec.handled.fetch_add(1, std::memory_order_relaxed);
    if (!h) guest_failed(h.error(), "handle-response");
  } else if (auto* t = m.get_if<TimerFired>()) {
    if (t->epoch != epoch_ || !live_.instance) {
      rec.core.stale_deliveries.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    live_.host->timer_fired(t->id);
    deliver(abi::Message{rec.address, std::move(t->payload), std::string("airssys/timer"), std::nullopt, std::nullopt},
            nullptr);
  } else if (auto* c = m.get_if<Control>()) {
    if (c->kind == Control::Kind::restart && live_.instance) {
      rec.status.store(ComponentStatus::restarting);
      discard(live_, true);
      fail(Error{Errc::actor_failed, rec.address + ": restart requested"});
    } else if (c->kind == Control::Kind::release_memory && live_.instance) {
      rec.released_bytes.fetch_add(live_.instance->instance().release_zero_pages(), std::memory_order_relaxed);
    }
  }
}

// ---- RequesterSink -----------------------------------------------------------------------------

void RequesterSink::deliver(abi::Response response) {
  if (!actor_.tell(ResponseIn{epoch_, std::move(response)})) core_.dropped_responses.fetch_add(1, std::memory_order_relaxed);
}

// ---- InstanceHost ------------------------------------------------------------------------------

InstanceHost::InstanceHost(ComponentRecord& record, rt::ActorRef self, rt::ActorSystem& system, std::uint64_t epoch)
    : rec_(record),
      self_(self),
      system_(system),
      core_(rec_.core),
      epoch_(epoch),
      sink_(std::make_shared<RequesterSink>(rec_.core, std::move(self), epoch)) {}

InstanceHost::~InstanceHost() { release(); }

Result<void> InstanceHost::start_wasi() {
  wasi::Options o = wasi::options_from_settings(rec_.address, rec_.settings);
  o.fs = rec_.grants.filesystem;
  o.dir = rec_.files_dir;
  o.max_lines_per_second = rec_.limits().max_log_lines_per_second;
  o.line_burst = o.max_lines_per_second;
  wasi::Hooks h;
  HostCore* core = &core_;
  ComponentRecord* rec = &rec_;
  h.line = [core, rec](wasi::Stream s, std::string_view line) {
    if (core->options.on_log)
      core->options.on_log(rec->address, s == wasi::Stream::out ? abi::LogLevel::info : abi::LogLevel::warn, line);
  };
  h.denied = [core, rec](std::string_view call, std::string_view target, std::string_view reason) {
    core->deny(rec->address, call, target, reason);
  };
  h.reserve = [rec](std::uint64_t n) { return rec->reserve_file_bytes(n); };
  h.release = [rec](std::uint64_t n) { rec->release_file_bytes(n); };
  auto s = wasi::State::create(std::move(o), std::move(h));
  if (!s) return tl::unexpected(s.error());
  wasi_ = std::move(*s);
  return {};
}

void InstanceHost::release() {
  if (wasi_) wasi_->flush();
  for (auto& [id, tid] : timers_) system_.cancel_timer(tid);
  timers_.clear();
  for (auto& s : subscriptions_) rec_.subscriptions.unsubscribe(system_.broker(), s, self_);
  subscriptions_.clear();
}

bool InstanceHost::rate_ok() {
  const auto rate = rec_.max_sends_per_second.load(std::memory_order_relaxed);
  if (rate == 0) return true;
  const auto now = std::chrono::steady_clock::now();
  if (!bucket_started_) {
    tokens_ = rate;
    bucket_started_ = true;
  } else {
    tokens_ = std::min<double>(rate, tokens_ + std::chrono::duration<double>(now - refilled_).count() * rate);
  }
  refilled_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

tl::expected<void, abi::SendError> InstanceHost::rate_limited() {
  return tl::unexpected(abi::SendError{
      abi::SendError::Kind::denied,
      "rate limit: " + std::to_string(rec_.max_sends_per_second.load(std::memory_order_relaxed)) + " messages/s", 0});
}

abi::SendError InstanceHost::denied(std::string_view action, std::string_view target, std::string reason) {
  core_.deny(rec_.address, action, target, reason);
  return abi::SendError{abi::SendError::Kind::denied, std::move(reason), 0};
}

tl::expected<void, abi::SendError> InstanceHost::send(std::string_view to, Payload payload,
                                                      std::optional<std::string_view> codec) {
  if (auto c = rec_.grants.allows_send(to); !c)
    return tl::unexpected(denied("messaging.send", to, std::move(c.reason)));
  else
    core_.allow(rec_.address, "messaging.send", to, c.reason);
  if (!rate_ok()) return rate_limited();
  return core_.route_send(rec_.address, to, payload, codec, rec_.max_message_bytes.load(std::memory_order_relaxed));
}

tl::expected<std::uint64_t, abi::SendError> InstanceHost::request(std::string_view to, Payload payload,
                                                                  std::uint32_t timeout_ms) {
  if (auto c = rec_.grants.allows_request(to); !c)
    return tl::unexpected(denied("messaging.request", to, std::move(c.reason)));
  else
    core_.allow(rec_.address, "messaging.request", to, c.reason);
  if (!rate_ok()) return tl::unexpected(rate_limited().error());
  return core_.route_request(rec_.address, to, payload, std::chrono::milliseconds(timeout_ms), sink_,
                             rec_.max_message_bytes.load(std::memory_order_relaxed));
}

bool InstanceHost::cancel(std::uint64_t id) { return core_.tracker->cancel(id, sink_.get()); }

tl::expected<void, abi::SendError> InstanceHost::publish(std::string_view topic, Payload payload) {
  const auto max = rec_.max_message_bytes.load(std::memory_order_relaxed);
  if (payload.size() > max) return tl::unexpected(abi::SendError{abi::SendError::Kind::too_large, {}, max});
  if (auto c = rec_.grants.allows_publish(topic); !c)
    return tl::unexpected(denied("messaging.publish", topic, std::move(c.reason)));
  else
    core_.allow(rec_.address, "messaging.publish", topic, c.reason);
  if (!rate_ok()) return rate_limited();
  core_.actors->broker().publish(topic, Published{rec_.address, copy(payload)});
  return {};
}

tl::expected<void, abi::SendError> InstanceHost::subscribe(std::string_view topic) {
  if (auto c = rec_.grants.allows_subscribe(topic); !c)
    return tl::unexpected(denied("messaging.subscribe", topic, std::move(c.reason)));
  else
    core_.allow(rec_.address, "messaging.subscribe", topic, c.reason);
  if (subscriptions_.count(topic)) return {};
  std::string pattern(topic);
  if (auto r = rec_.subscriptions.subscribe(system_.broker(), pattern, self_); !r)
    return tl::unexpected(abi::SendError{abi::SendError::Kind::denied, r.error().message(), 0});
  subscriptions_.insert(std::move(pattern));
  return {};
}

void InstanceHost::unsubscribe(std::string_view topic) {
  auto it = subscriptions_.find(topic);
  if (it == subscriptions_.end()) return;
  rec_.subscriptions.unsubscribe(system_.broker(), *it, self_);
  subscriptions_.erase(it);
}

std::string InstanceHost::self_address() { return rec_.address; }

void InstanceHost::log(abi::LogLevel level, std::string_view text) {
  if (core_.options.on_log) core_.options.on_log(rec_.address, level, text);
}

std::uint64_t InstanceHost::now_unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::uint64_t InstanceHost::monotonic_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::uint64_t InstanceHost::set_timer(std::uint32_t delay_ms, Payload payload) {
  const std::uint64_t id = next_timer_++;
  timers_[id] = system_.send_after(self_, std::chrono::milliseconds(delay_ms), TimerFired{epoch_, id, copy(payload)});
  return id;
}

bool InstanceHost::cancel_timer(std::uint64_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return false;
  const bool was = system_.cancel_timer(it->second);
  timers_.erase(it);
  return was;
}

abi::Bytes InstanceHost::random_bytes(std::uint32_t len) {
  abi::Bytes out(len);
  std::size_t got = 0;
  while (got < len) {
    const auto n = ::getrandom(out.data() + got, len - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  return out;
}

namespace {
abi::StorageError storage_error(const Error& e) {
  using K = abi::StorageError::Kind;
  switch (e.code) {
    case Errc::quota_exceeded:
      return {K::quota_exceeded, {}};
    case Errc::invalid_key:
      return {K::invalid_key, e.context};
    case Errc::denied:
      return {K::denied, e.context};
    default:
      return {K::io, e.message()};
  }
}
}  // namespace

std::optional<abi::StorageError> InstanceHost::storage_check(std::string_view action, std::string_view key) {
  std::string reason;
  if (!core_.store)
    reason = "the host has no storage configured";
  else if (auto c = rec_.grants.allows_storage(); !c)
    reason = std::move(c.reason);
  else
    return std::nullopt;
  core_.deny(rec_.address, action, key, reason);
  return abi::StorageError{abi::StorageError::Kind::denied, std::move(reason)};
}

tl::expected<std::optional<abi::Bytes>, abi::StorageError> InstanceHost::storage_get(std::string_view key) {
  if (auto d = storage_check("storage.get", key)) return tl::unexpected(*d);
  auto r = core_.store->get(rec_.address, key);
  if (!r) return tl::unexpected(storage_error(r.error()));
  return std::move(*r);
}

tl::expected<void, abi::StorageError> InstanceHost::storage_set(std::string_view key, Payload value) {
  if (auto d = storage_check("storage.set", key)) return tl::unexpected(*d);
  auto r = core_.store->set(rec_.address, key, value);
  if (!r) return tl::unexpected(storage_error(r.error()));
  return {};
}

tl::expected<bool, abi::StorageError> InstanceHost::storage_delete(std::string_view key) {
  if (auto d = storage_check("storage.delete", key)) return tl::unexpected(*d);
  auto r = core_.store->erase(rec_.address, key);
  if (!r) return tl::unexpected(storage_error(r.error()));
  return *r;
}

tl::expected<std::vector<std::string>, abi::StorageError> InstanceHost::storage_list_keys(std::string_view prefix,
                                                                                          std::uint32_t limit) {
  if (auto d = storage_check("storage.list-keys", prefix)) return tl::unexpected(*d);
  auto r = core_.store->list_keys(rec_.address, prefix, limit);
  if (!r) return tl::unexpected(storage_error(r.error()));
  return std::move(*r);
}

tl::expected<abi::Usage, abi::StorageError> InstanceHost::storage_usage() {
  if (auto d = storage_check("storage.usage", "")) return tl::unexpected(*d);
  auto r = core_.store->usage(rec_.address);
  if (!r) return tl::unexpected(storage_error(r.error()));
  return abi::Usage{r->bytes, r->keys, r->quota_bytes};
}

}  // namespace airssys::wasm
