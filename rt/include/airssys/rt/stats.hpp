// Introspection snapshots (plain values, read with relaxed atomics: exact once quiescent).
#pragma once

#include <cstdint>
#include <string>

namespace airssys::rt {

enum class ActorState : unsigned char { starting, running, suspended, stopping, stopped };

struct ActorStats {
  std::uint64_t id = 0;
  std::string name;
  ActorState state = ActorState::starting;
  std::uint64_t handled = 0;       ///< messages handled
  std::uint64_t mailbox_depth = 0;
  std::uint64_t dropped = 0;       ///< by the overflow policy (rejected, dropped newest or oldest)
  std::uint64_t restarts = 0;
  std::uint64_t failures = 0;
  std::uint64_t dead_letters = 0;  ///< messages that reached this actor after it stopped
};

struct SystemStats {
  std::uint64_t actors_alive = 0;
  std::uint64_t actors_spawned = 0;
  std::uint64_t handled = 0;
  std::uint64_t mailbox_depth = 0;
  std::uint64_t dropped = 0;
  std::uint64_t restarts = 0;
  std::uint64_t failures = 0;
  std::uint64_t dead_letters = 0;
};

}  // namespace airssys::rt
