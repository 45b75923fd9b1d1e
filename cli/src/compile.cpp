// airssys compile FILE.wasm: compile a module ahead of time (wasm2c + the system C compiler) into
// the AOT cache, so that components asking for the aot tier start on native code at once.
#include <airssys/wasm/engine.hpp>
#include <cstdio>
#include <iostream>

#include "cli.hpp"

namespace airssys::cli {

int compile(const CompileArgs& args) {
  wasm::AotOptions options;
  options.cache_dir = args.cache_dir;
  if (!args.cc.empty()) options.compiler = args.cc;
  if (!args.flags.empty()) options.flags = args.flags;
  wasm::Engine engine(options);
  auto mod = engine.load_file(args.file);
  if (!mod) {
    print_error("compile", mod.error().message());
    return kExitUsage;
  }
  wasm::AotStats stats;
  auto native = engine.compile(**mod, &stats);
  if (!native) {
    print_error("compile", native.error().message());
    return native.error().code == Errc::io_error ? kExitFailure : kExitUsage;
  }
  const auto& info = (*mod)->info();
  double kib = static_cast<double>(info.size_bytes) / 1024.0;
  std::cout << args.file.string() << ": " << (stats.cache_hit ? "cached" : "compiled") << "\n"
            << "  sha256     " << info.sha256 << "\n"
            << "  entry      " << stats.so_path.string() << " (" << stats.so_bytes << " bytes)\n";
  if (!stats.cache_hit) {
    char line[160];
    std::snprintf(line, sizeof line, "  wasm2c     %.1f ms, %zu bytes of C\n  cc         %.1f ms (%.1f ms per KiB of module)\n",
                  stats.translate_ms, stats.c_bytes, stats.compile_ms, (stats.translate_ms + stats.compile_ms) / kib);
    std::cout << line;
  }
  char load[64];
  std::snprintf(load, sizeof load, "  load       %.2f ms\n", stats.load_ms);
  std::cout << load;
  return kExitOk;
}

}  // namespace airssys::cli
