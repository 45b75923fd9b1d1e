// A spin-wait hint for the CPU (PAUSE on x86), so spinning threads yield pipeline resources.
#pragma once

namespace airssys::rt::detail {
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
}  // namespace airssys::rt::detail
