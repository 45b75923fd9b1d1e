/* Pasted after the wasm2c output: the wasm-rt functions the generated code calls, per instance
 * and per thread (wabt's own wasm-rt-impl.c keeps one global jmp_buf and one global depth), and
 * the slow paths of the prelude's macros. Everything is hidden except the entry point. */
#include <stdarg.h>
#include <stdlib.h>

/* The innermost instance called on this thread: a host thread-local (see bind_host in abi.h). */
static airssys_aot_ctx** (*airssys_current)(void);
static void airssys_bind_host(airssys_aot_ctx** (*current)(void)) { airssys_current = current; }
#define airssys_cur (*airssys_current())

void wasm_rt_trap(wasm_rt_trap_t code) {
  if (!airssys_cur || !airssys_cur->jmp) abort(); /* never outside an airssys call */
  AIRSSYS_FUEL_SAVE(airssys_cur);
  longjmp(*(jmp_buf*)airssys_cur->jmp, (int)code);
}

__attribute__((noreturn)) static void airssys_stop(int code) {
  if (!airssys_cur || !airssys_cur->jmp) abort();
  AIRSSYS_FUEL_SAVE(airssys_cur);
  longjmp(*(jmp_buf*)airssys_cur->jmp, code);
}

static void airssys_exhausted(airssys_aot_ctx* c) {
  if (__atomic_load_n(&c->interrupt, __ATOMIC_RELAXED)) airssys_stop(AIRSSYS_AOT_INTERRUPTED);
  wasm_rt_trap((wasm_rt_trap_t)AIRSSYS_TRAP_NATIVE_STACK);
}
static void airssys_out_of_fuel(airssys_aot_ctx* c) { airssys_stop(AIRSSYS_AOT_FUEL); }
static void airssys_interrupted(airssys_aot_ctx* c) { airssys_stop(AIRSSYS_AOT_INTERRUPTED); }

static void airssys_import(airssys_aot_ctx* c, uint32_t index, const uint64_t* args, uint64_t* results) {
  AIRSSYS_FUEL_SAVE(c); /* the host may charge fuel or call back into the guest */
  int code = c->host_fns->call_import(c->host, index, args, results);
  AIRSSYS_FUEL_LOAD(c);
  if (code != 0) airssys_stop(AIRSSYS_AOT_STOP);
}

bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_init(void) {}
void wasm_rt_free(void) {}

/* Function types: registered once per shared object at load, before any instance exists. */
typedef struct {
  uint32_t nparams, nresults;
  wasm_rt_type_t types[];
} airssys_functype;
static airssys_functype** airssys_types;
static uint32_t airssys_ntypes;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  uint32_t n = params + results;
  airssys_functype* t = calloc(1, sizeof *t + (n ? n : 1) * sizeof(wasm_rt_type_t));
  if (!t) abort();
  t->nparams = params;
  t->nresults = results;
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < n; ++i) t->types[i] = (wasm_rt_type_t)va_arg(ap, int);
  va_end(ap);
  for (uint32_t i = 0; i < airssys_ntypes; ++i) {
    airssys_functype* o = airssys_types[i];
    if (o->nparams == params && o->nresults == results && !memcmp(o->types, t->types, n * sizeof(wasm_rt_type_t))) {
      free(t);
      return i + 1;
    }
  }
  airssys_functype** grown = realloc(airssys_types, (airssys_ntypes + 1) * sizeof *grown);
  if (!grown) abort();
  airssys_types = grown;
  airssys_types[airssys_ntypes++] = t;
  return airssys_ntypes;
}

/* The registry lives as long as the shared object: freed when it is unloaded. */
__attribute__((destructor)) static void airssys_free_types(void) {
  for (uint32_t i = 0; i < airssys_ntypes; ++i) free(airssys_types[i]);
  free(airssys_types);
  airssys_types = NULL;
  airssys_ntypes = 0;
}

#define AIRSSYS_PAGE 65536u

