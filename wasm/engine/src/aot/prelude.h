/* Pasted before the wasm2c output: how generated code charges fuel, counts depth and checks the
 * native stack. Function entries and loop headers are rewritten to use these macros. */
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0 /* explicit bounds checks: no 8 GiB reservation */
#define WASM_RT_USE_STACK_DEPTH_COUNT 0   /* replaced by the per-instance count below */
#ifndef NDEBUG
#define NDEBUG
#endif
#include <setjmp.h>
#include <string.h>

/* Trap codes for call_indirect's three failures (wasm2c has one). */
#define AIRSSYS_TRAP_INDIRECT_OOB 102
#define AIRSSYS_TRAP_INDIRECT_NULL 103
#define AIRSSYS_TRAP_NATIVE_STACK 104

#define AIRSSYS_CTX(inst) ((airssys_aot_ctx*)((char*)(inst) - AIRSSYS_AOT_CTX_SPACE))

__attribute__((noreturn, noinline, cold)) static void airssys_exhausted(airssys_aot_ctx* c);
__attribute__((noinline, cold)) static void airssys_ticks_out(airssys_aot_ctx* c);
__attribute__((noinline)) static void airssys_bulk_check(airssys_aot_ctx* c);

/* Function entry: one frame deeper (trap past max_depth or the native stack limit), charge cost. */
#define AIRSSYS_ENTER(inst, cost)                                                                  \
  do {                                                                                             \
    airssys_aot_ctx* c_ = AIRSSYS_CTX(inst);                                                       \
    if (__builtin_expect(++c_->depth > c_->max_depth ||                                            \
                             (const char*)__builtin_frame_address(0) < c_->stack_limit, 0))        \
      airssys_exhausted(c_);                                                                       \
    if (__builtin_expect((c_->ticks -= (cost)) < 0, 0)) airssys_ticks_out(c_);                     \
  } while (0)
#define AIRSSYS_LEAVE(inst) (--AIRSSYS_CTX(inst)->depth)
/* Loop header: charge one pass over the loop body. */
#define AIRSSYS_LOOP(inst, cost)                                                                   \
  do {                                                                                             \
    airssys_aot_ctx* c_ = AIRSSYS_CTX(inst);                                                       \
    if (__builtin_expect((c_->ticks -= (cost)) < 0, 0)) airssys_ticks_out(c_);                     \
  } while (0)
/* Before a bulk memory/table instruction: with a deadline, read the clock (one instruction may
 * touch the whole memory). */
#define AIRSSYS_BULK(inst)                                                                         \
  do {                                                                                             \
    if (AIRSSYS_CTX(inst)->has_deadline) airssys_bulk_check(AIRSSYS_CTX(inst));                    \
  } while (0)
/* Replaces wasm2c's CALL_INDIRECT (one trap for every failure) so traps name the failure as the
 * interpreter does. */
#define AIRSSYS_CALL_INDIRECT(table, t, ft, x, ...)                                                \
  ((__builtin_expect((x) < table.size, 1) || (wasm_rt_trap((wasm_rt_trap_t)AIRSSYS_TRAP_INDIRECT_OOB), 0)), \
   (__builtin_expect(table.data[x].func != 0, 1) ||                                                \
    (wasm_rt_trap((wasm_rt_trap_t)AIRSSYS_TRAP_INDIRECT_NULL), 0)),                                \
   (__builtin_expect(table.data[x].func_type == func_types[ft], 1) ||                              \
    (wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT), 0)),                                                \
   ((t)table.data[x].func)(__VA_ARGS__))
