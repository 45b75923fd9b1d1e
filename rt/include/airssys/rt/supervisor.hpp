// Supervision trees: a supervisor starts its children, watches them, and restarts them per
// strategy, restart policy, intensity and backoff. Supervisors nest.
//
//   SupervisorSpec spec;
//   spec.strategy = Strategy::one_for_one;
//   spec.children.push_back(ChildSpec::worker("db", [] { return std::make_unique<Db>(); }));
//   auto sup = system.spawn_supervisor(std::move(spec)).value();
//   ActorRef db = system.child(sup, "db");   // stable across restarts
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <airssys/rt/actor.hpp>
#include <airssys/rt/mailbox.hpp>

namespace airssys::rt {

enum class Strategy : unsigned char {
  one_for_one,   ///< restart only the failed child
  one_for_all,   ///< restart every child
  rest_for_one,  ///< restart the failed child and those started after it
};

enum class RestartPolicy : unsigned char {
  permanent,  ///< always restarted (failure or normal exit)
  transient,  ///< restarted only after a failure
  temporary,  ///< never restarted
};

struct Backoff {
  std::chrono::milliseconds initial{0};  ///< delay before the first restart of a failing child
  std::chrono::milliseconds max{5000};
  double multiplier = 2.0;               ///< per consecutive restart of the same child
};

struct HealthCheck {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{500};
  unsigned failures_to_restart = 3;  ///< consecutive failed or unanswered probes
};

using ActorFactory = std::function<std::unique_ptr<Actor>()>;

struct SupervisorSpec;

struct ChildSpec {
  std::string name;
  ActorFactory factory;                       ///< a worker child, or
  std::shared_ptr<SupervisorSpec> supervisor;  ///< a nested supervisor
  RestartPolicy restart = RestartPolicy::permanent;
  MailboxOptions mailbox;
  std::optional<HealthCheck> health;
  bool register_name = false;  ///< also register `name` in the system's ActorRegistry

  static ChildSpec worker(std::string name, ActorFactory f, RestartPolicy p = RestartPolicy::permanent) {
    ChildSpec c;
    c.name = std::move(name);
    c.factory = std::move(f);
    c.restart = p;
    return c;
  }
  static ChildSpec nested(std::string name, SupervisorSpec spec, RestartPolicy p = RestartPolicy::permanent);
};

struct SupervisorSpec {
  Strategy strategy = Strategy::one_for_one;
  unsigned max_restarts = 3;                 ///< restart intensity: at most this many ...
  std::chrono::milliseconds within{5000};    ///< ... in this window, else the supervisor fails
  Backoff backoff;
  std::vector<ChildSpec> children;
};

inline ChildSpec ChildSpec::nested(std::string name, SupervisorSpec spec, RestartPolicy p) {
  ChildSpec c;
  c.name = std::move(name);
  c.supervisor = std::make_shared<SupervisorSpec>(std::move(spec));
  c.restart = p;
  return c;
}

}  // namespace airssys::rt
