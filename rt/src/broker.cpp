#include <airssys/rt/broker.hpp>
#include <airssys/rt/pattern.hpp>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cell.hpp"

namespace airssys::rt {
namespace {
bool has_wildcard(std::string_view p) noexcept {
  return p.find('*') != std::string_view::npos || p.find('#') != std::string_view::npos;
}
}  // namespace

std::vector<std::string_view> pattern::split(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const std::size_t end = std::min(s.find_first_of(separators, start), s.size());
    out.push_back(s.substr(start, end - start));
    if (end == s.size()) return out;
    start = end + 1;
  }
}

bool pattern::valid(const std::vector<std::string_view>& segs) noexcept {
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const auto s = segs[i];
    if (s.empty()) return false;
    if (s.find('#') != std::string_view::npos && (s != "#" || i + 1 != segs.size())) return false;
    if (s.find('*') != std::string_view::npos && s != "*") return false;
  }
  return true;
}

bool MessageBroker::valid_pattern(std::string_view p) noexcept {
  return !p.empty() && pattern::valid(pattern::split(p));
}

bool MessageBroker::matches(std::string_view pattern, std::string_view topic) noexcept {
  std::size_t p = 0, t = 0;
  for (;;) {
    const std::size_t pe = std::min(pattern.find_first_of("./", p), pattern.size());
    const std::string_view ps = pattern.substr(p, pe - p);
    if (ps == "#") return true;  // any rest, including nothing
    if (t > topic.size()) return false;
    const std::size_t te = std::min(topic.find_first_of("./", t), topic.size());
    const std::string_view ts = topic.substr(t, te - t);
    if (ps != "*" && ps != ts) return false;
    const bool p_end = pe == pattern.size(), t_end = te == topic.size();
    if (p_end || t_end) {
      if (p_end && t_end) return true;
      // "a.#" also matches "a": the pattern may continue with a lone '#'.
      return t_end && pattern.substr(pe + 1) == "#";
    }
    p = pe + 1;
    t = te + 1;
  }
}

struct MessageBroker::Impl {
  struct Sub {
    std::string pattern;
    ActorRef subscriber;
  };
  // Copy-on-write snapshot: publishers read without holding the lock while delivering.
  struct Table {
    std::unordered_map<std::string, std::vector<ActorRef>> exact;
    std::vector<Sub> wildcard;
    std::size_t count = 0;
  };
  mutable std::mutex mutex;
  std::shared_ptr<const Table> table = std::make_shared<Table>();
  std::unordered_map<const void*, std::size_t> per_subscriber;  // subscriptions per actor

  std::shared_ptr<const Table> snapshot() const {
    std::lock_guard lock(mutex);
    return table;
  }
};

MessageBroker::MessageBroker() : impl_(std::make_unique<Impl>()) {}
MessageBroker::~MessageBroker() = default;

Result<void> MessageBroker::subscribe(std::string_view pattern, const ActorRef& subscriber) {
  if (!valid_pattern(pattern)) return fail(Errc::invalid_argument, "bad topic pattern '" + std::string(pattern) + "'");
  if (!subscriber) return fail(Errc::invalid_argument, "empty subscriber");
  subscriber.cell()->ever_subscribed.store(true, std::memory_order_release);
  std::lock_guard lock(impl_->mutex);
  auto next = std::make_shared<Impl::Table>(*impl_->table);
  if (has_wildcard(pattern)) {
    for (auto& s : next->wildcard)
      if (s.pattern == pattern && s.subscriber == subscriber) return {};
    next->wildcard.push_back({std::string(pattern), subscriber});
  } else {
    auto& v = next->exact[std::string(pattern)];
    if (std::find(v.begin(), v.end(), subscriber) != v.end()) return {};
    v.push_back(subscriber);
  }
  ++next->count;
  ++impl_->per_subscriber[subscriber.cell()];
  impl_->table = std::move(next);
  return {};
}

bool MessageBroker::unsubscribe(std::string_view pattern, const ActorRef& subscriber) {
  std::shared_ptr<const Impl::Table> old;  // released outside the lock
  std::lock_guard lock(impl_->mutex);
  auto next = std::make_shared<Impl::Table>(*impl_->table);
  bool removed = false;
  if (has_wildcard(pattern)) {
    removed = std::erase_if(next->wildcard, [&](auto& s) { return s.pattern == pattern && s.subscriber == subscriber; }) > 0;
  } else if (auto it = next->exact.find(std::string(pattern)); it != next->exact.end()) {
    removed = std::erase(it->second, subscriber) > 0;
    if (it->second.empty()) next->exact.erase(it);
  }
  if (!removed) return false;
  --next->count;
  if (auto it = impl_->per_subscriber.find(subscriber.cell()); it != impl_->per_subscriber.end() && --it->second == 0)
    impl_->per_subscriber.erase(it);
  old = std::exchange(impl_->table, std::move(next));
  return true;
}

void MessageBroker::unsubscribe_all(const ActorRef& subscriber) {
  std::shared_ptr<const Impl::Table> old;
  std::lock_guard lock(impl_->mutex);
  // Every actor passes here when it stops: O(1) when it has no subscription.
  if (impl_->per_subscriber.erase(subscriber.cell()) == 0) return;
  auto next = std::make_shared<Impl::Table>(*impl_->table);
  std::size_t removed = std::erase_if(next->wildcard, [&](auto& s) { return s.subscriber == subscriber; });
  for (auto it = next->exact.begin(); it != next->exact.end();) {
    removed += std::erase(it->second, subscriber);
    it = it->second.empty() ? next->exact.erase(it) : std::next(it);
  }
  if (removed == 0) return;
  next->count -= removed;
  old = std::exchange(impl_->table, std::move(next));
}

std::size_t MessageBroker::subscriptions() const { return impl_->snapshot()->count; }

std::size_t MessageBroker::deliver(const std::string& topic, const std::function<void(std::size_t)>& reserve,
                                   const EnvelopeMaker& make) {
  auto table = impl_->snapshot();
  const std::vector<ActorRef>* exact = nullptr;
  if (auto it = table->exact.find(topic); it != table->exact.end()) exact = &it->second;
  thread_local std::vector<const ActorRef*> wild;  // reused: no allocation per publish
  wild.clear();
  for (auto& s : table->wildcard)
    if (matches(s.pattern, topic)) wild.push_back(&s.subscriber);
  reserve((exact ? exact->size() : 0) + wild.size());
  // Each subscriber gets one message: straight into its mailbox (the outbox pays off only for
  // runs to one target). What the publisher sent before goes first, to keep its order.
  detail::Cell::flush_outbox();
  std::size_t delivered = 0;
  auto send = [&](const ActorRef& to) {
    if (to.cell()->enqueue(make(), false)) ++delivered;  // a refused envelope drops its reference
  };
  if (exact)
    for (auto& s : *exact) send(s);
  for (auto* s : wild) send(*s);
  return delivered;
}

}  // namespace airssys::rt
