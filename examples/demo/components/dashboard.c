/* demo/dashboard: the second pub/sub consumer. It subscribes to `topics` (setting, default
 * "readings.*"), keeps the latest/min/max in memory, and raises an alert for every reading at or
 * above `alert_above` (default 95) by publishing it on "alerts.high".
 *
 * The manifest on purpose grants it only `subscribe`: each alert is DENIED by the host (the
 * call returns denied(reason), the component keeps running) and the decision is written to the
 * audit log as a JSON line. `airssys check` warns about it beforehand. */
#include <airssys/guest.h>

#include "demo_text.h"

static uint64_t alert_above = 95;
static uint64_t seen, last, min = ~0ull, max, alerts, denied;

void as_init(const as_config *cfg, as_reply *reply) {
  as_str v;
  if (as_config_get(cfg, "alert_above", &v)) alert_above = as_dec_to_u64(v);
  as_str topics = AS_LIT("readings.*");
  as_config_get(cfg, "topics", &topics);
  if (!as_subscribe(topics, 0)) as_fail(reply, "dashboard: subscribe refused");
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  (void)reply;
  if (!msg->has_topic) return;
  as_str rest;
  as_str seq = next_word((as_str){(const char *)msg->payload.ptr, msg->payload.len}, &rest);
  uint64_t value = as_dec_to_u64(rest);
  ++seen;
  last = value;
  if (value < min) min = value;
  if (value > max) max = value;
  if (value < alert_above) return;

  ++alerts;
  text alert = {0};
  t_str(&alert, "reading ");
  t_as(&alert, seq);
  t_str(&alert, " is high: ");
  t_u64(&alert, value);
  as_send_error err;
  if (as_publish(AS_LIT("alerts.high"), as_str_bytes(t_view(&alert)), &err)) return;
  ++denied;
  text t = {0};
  t_str(&t, "alert for reading ");
  t_as(&t, seq);
  t_str(&t, " (value ");
  t_u64(&t, value);
  t_str(&t, ") not published: ");
  t_str(&t, err.kind == AS_SEND_DENIED ? "denied: " : "failed: ");
  t_as(&t, (as_str){err.text.ptr, err.text.len});
  t_log(AS_LOG_WARN, &t);
  as_send_error_free(&err);
}

void as_shutdown(void) {
  text t = {0};
  t_str(&t, "report: saw ");
  t_u64(&t, seen);
  t_str(&t, " readings (last ");
  t_u64(&t, last);
  t_str(&t, ", min ");
  t_u64(&t, seen ? min : 0);
  t_str(&t, ", max ");
  t_u64(&t, max);
  t_str(&t, "); raised ");
  t_u64(&t, alerts);
  t_str(&t, " alerts, ");
  t_u64(&t, denied);
  t_str(&t, " of them denied: no publish grant for alerts.high (see the audit log)");
  t_log(AS_LOG_INFO, &t);
}
