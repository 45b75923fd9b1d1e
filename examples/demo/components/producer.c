/* demo/producer: the source of work, driven by its own timer (services.set-timer).
 *
 * Every `interval_ms` (setting, default 100) it makes a "reading" (a made-up sensor value, from
 * a fixed pseudo-random sequence so every run looks the same) and
 *   1. asks demo/validator whether the value is plausible: messaging.request, so the answer
 *      arrives later, matched by its correlation id, in as_handle_response;
 *   2. publishes the accepted ones on topic "readings.valid" (pub/sub fan-out to the consumers);
 *   3. hands a job to demo/flaky (messaging.send, fire-and-forget).
 * It logs a progress line every `report_every` readings and a report at shutdown.
 *
 * Grants it needs (system.toml): request demo/validator, send demo/flaky, publish readings.*. */
#include <airssys/guest.h>

#include "demo_text.h"

static uint32_t interval_ms = 100;
static uint64_t report_every = 10;
static uint32_t seed = 2026;

static uint64_t made, asked, accepted, rejected, unanswered, published, jobs_sent, send_failed;
static uint64_t window_accepted, window_rejected;

static void arm(void) { as_set_timer(interval_ms, as_str_bytes(AS_LIT("tick"))); }

void as_init(const as_config *cfg, as_reply *reply) {
  (void)reply;
  as_str v;
  if (as_config_get(cfg, "interval_ms", &v) && as_dec_to_u64(v) > 0) interval_ms = (uint32_t)as_dec_to_u64(v);
  if (as_config_get(cfg, "report_every", &v) && as_dec_to_u64(v) > 0) report_every = as_dec_to_u64(v);
  if (as_config_get(cfg, "seed", &v)) seed = (uint32_t)as_dec_to_u64(v);
  arm();
}

/* A reading between 0 and 119; the validator accepts 0..99. */
static uint64_t next_value(void) {
  seed = seed * 1103515245u + 12345u;
  return (seed >> 16) % 120;
}

static void tick(void) {
  uint64_t seq = ++made;
  uint64_t value = next_value();
  text t = {0};
  t_u64(&t, seq);
  t_str(&t, " ");
  t_u64(&t, value);

  uint64_t id = 0;
  as_send_error err;
  if (as_request(AS_LIT("demo/validator"), as_str_bytes(t_view(&t)), 500, &id, &err)) {
    ++asked;
  } else {
    ++unanswered;
    as_send_error_free(&err);
  }
  text job = {0};
  t_str(&job, "job ");
  t_u64(&job, seq);
  if (as_send(AS_LIT("demo/flaky"), as_str_bytes(t_view(&job)), 0, &err)) {
    ++jobs_sent;
  } else {
    ++send_failed;
    as_send_error_free(&err);
  }
  arm();
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  (void)reply;
  if (msg->has_codec && as_str_eq(msg->codec, "airssys/timer")) tick();
}

static void progress(void) {
  text t = {0};
  t_u64(&t, made);
  t_str(&t, " readings so far; the last ");
  t_u64(&t, window_accepted + window_rejected);
  t_str(&t, ": ");
  t_u64(&t, window_accepted);
  t_str(&t, " accepted by demo/validator and published, ");
  t_u64(&t, window_rejected);
  t_str(&t, " rejected");
  t_log(AS_LOG_INFO, &t);
  window_accepted = window_rejected = 0;
}

/* The validator's answer: "accept <seq> <value>" or "reject <seq> <value> <why>". */
void as_handle_response(const as_response *resp) {
  if (!resp->ok) {
    ++unanswered;
    text t = {0};
    t_str(&t, "request ");
    t_u64(&t, resp->correlation);
    t_str(&t, " to demo/validator failed: ");
    t_as(&t, resp->error_text);
    t_log(AS_LOG_WARN, &t);
    return;
  }
  as_str rest;
  as_str verdict = next_word((as_str){(const char *)resp->payload.ptr, resp->payload.len}, &rest);
  if (as_str_eq(verdict, "accept")) {
    ++accepted;
    ++window_accepted;
    as_send_error err;
    if (as_publish(AS_LIT("readings.valid"), as_str_bytes(rest), &err))
      ++published;
    else
      as_send_error_free(&err);
  } else {
    ++rejected;
    ++window_rejected;
  }
  if ((accepted + rejected) % report_every == 0) progress();
}

void as_shutdown(void) {
  text t = {0};
  t_str(&t, "report: made ");
  t_u64(&t, made);
  t_str(&t, " readings on a timer; demo/validator answered ");
  t_u64(&t, accepted + rejected);
  t_str(&t, " requests (");
  t_u64(&t, accepted);
  t_str(&t, " accepted, ");
  t_u64(&t, rejected);
  t_str(&t, " rejected), ");
  t_u64(&t, unanswered);
  t_str(&t, " failed; published ");
  t_u64(&t, published);
  t_str(&t, " on readings.valid; sent ");
  t_u64(&t, jobs_sent);
  t_str(&t, " jobs to demo/flaky");
  t_log(AS_LOG_INFO, &t);
}
