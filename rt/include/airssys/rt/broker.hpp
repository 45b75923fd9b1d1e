// Topic pub/sub between actors. Topics are segments separated by '.' or '/'; a subscription may
// use '*' for exactly one segment and a trailing '#' for any rest (zero or more segments).
// Delivery goes through each subscriber's mailbox as a Publication; the order of one
// publisher's publications on one topic is kept.
// Thread-safety: all members are safe from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <airssys/error.hpp>
#include <airssys/rt/actor.hpp>

namespace airssys::rt {

/// What a subscriber receives: the topic and a shared, immutable value (one block per publish).
/// The publisher takes all the deliveries' references in one step, so subscribers on other cores
/// only ever decrement the count: no cache line bounces back and forth per delivery.
template <class T>
class Publication {
 public:
  struct Data {
    std::atomic<std::size_t> refs;
    std::string topic;
    T value;
  };
  Publication(const Publication& o) noexcept : d_(o.d_) { d_->refs.fetch_add(1, std::memory_order_relaxed); }
  Publication(Publication&& o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
  Publication& operator=(Publication o) noexcept {
    std::swap(d_, o.d_);
    return *this;
  }
  ~Publication() {
    if (d_ && d_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete d_;
  }
  const std::string& topic() const noexcept { return d_->topic; }
  const T& value() const noexcept { return d_->value; }

  /// Wraps `d` taking over one reference the caller already counted.
  static Publication adopt(Data* d) noexcept { return Publication(d); }

 private:
  explicit Publication(Data* d) noexcept : d_(d) {}
  Data* d_;
};

class MessageBroker {
 public:
  MessageBroker();
  ~MessageBroker();
  MessageBroker(const MessageBroker&) = delete;
  MessageBroker& operator=(const MessageBroker&) = delete;

  /// Errors: invalid_argument for a malformed pattern ('#' not last, empty segment).
  Result<void> subscribe(std::string_view pattern, const ActorRef& subscriber);
  bool unsubscribe(std::string_view pattern, const ActorRef& subscriber);
  /// Drops every subscription of an actor (done automatically when it stops).
  void unsubscribe_all(const ActorRef& subscriber);

  /// Delivers Publication<T> to every matching subscriber; returns how many got it.
  template <class T>
  std::size_t publish(std::string_view topic, T&& value) {
    using P = Publication<std::remove_cvref_t<T>>;
    auto* data = new typename P::Data{{1}, std::string(topic), std::forward<T>(value)};
    const auto n = deliver(
        data->topic, [data](std::size_t count) { data->refs.fetch_add(count, std::memory_order_relaxed); },
        [data] { return make_envelope(P::adopt(data)); });
    P::adopt(data);  // drops the publisher's own reference
    return n;
  }

  /// True if `topic` matches `pattern`.
  static bool matches(std::string_view pattern, std::string_view topic) noexcept;
  static bool valid_pattern(std::string_view pattern) noexcept;
  std::size_t subscriptions() const;

 private:
  using EnvelopeMaker = std::function<std::unique_ptr<Envelope>()>;
  /// Finds the subscribers, calls reserve(count) once, then make() per delivery.
  std::size_t deliver(const std::string& topic, const std::function<void(std::size_t)>& reserve,
                      const EnvelopeMaker& make);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace airssys::rt
