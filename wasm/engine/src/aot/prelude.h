/* Pasted before the wasm2c output: how generated code checks the native stack, charges fuel and
 * notices the deadline. Function entries and loop headers are rewritten to use these macros. */
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
#define AIRSSYS_TRAP_TABLE_OOB 107

#define AIRSSYS_CTX(inst) ((airssys_aot_ctx*)((char*)(inst) - AIRSSYS_AOT_CTX_SPACE))

__attribute__((noreturn, noinline, cold)) static void airssys_exhausted(airssys_aot_ctx* c);
__attribute__((noreturn, noinline, cold)) static void airssys_out_of_fuel(airssys_aot_ctx* c);
__attribute__((noreturn, noinline, cold)) static void airssys_interrupted(airssys_aot_ctx* c);

/* Every check's slow path is a trap (noreturn): no call the optimiser has to plan around. */
#define AIRSSYS_INTERRUPT_CHECK(c_)                                                                \
  if (__builtin_expect(__atomic_load_n(&(c_)->interrupt, __ATOMIC_RELAXED) != 0, 0)) airssys_interrupted(c_)
/* Function entry: native stack bound, fuel, deadline. */
#define AIRSSYS_ENTER(inst, cost)                                                                  \
  do {                                                                                             \
    airssys_aot_ctx* c_ = AIRSSYS_CTX(inst);                                                       \
    if (__builtin_expect((const char*)__builtin_frame_address(0) < c_->stack_limit, 0))            \
      airssys_exhausted(c_);                                                                       \
    if (__builtin_expect((c_->ticks -= (cost)) < 0, 0)) airssys_out_of_fuel(c_);                   \
    AIRSSYS_INTERRUPT_CHECK(c_);                                                                   \
  } while (0)
#define AIRSSYS_LEAVE(inst) ((void)0)
/* Loop header: charge one pass over the loop body; deadline. */
#define AIRSSYS_LOOP(inst, cost)                                                                   \
  do {                                                                                             \
    airssys_aot_ctx* c_ = AIRSSYS_CTX(inst);                                                       \
    if (__builtin_expect((c_->ticks -= (cost)) < 0, 0)) airssys_out_of_fuel(c_);                   \
    AIRSSYS_INTERRUPT_CHECK(c_);                                                                   \
  } while (0)
/* Before a bulk memory/table instruction (one may touch the whole memory): deadline. */
#define AIRSSYS_BULK(inst)                                                                         \
  do {                                                                                             \
    airssys_aot_ctx* c_ = AIRSSYS_CTX(inst);                                                       \
    AIRSSYS_INTERRUPT_CHECK(c_);                                                                   \
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
