// ActorSystem's internals, shared by the cell, supervisor and system sources.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <airssys/rt/system.hpp>

#include "deadline_queue.hpp"
#include "live_set.hpp"
#include "scheduler.hpp"

namespace airssys::rt {
namespace detail {
struct SupervisorState;
}

struct ActorSystem::Impl {
  explicit Impl(ActorSystem& owner, SystemOptions o);
  ~Impl();

  Result<ActorRef> spawn_cell(ActorFactory factory, const SpawnOptions& o, detail::Cell* parent);
  void cell_stopped(detail::Cell& c);
  void dead_letter(detail::Cell& c, TypeId type);

  ActorSystem& owner;
  SystemOptions options;
  asio::io_context io;  // layer 0: timers, deadlines
  asio::executor_work_guard<asio::io_context::executor_type> io_work;
  std::thread io_thread;
  detail::Scheduler scheduler;
  detail::DeadlineQueue deadlines;
  ActorRegistry registry;
  MessageBroker broker;

  std::atomic<std::uint64_t> next_id{1};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> spawned{0};

  detail::LiveSet live;  // holds a reference to each member
  std::atomic<std::uint64_t> dead_letters{0};

  std::function<void(const DeadLetter&)> dead_letter_fn;

  std::mutex supervisors_mutex;  // supervisor id -> its children, for child()/children()/start_child()
  std::unordered_map<std::uint64_t, std::weak_ptr<detail::SupervisorState>> supervisors;
  std::shared_ptr<detail::SupervisorState> supervisor_state(const ActorRef& sup);

  struct Timer {
    asio::steady_timer timer;
    std::atomic<bool> cancelled{false};
    explicit Timer(asio::io_context& io) : timer(io) {}
  };
  std::mutex timers_mutex;
  std::unordered_map<TimerId, std::shared_ptr<Timer>> timers;
  std::atomic<TimerId> next_timer{1};
};

}  // namespace airssys::rt
