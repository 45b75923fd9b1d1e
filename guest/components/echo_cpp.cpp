// echo in C++ through guest.hpp: answers with the payload; "whoami" answers with its address.
#include <airssys/guest.hpp>

namespace g = airssys::guest;

struct Echo {
  int messages = 0;
  Echo() : messages(0) {}  // a real static constructor: proves the SDK runs them once

  void handle_message(const as_message& msg, as_reply& reply) {
    ++messages;
    if (g::Str(as_str{reinterpret_cast<const char*>(msg.payload.ptr), msg.payload.len}) == "whoami") {
      g::String self = g::self_address();
      g::reply(reply, self.view());
      return;
    }
    g::reply(reply, msg.payload);
  }
  as_health_status health() { return messages > 1000000 ? AS_DEGRADED : AS_HEALTHY; }
};

AIRSSYS_COMPONENT(Echo)
