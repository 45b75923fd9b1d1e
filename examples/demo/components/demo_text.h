/* A tiny text builder shared by the demo components (guests have no printf). */
#ifndef DEMO_TEXT_H
#define DEMO_TEXT_H

#include <airssys/guest.h>

typedef struct text {
  char buf[320];
  size_t len;
} text;

static inline void t_str(text *t, const char *s) {
  while (*s && t->len < sizeof t->buf) t->buf[t->len++] = *s++;
}
static inline void t_as(text *t, as_str s) {
  for (size_t i = 0; i < s.len && t->len < sizeof t->buf; ++i) t->buf[t->len++] = s.ptr[i];
}
static inline void t_u64(text *t, uint64_t v) {
  char d[24];
  size_t n = as_u64_to_dec(v, d);
  for (size_t i = 0; i < n && t->len < sizeof t->buf; ++i) t->buf[t->len++] = d[i];
}
/* v / 10 with one decimal: t_tenths(t, 493) -> "49.3". */
static inline void t_tenths(text *t, uint64_t v) {
  t_u64(t, v / 10);
  t_str(t, ".");
  t_u64(t, v % 10);
}
static inline as_str t_view(const text *t) { return (as_str){t->buf, t->len}; }
static inline void t_log(as_log_level level, const text *t) { as_log(level, t_view(t)); }

/* Splits "word rest" at the first space: returns the word, sets *rest to what follows. */
static inline as_str next_word(as_str s, as_str *rest) {
  size_t i = 0;
  while (i < s.len && s.ptr[i] != ' ') ++i;
  as_str word = {s.ptr, i};
  *rest = i < s.len ? (as_str){s.ptr + i + 1, s.len - i - 1} : (as_str){s.ptr + s.len, 0};
  return word;
}

#endif