static uint32_t airssys_min(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t airssys_max(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* Memories live in ordinary heap blocks (explicit bounds checks in the generated code), so an
 * instance reserves only what it uses. The declared maximum is capped by the instance's limit. */
void wasm_rt_allocate_memory(wasm_rt_memory_t* mem, uint32_t initial, uint32_t max) {
  airssys_aot_ctx* c = airssys_cur;
  /* 65536 pages would overflow the 32-bit size field of wasm-rt 1.0.32. */
  uint32_t cap = airssys_min(c->mem_cap_pages, 65535u);
  mem->pages = initial;
  mem->size = initial * AIRSSYS_PAGE;
  mem->max_pages = airssys_max(airssys_min(max, cap), initial);
  mem->data = initial ? calloc(initial, AIRSSYS_PAGE) : NULL;
  if (initial && !mem->data) airssys_stop(AIRSSYS_AOT_OOM);
  if (c->nmem < AIRSSYS_AOT_MAX_MEMS) {
    c->mems[c->nmem] = mem;
    c->mem_declared_max[c->nmem] = max;
    c->nmem++;
  }
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* mem, uint32_t delta) {
  uint32_t old = mem->pages;
  uint64_t pages = (uint64_t)old + delta;
  if (pages > mem->max_pages) return UINT32_MAX;
  if (delta == 0) return old;
  uint8_t* data = realloc(mem->data, pages * AIRSSYS_PAGE);
  if (!data) return UINT32_MAX;
  memset(data + (uint64_t)old * AIRSSYS_PAGE, 0, (uint64_t)delta * AIRSSYS_PAGE);
  mem->data = data;
  mem->pages = (uint32_t)pages;
  mem->size = (uint32_t)(pages * AIRSSYS_PAGE);
  return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t* mem) {
  free(mem->data);
  mem->data = NULL;
}

#define AIRSSYS_TABLE_OPS(type)                                                                    \
  void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t* t, uint32_t n, uint32_t max) {    \
    airssys_aot_ctx* c = airssys_cur;                                                              \
    t->size = n;                                                                                   \
    t->max_size = airssys_max(airssys_min(max, c->table_cap), n);                                  \
    t->data = n ? calloc(n, sizeof(wasm_rt_##type##_t)) : NULL;                                    \
    if (n && !t->data) airssys_stop(AIRSSYS_AOT_OOM);                                              \
    if (c->ntab < AIRSSYS_AOT_MAX_TABLES) {                                                        \
      c->table_max[c->ntab] = &t->max_size;                                                        \
      c->table_declared_max[c->ntab] = max;                                                        \
      c->ntab++;                                                                                   \
    }                                                                                              \
  }                                                                                                \
  void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t* t) {                                  \
    free(t->data);                                                                                 \
    t->data = NULL;                                                                                \
  }                                                                                                \
  uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t* t, uint32_t delta,                \
                                       wasm_rt_##type##_t init) {                                  \
    uint32_t old = t->size;                                                                        \
    uint64_t n = (uint64_t)old + delta;                                                            \
    if (n > t->max_size) return UINT32_MAX;                                                        \
    if (delta == 0) return old;                                                                    \
    wasm_rt_##type##_t* data = realloc(t->data, n * sizeof *data);                                 \
    if (!data) return UINT32_MAX;                                                                  \
    for (uint64_t i = old; i < n; ++i) data[i] = init;                                             \
    t->data = data;                                                                                \
    t->size = (uint32_t)n;                                                                         \
    return old;                                                                                    \
  }
AIRSSYS_TABLE_OPS(funcref)
AIRSSYS_TABLE_OPS(externref)

const char* wasm_rt_strerror(wasm_rt_trap_t trap) { return "trap"; }

static void airssys_apply_caps(void* block) {
  airssys_aot_ctx* c = (airssys_aot_ctx*)block;
  for (uint32_t i = 0; i < c->nmem; ++i) {
    wasm_rt_memory_t* m = (wasm_rt_memory_t*)c->mems[i];
    m->max_pages = airssys_max(airssys_min(c->mem_declared_max[i], airssys_min(c->mem_cap_pages, 65535u)), m->pages);
  }
  for (uint32_t i = 0; i < c->ntab; ++i) {
    uint32_t* max = c->table_max[i];
    uint32_t size = max[1]; /* wasm_rt_*_table_t: data, max_size, size */
    *max = airssys_max(airssys_min(c->table_declared_max[i], c->table_cap), size);
  }
}

static uint8_t* airssys_memory0(void* block, uint64_t* size) {
  airssys_aot_ctx* c = (airssys_aot_ctx*)block;
  if (!c->nmem) {
    *size = 0;
    return NULL;
  }
  wasm_rt_memory_t* m = (wasm_rt_memory_t*)c->mems[0];
  *size = m->size;
  return m->data;
}

/* Runs fn(block, index, args, results) with a trap target; restores the caller's state after. */
typedef void (*airssys_body_fn)(void* block, uint32_t index, const uint64_t* args, uint64_t* results);
static int airssys_guarded(void* block, airssys_body_fn fn, uint32_t index, const uint64_t* args, uint64_t* results) {
  airssys_aot_ctx* c = (airssys_aot_ctx*)block;
  jmp_buf target;
  void* saved_jmp = c->jmp;
  airssys_aot_ctx* saved_cur = airssys_cur;
  c->jmp = &target;
  airssys_cur = c;
#ifdef AIRSSYS_FUEL_IN_REGISTER
  const int64_t callers_r15 = airssys_ticks; /* r15 is callee-saved for our caller */
#endif
  int code = setjmp(target);
  if (code == 0) {
    AIRSSYS_FUEL_LOAD(c);
    fn(block, index, args, results);
    AIRSSYS_FUEL_SAVE(c);
  }
#ifdef AIRSSYS_FUEL_IN_REGISTER
  airssys_ticks = callers_r15;
#endif
  c->jmp = saved_jmp;
  airssys_cur = saved_cur;
  return code;
}
