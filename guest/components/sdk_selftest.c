/* sdk_selftest: checks the SDK's own runtime from inside wasm (the host test asks for each
 * check by name and expects "ok"). Covers the allocator, memmove, and the text helpers. */
#include <airssys/guest.h>

static uint32_t rng = 12345;
static uint32_t next_random(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 8;
}

/* Many live blocks of random sizes, each filled with a pattern; freed in random order and
 * re-allocated. Any overlap between live blocks corrupts a pattern. */
static const char *check_alloc(void) {
  enum { N = 200 };
  static uint8_t *blocks[N];
  static size_t sizes[N];
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < N; ++i) {
      if (blocks[i] && (next_random() & 1)) {
        for (size_t k = 0; k < sizes[i]; ++k)
          if (blocks[i][k] != (uint8_t)(i + k)) return "pattern corrupted";
        as_free(blocks[i]);
        blocks[i] = 0;
      }
      if (!blocks[i]) {
        sizes[i] = next_random() % 1000 + (i % 50 == 0 ? 20000 : 0); /* a few large blocks */
        blocks[i] = (uint8_t *)as_malloc(sizes[i]);
        if (!blocks[i]) return "malloc failed";
        if (((uintptr_t)blocks[i] & 7) != 0) return "not 8-aligned";
        for (size_t k = 0; k < sizes[i]; ++k) blocks[i][k] = (uint8_t)(i + k);
      }
    }
  }
  for (int i = 0; i < N; ++i) {
    as_free(blocks[i]);
    blocks[i] = 0;
  }
  return 0;
}

static const char *check_realloc(void) {
  uint8_t *p = (uint8_t *)as_malloc(10);
  for (int i = 0; i < 10; ++i) p[i] = (uint8_t)i;
  for (size_t size = 20; size < 100000; size *= 3) {
    p = (uint8_t *)as_realloc(p, size);
    if (!p) return "realloc failed";
    for (int i = 0; i < 10; ++i)
      if (p[i] != i) return "realloc lost data";
  }
  as_free(p);
  return 0;
}

static const char *check_memmove(void) {
  char buf[32] = "abcdefghijklmnopqrstuvwxyz";
  memmove(buf + 2, buf, 10); /* overlapping, forwards */
  if (memcmp(buf, "ababcdefghijmnop", 16) != 0) return "memmove forward";
  memmove(buf, buf + 2, 10); /* overlapping, backwards */
  if (memcmp(buf, "abcdefghijijmnop", 16) != 0) return "memmove backward";
  memset(buf, 'z', 4);
  if (memcmp(buf, "zzzz", 4) != 0 || memcmp("a", "b", 1) >= 0) return "memset/memcmp";
  return 0;
}

static const char *check_text(void) {
  char buf[24];
  uint64_t values[] = {0, 7, 10, 12345678901234567890ull, 18446744073709551615ull};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; ++i) {
    size_t n = as_u64_to_dec(values[i], buf);
    if (as_dec_to_u64((as_str){buf, n}) != values[i]) return "decimal round trip";
  }
  if (!as_str_eq(AS_LIT("abc"), "abc") || as_str_eq(AS_LIT("abc"), "abd") || !as_str_starts_with(AS_LIT("abc"), "ab"))
    return "string helpers";
  return 0;
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str name = {(const char *)msg->payload.ptr, msg->payload.len};
  if (as_str_eq(name, "clear")) { /* answered, then changed its mind: ok(none) */
    as_reply_str(reply, AS_LIT("not this"));
    as_reply_clear(reply);
    return;
  }
  const char *failure = "unknown check";
  if (as_str_eq(name, "alloc")) failure = check_alloc();
  else if (as_str_eq(name, "realloc")) failure = check_realloc();
  else if (as_str_eq(name, "memmove")) failure = check_memmove();
  else if (as_str_eq(name, "text")) failure = check_text();
  if (failure) as_fail(reply, failure);
  else as_reply_str(reply, AS_LIT("ok"));
}
