// Messages: any C++ value type, carried in a heap envelope, checked by type at dispatch.
// Thread-safety: an Envelope belongs to one mailbox at a time; ReplySlot is safe to resolve from
// any thread, exactly once.
#pragma once

#include <atomic>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include <airssys/error.hpp>
#include <airssys/rt/detail/envelope_pool.hpp>

namespace airssys::rt {

/// Identity of a message type without RTTI: the address of a per-type tag.
using TypeId = const void*;
namespace detail {
template <class T>
struct TypeTag {
  static constexpr char tag = 0;
};
}  // namespace detail
template <class T>
constexpr TypeId type_id() noexcept {
  return &detail::TypeTag<std::remove_cvref_t<T>>::tag;
}

/// Where the answer to a request goes. Resolved exactly once: the first `claim()` wins, every
/// later reply, timeout or error is dropped.
class ReplySlot {
 public:
  virtual ~ReplySlot() = default;
  /// True for exactly one caller; that caller must then call fulfil() or fail().
  bool claim() noexcept { return !done_.exchange(true, std::memory_order_acq_rel); }
  bool resolved() const noexcept { return done_.load(std::memory_order_acquire); }
  /// `value` points at an object of type `type`; the slot may move from it.
  virtual void fulfil(TypeId type, void* value) = 0;
  virtual void fail(Error error) = 0;

  /// claim() + fail() in one step; false if someone else resolved it first.
  bool try_fail(Error error) {
    if (!claim()) return false;
    fail(std::move(error));
    return true;
  }

 private:
  std::atomic<bool> done_{false};
};

/// A queued message. Intrusive `next` link for the lock-free mailbox.
struct Envelope {
  std::atomic<Envelope*> next{nullptr};
  TypeId type = nullptr;
  std::shared_ptr<ReplySlot> reply;  ///< set when the sender awaits an answer

  explicit Envelope(TypeId t) : type(t) {}
  virtual ~Envelope() = default;
  virtual void* data() noexcept = 0;

  // Envelopes are allocated on the sender's thread and freed on the receiver's: pooled.
  static void* operator new(std::size_t size) { return detail::pool_allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { detail::pool_deallocate(p, size); }
  static void* operator new(std::size_t size, std::align_val_t a) { return ::operator new(size, a); }
  static void operator delete(void* p, std::size_t, std::align_val_t a) noexcept { ::operator delete(p, a); }
};

template <class T>
struct TypedEnvelope final : Envelope {
  T value;
  template <class... Args>
  explicit TypedEnvelope(Args&&... args) : Envelope(type_id<T>()), value(std::forward<Args>(args)...) {}
  void* data() noexcept override { return &value; }
};

template <class T>
std::unique_ptr<Envelope> make_envelope(T&& value) {
  return std::make_unique<TypedEnvelope<std::remove_cvref_t<T>>>(std::forward<T>(value));
}

/// The handler's view of a message.
class Message {
 public:
  explicit Message(Envelope& e) noexcept : env_(&e) {}
  template <class T>
  bool is() const noexcept {
    return env_->type == type_id<T>();
  }
  /// Pointer to the value if it is a T, else nullptr.
  template <class T>
  T* get_if() noexcept {
    return is<T>() ? static_cast<T*>(env_->data()) : nullptr;
  }
  template <class T>
  T& get() noexcept {
    return *static_cast<T*>(env_->data());
  }
  bool is_request() const noexcept { return env_->reply != nullptr; }
  Envelope& envelope() noexcept { return *env_; }

 private:
  Envelope* env_;
};

}  // namespace airssys::rt
