/* demo/flaky: a worker with a (simulated) bug. It takes jobs from demo/producer and, after a
 * random number of them (between `min_jobs` and `max_jobs`, settings, default 6..16), traps:
 * a WebAssembly `unreachable`, like a crash in native code. Only this component fails; its
 * supervisor (system.toml: [supervisor.workers]) restarts it with a fresh instance, and the
 * jobs queued meanwhile are handled by the new one. The summary counts the restarts.
 *
 * Grants it needs: none. */
#include <airssys/guest.h>

#include "demo_text.h"

static uint64_t done, crash_after;

void as_init(const as_config *cfg, as_reply *reply) {
  (void)reply;
  uint64_t lo = 6, hi = 16;
  as_str v;
  if (as_config_get(cfg, "min_jobs", &v)) lo = as_dec_to_u64(v);
  if (as_config_get(cfg, "max_jobs", &v)) hi = as_dec_to_u64(v);
  if (hi < lo) hi = lo;
  as_buf r = as_random_bytes(1);
  crash_after = lo + (r.len ? r.ptr[0] : 0) % (hi - lo + 1);
  as_buf_free(&r);
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  (void)reply;
  as_str payload = {(const char *)msg->payload.ptr, msg->payload.len};
  if (!as_str_starts_with(payload, "job ")) return;
  if (++done == crash_after) {
    text t = {0};
    t_str(&t, "crashing on ");
    t_as(&t, payload);
    t_str(&t, " after ");
    t_u64(&t, done - 1);
    t_str(&t, " jobs (a simulated bug: the guest traps)");
    t_log(AS_LOG_WARN, &t);
    __builtin_trap();
  }
}

void as_shutdown(void) {
  text t = {0};
  t_str(&t, "report: this instance did ");
  t_u64(&t, done);
  t_str(&t, " jobs since its last restart");
  t_log(AS_LOG_INFO, &t);
}
