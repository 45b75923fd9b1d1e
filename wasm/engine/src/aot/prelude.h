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

/* The native stack pointer. Read directly rather than through __builtin_frame_address, which
 * forces a frame pointer (two more instructions in every function). */
#if defined(__x86_64__)
#define AIRSSYS_SP() ({ const char* sp_; __asm__("mov %%rsp, %0" : "=r"(sp_)); sp_; })
#elif defined(__aarch64__)
#define AIRSSYS_SP() ({ const char* sp_; __asm__("mov %0, sp" : "=r"(sp_)); sp_; })
#else
#define AIRSSYS_SP() ((const char*)__builtin_frame_address(0))
#endif

/* Every check's slow path is a trap (noreturn): no call the optimiser has to plan around.
 * The deadline costs no check of its own: when it passes, the watchdog sets `interrupt` and then
 * raises `stack_limit` above every stack, so the next stack check (at a function entry or loop
 * header) fails and its slow path reports the deadline. The limit is read through a volatile
 * pointer so that no check can be merged with an earlier one or hoisted out of a loop. */
#define AIRSSYS_STACK_CHECK(c_)                                                                    \
  if (__builtin_expect(AIRSSYS_SP() < *(const char* volatile*)&(c_)->stack_limit, 0))              \
  airssys_exhausted(c_)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* Fuel lives in a register while guest code runs: a counter in memory makes every function
 * entry a load-modify-store on one address, a chain the CPU cannot overlap. r15 is reserved in
 * this file (gcc's global register variable) and callee-saved for everyone else, so libc and the
 * host preserve it; airssys_guarded saves the caller's r15 and restores it, and the value is
 * written back to ctx->ticks whenever control leaves guest code (return, trap, host import). */
register int64_t airssys_ticks __asm__("r15");
#define AIRSSYS_FUEL_IN_REGISTER 1
#define AIRSSYS_TICKS(c_) airssys_ticks
#define AIRSSYS_FUEL_LOAD(c_) (airssys_ticks = (c_)->ticks)
#define AIRSSYS_FUEL_SAVE(c_) ((c_)->ticks = airssys_ticks)
#else
#define AIRSSYS_TICKS(c_) ((c_)->ticks)
#define AIRSSYS_FUEL_LOAD(c_) ((void)0)
#define AIRSSYS_FUEL_SAVE(c_) ((void)0)
#endif
#define AIRSSYS_CHARGE(c_, cost)                                                                   \
  if (__builtin_expect((AIRSSYS_TICKS(c_) -= (int64_t)(cost)) < 0, 0)) airssys_out_of_fuel(c_)
#define AIRSSYS_INTERRUPT_CHECK(c_)                                                                \
  if (__builtin_expect(__atomic_load_n(&(c_)->interrupt, __ATOMIC_RELAXED) != 0, 0)) airssys_interrupted(c_)
/* Function entry: native stack bound and deadline, fuel. */
#define AIRSSYS_ENTER(inst, cost)                                                                  \
  do {                                                                                             \
    airssys_aot_ctx* c_ = AIRSSYS_CTX(inst);                                                       \
    AIRSSYS_STACK_CHECK(c_);                                                                       \
    AIRSSYS_CHARGE(c_, cost);                                                                      \
  } while (0)
#define AIRSSYS_LEAVE(inst) ((void)0)
/* Loop header: the same two checks, charging one pass over the loop body. */
#define AIRSSYS_LOOP(inst, cost) AIRSSYS_ENTER(inst, cost)
/* Loop header of a loop whose every pass calls a function of the module before it can branch:
 * that function's entry checks the deadline and the fuel, so the header only charges. */
#define AIRSSYS_LOOP_CALLS(inst, cost) (AIRSSYS_TICKS(AIRSSYS_CTX(inst)) -= (int64_t)(cost))
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
