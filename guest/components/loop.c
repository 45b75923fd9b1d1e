/* loop: spins forever on any message. Only fuel or a deadline stops it. */
#include <airssys/guest.h>

static volatile uint64_t spins; /* volatile: the loop must not be optimised away */

void as_handle_message(const as_message *msg, as_reply *reply) {
  (void)msg, (void)reply;
  for (;;) ++spins;
}
