/* The contract between the engine (C++) and one AOT-compiled module (a shared object built from
 * wasm2c output plus generated glue). Included by both sides: the engine compiles it in, and its
 * text is pasted into every generated C file, so a change here changes every cache key.
 *
 * A block is one instance: this context first, the wasm2c instance struct after it at offset
 * AIRSSYS_AOT_CTX_SPACE. Generated code finds the context from the instance pointer.
 * Traps longjmp to the innermost airssys call on this thread; they never cross a C++ frame:
 * host functions return a code and the C glue traps after they have returned. */
#ifndef AIRSSYS_AOT_ABI_H
#define AIRSSYS_AOT_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIRSSYS_AOT_ABI_VERSION 4u
#define AIRSSYS_AOT_MAX_MEMS 4u
#define AIRSSYS_AOT_MAX_TABLES 16u

/* Trap codes above wasm-rt's own (wasm_rt_trap_t). */
enum {
  AIRSSYS_AOT_STOP = 100, /* the host stopped the call (fuel, deadline, host error): it recorded why */
  AIRSSYS_AOT_OOM = 101,  /* the host ran out of memory allocating guest memory or a table */
  AIRSSYS_AOT_FUEL = 105, /* ticks went negative: the call's fuel is used up */
  AIRSSYS_AOT_INTERRUPTED = 106, /* `interrupt` was set (the deadline passed) */
};

typedef struct airssys_aot_host {
  /* Runs import `index`; args and results are 64-bit slots (f32 in the low 32 bits, references as
   * pointers). Returns 0, or AIRSSYS_AOT_STOP. */
  int (*call_import)(void* host, uint32_t index, const uint64_t* args, uint64_t* results);
} airssys_aot_host;

typedef struct airssys_aot_ctx {
  int64_t ticks;           /* fuel left for the current call; below 0 traps (AIRSSYS_AOT_FUEL).
                              gcc builds keep it in r15 while guest code runs and store it here
                              whenever control leaves guest code (prelude.h) */
  uint32_t interrupt;      /* set by the engine's watchdog (atomically) when the deadline passes;
                              it then raises `stack_limit` above every stack */
  uint32_t unused;
  const char* stack_limit; /* native stack: a frame below this traps as exhaustion (or as the
                              deadline, when `interrupt` is set); read and written atomically */
  uint32_t mem_cap_pages;  /* caps the declared maximum of memories allocated from now on */
  uint32_t table_cap;
  uint32_t nmem, ntab;
  void* host;
  const airssys_aot_host* host_fns;
  void* jmp;               /* jmp_buf* of the innermost call */
  void* mems[AIRSSYS_AOT_MAX_MEMS];          /* wasm_rt_memory_t*, in index order */
  uint32_t mem_declared_max[AIRSSYS_AOT_MAX_MEMS];
  uint32_t* table_max[AIRSSYS_AOT_MAX_TABLES];  /* &table->max_size */
  uint32_t table_declared_max[AIRSSYS_AOT_MAX_TABLES];
} airssys_aot_ctx;

#define AIRSSYS_AOT_CTX_SPACE ((sizeof(airssys_aot_ctx) + 63u) & ~(uint64_t)63u)

typedef struct airssys_aot_module {
  uint32_t abi_version;
  uint32_t nexports;       /* = the module's exports; index nexports is the start function */
  uint32_t has_start;
  uint64_t block_size;     /* context + instance */
  /* Allocates memories and tables, applies segments (not the start function). 0 or a trap code. */
  int (*instantiate)(void* block);
  /* Calls export `index` (a function), or the start function at index nexports. 0 or a trap code. */
  int (*call)(void* block, uint32_t index, const uint64_t* args, uint64_t* results);
  void (*destroy)(void* block);
  /* Memory 0 (data NULL, size 0 if none). */
  uint8_t* (*memory0)(void* block, uint64_t* size);
  /* Re-applies ctx->mem_cap_pages / table_cap to the live memories and tables. */
  void (*apply_caps)(void* block);
  /* Called once at load: where the innermost instance called on each thread is kept. It is a
   * thread-local of the host, not of the shared object: thread-local storage in a shared object
   * leaves stale per-thread blocks behind when it is unloaded (LeakSanitizer's scan crashed on
   * them). */
  void (*bind_host)(struct airssys_aot_ctx** (*current)(void));
} airssys_aot_module;

typedef const airssys_aot_module* (*airssys_aot_entry_fn)(void);
#define AIRSSYS_AOT_ENTRY "airssys_aot_module_v1"

#ifdef __cplusplus
}
#endif

#endif
