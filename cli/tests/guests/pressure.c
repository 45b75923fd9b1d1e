/* pressure (cli tests): keeps `inflight` requests (default 20) to `target` pending at all times:
 * init sends them, and each response sends the next one, so a shutdown always finds requests in
 * flight. The payload of each request is the `work` setting (default "5"). It logs once a second
 * the number of answers and errors it got. */
#include <airssys/guest.h>

static as_str target = AS_LIT("t/slow");
static as_str work = AS_LIT("5");
static uint64_t answers, errors, last_report;

static as_str copy(as_str s) {
  char *p = (char *)as_malloc(s.len ? s.len : 1);
  memcpy(p, s.ptr, s.len);
  return (as_str){p, s.len};
}

static void next(void) {
  uint64_t id;
  as_send_error err;
  if (!as_request(target, as_str_bytes(work), 10000, &id, &err)) {
    ++errors;
    as_send_error_free(&err);
  }
}

void as_init(const as_config *cfg, as_reply *reply) {
  (void)reply;
  as_str v;
  uint64_t inflight = 20;
  if (as_config_get(cfg, "inflight", &v)) inflight = as_dec_to_u64(v);
  /* Copies: the config is borrowed for the duration of init. */
  if (as_config_get(cfg, "target", &v)) target = copy(v);
  if (as_config_get(cfg, "work", &v)) work = copy(v);
  for (uint64_t i = 0; i < inflight; ++i) next();
}

void as_handle_response(const as_response *resp) {
  if (resp->ok)
    ++answers;
  else
    ++errors;
  uint64_t now = as_monotonic_ns() / 1000000000u;
  if (now != last_report) {
    last_report = now;
    char buf[64];
    size_t n = 0;
    n += as_u64_to_dec(answers, buf + n);
    memcpy(buf + n, " answers, ", 10);
    n += 10;
    n += as_u64_to_dec(errors, buf + n);
    memcpy(buf + n, " errors", 7);
    n += 7;
    as_log(AS_LOG_INFO, (as_str){buf, n});
  }
  next();
}

void as_handle_message(const as_message *msg, as_reply *reply) { (void)msg, (void)reply; }
