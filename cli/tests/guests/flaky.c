/* flaky (cli tests): drives itself with a timer every `period_ms` (default 20) and traps on tick
 * number `trap_at` (0: never) of each incarnation, so `airssys run` sees failures and restarts
 * without any outside traffic. A message answers the number of ticks of this incarnation. */
#include <airssys/guest.h>

static uint64_t ticks;
static uint64_t trap_at;
static uint32_t period = 20;

static void arm(void) { as_set_timer(period, as_str_bytes(AS_LIT("tick"))); }

void as_init(const as_config *cfg, as_reply *reply) {
  (void)reply;
  as_str v;
  if (as_config_get(cfg, "trap_at", &v)) trap_at = as_dec_to_u64(v);
  if (as_config_get(cfg, "period_ms", &v)) period = (uint32_t)as_dec_to_u64(v);
  arm();
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  if (msg->has_codec && as_str_eq(msg->codec, "airssys/timer")) {
    ++ticks;
    if (trap_at && ticks == trap_at) __builtin_trap();
    arm();
    return;
  }
  char buf[24];
  as_reply_bytes(reply, buf, as_u64_to_dec(ticks, buf));
}
