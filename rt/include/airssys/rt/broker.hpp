// Topic pub/sub between actors. Topics are segments separated by '.' or '/'; a subscription may
// use '*' for exactly one segment and a trailing '#' for any rest (zero or more segments).
// Delivery goes through each subscriber's mailbox as a Publication; the order of one
// publisher's publications on one topic is kept.
// Thread-safety: all members are safe from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <airssys/error.hpp>
#include <airssys/rt/actor.hpp>

namespace airssys::rt {

/// What a subscriber receives: the topic and a shared, immutable value.
template <class T>
class Publication {
 public:
  struct Data {
    std::string topic;
    T value;
  };
  explicit Publication(std::shared_ptr<const Data> d) noexcept : data_(std::move(d)) {}
  const std::string& topic() const noexcept { return data_->topic; }
  const T& value() const noexcept { return data_->value; }

 private:
  std::shared_ptr<const Data> data_;  // one shared block per publish, not per delivery
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
    auto data = std::make_shared<const typename P::Data>(typename P::Data{std::string(topic), std::forward<T>(value)});
    return deliver(data->topic, [&data] { return make_envelope(P(data)); });
  }

  /// True if `topic` matches `pattern`.
  static bool matches(std::string_view pattern, std::string_view topic) noexcept;
  static bool valid_pattern(std::string_view pattern) noexcept;
  std::size_t subscriptions() const;

 private:
  using EnvelopeMaker = std::function<std::unique_ptr<Envelope>()>;
  std::size_t deliver(const std::string& topic, const EnvelopeMaker& make);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace airssys::rt
