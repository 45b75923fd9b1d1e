/* demo/aggregator: a pub/sub consumer that keeps a running aggregate in storage.
 *
 * At init it subscribes to `topic` (setting, default "readings.valid") and loads the aggregate
 * stored by earlier runs (key "aggregate" in its private namespace: count, sum, min, max), so
 * the numbers keep growing across runs that use the same data directory. Every reading updates
 * it and writes it back (storage.set, within the quota the manifest grants). It logs the
 * aggregate every `report_every` readings and a report at shutdown.
 *
 * Grants it needs: subscribe readings.*, storage (with a quota). */
#include <airssys/guest.h>

#include "demo_text.h"

static uint64_t report_every = 20;
static uint64_t count, sum, min = ~0ull, max, this_run, store_errors, loaded_count;

static as_str key(void) { return AS_LIT("aggregate"); }

/* Stored as text: "<count> <sum> <min> <max>". */
static void load(void) {
  bool found = false;
  as_buf value;
  if (!as_storage_get(key(), &found, &value, 0) || !found) return;
  as_str rest = {(const char *)value.ptr, value.len};
  count = as_dec_to_u64(next_word(rest, &rest));
  sum = as_dec_to_u64(next_word(rest, &rest));
  min = as_dec_to_u64(next_word(rest, &rest));
  max = as_dec_to_u64(next_word(rest, &rest));
  loaded_count = count;
  as_buf_free(&value);
}

static void store(void) {
  text t = {0};
  t_u64(&t, count);
  t_str(&t, " ");
  t_u64(&t, sum);
  t_str(&t, " ");
  t_u64(&t, min);
  t_str(&t, " ");
  t_u64(&t, max);
  as_storage_error err;
  if (!as_storage_set(key(), as_str_bytes(t_view(&t)), &err)) {
    if (++store_errors == 1) {
      text e = {0};
      t_str(&e, "could not store the aggregate: ");
      t_str(&e, err.kind == AS_STORAGE_QUOTA_EXCEEDED ? "quota exceeded" : "storage error ");
      t_as(&e, (as_str){err.text.ptr, err.text.len});
      t_log(AS_LOG_WARN, &e);
    }
    as_storage_error_free(&err);
  }
}

/* "count 120, mean 49.3, min 0, max 99" */
static void describe(text *t) {
  t_str(t, "count ");
  t_u64(t, count);
  t_str(t, ", mean ");
  t_tenths(t, count ? sum * 10 / count : 0);
  t_str(t, ", min ");
  t_u64(t, count ? min : 0);
  t_str(t, ", max ");
  t_u64(t, max);
}

void as_init(const as_config *cfg, as_reply *reply) {
  as_str v;
  if (as_config_get(cfg, "report_every", &v) && as_dec_to_u64(v) > 0) report_every = as_dec_to_u64(v);
  as_str topic = AS_LIT("readings.valid");
  as_config_get(cfg, "topic", &topic);
  if (!as_subscribe(topic, 0)) {
    as_fail(reply, "aggregator: subscribe refused");
    return;
  }
  load();
  if (loaded_count) {
    text t = {0};
    t_str(&t, "loaded the aggregate stored by earlier runs: ");
    describe(&t);
    t_log(AS_LOG_INFO, &t);
  }
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  (void)reply;
  if (!msg->has_topic) return;
  /* payload: "<seq> <value>" */
  as_str rest;
  next_word((as_str){(const char *)msg->payload.ptr, msg->payload.len}, &rest);
  uint64_t value = as_dec_to_u64(rest);
  ++count;
  ++this_run;
  sum += value;
  if (value < min) min = value;
  if (value > max) max = value;
  store();
  if (this_run % report_every == 0) {
    text t = {0};
    t_str(&t, "aggregate stored: ");
    describe(&t);
    t_log(AS_LOG_INFO, &t);
  }
}

void as_shutdown(void) {
  as_usage u = {0, 0, 0};
  as_storage_usage(&u, 0);
  text t = {0};
  t_str(&t, "report: aggregated ");
  t_u64(&t, this_run);
  t_str(&t, " readings this run; stored aggregate: ");
  describe(&t);
  t_str(&t, " (storage ");
  t_u64(&t, u.bytes);
  t_str(&t, " of ");
  t_u64(&t, u.quota_bytes);
  t_str(&t, " bytes quota");
  if (store_errors) {
    t_str(&t, ", ");
    t_u64(&t, store_errors);
    t_str(&t, " writes failed");
  }
  t_str(&t, ")");
  t_log(AS_LOG_INFO, &t);
}
