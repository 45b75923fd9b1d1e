// airssys: run systems of WebAssembly components, and the tools to write them.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
  using namespace airssys::cli;
  CLI::App app{"airssys: a host for untrusted WebAssembly components run as supervised actors", "airssys"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "airssys 0.1.0");
  app.footer(
      "Exit codes: 0 ok, 1 runtime failure, 2 usage error or invalid input.\n"
      "Run 'airssys COMMAND --help' for a command's options. Docs: docs/command.md");

  InspectArgs inspect_args;
  auto* inspect_cmd = app.add_subcommand("inspect",
                                         "Show a module's imports, exports, contract use, needed grants, "
                                         "memory, size and sha256");
  inspect_cmd->add_option("file", inspect_args.file, "The .wasm module")->required();
  inspect_cmd->add_flag("--json", inspect_args.json, "Machine-readable output");

  CompileArgs compile_args;
  auto* compile_cmd = app.add_subcommand("compile",
                                         "Compile a module to native code ahead of time (wasm2c + the system C "
                                         "compiler) into the AOT cache");
  compile_cmd->add_option("file", compile_args.file, "The .wasm module")->required();
  compile_cmd->add_option("--cache-dir", compile_args.cache_dir,
                          "AOT cache (default $AIRSSYS_AOT_CACHE, else ~/.cache/airssys/aot)");
  compile_cmd->add_option("--cc", compile_args.cc, "C compiler (default $AIRSSYS_AOT_CC, else cc)");
  compile_cmd->add_option("--flag", compile_args.flags, "A compiler flag replacing the default -O3 (repeatable)")
      ->allow_extra_args(false);

  CheckArgs check_args;
  auto* check_cmd = app.add_subcommand("check",
                                       "Validate a system manifest and every module it names, without "
                                       "running anything");
  check_cmd->add_option("manifest", check_args.manifest, "The system manifest (TOML)")->required();

  InvokeArgs invoke_args;
  auto* invoke_cmd = app.add_subcommand("invoke",
                                        "Run one component alone: init, deliver one message, print the "
                                        "answer");
  invoke_cmd->add_option("file", invoke_args.file, "The component's .wasm module")->required();
  invoke_cmd->add_option("-m,--message", invoke_args.message, "The payload: TEXT, or @FILE for a file's bytes")
      ->required();
  invoke_cmd->add_option("--codec", invoke_args.codec, "The message's codec (\"json\", \"raw\", ...)");
  invoke_cmd->add_option("-s,--setting", invoke_args.settings, "A setting passed to init, KEY=VALUE (repeatable)");
  invoke_cmd->add_option("--address", invoke_args.address, "The component's address (default invoke/<file stem>)");
  invoke_cmd->add_option("--from", invoke_args.from, "The sender's address")->capture_default_str();
  invoke_cmd->add_flag("--send", invoke_args.send, "Deliver as a one-way message instead of a request");
  invoke_cmd->add_option("--memory", invoke_args.memory, "Memory limit")->capture_default_str();
  invoke_cmd->add_option("--fuel", invoke_args.fuel, "Instruction budget per call (0: unlimited)")
      ->capture_default_str();
  invoke_cmd->add_option("--deadline", invoke_args.deadline, "Wall-clock budget per call")->capture_default_str();
  invoke_cmd
      ->add_option("--wait", invoke_args.wait,
                   "Keep running timers and messages the component sends itself this long after the answer")
      ->capture_default_str();
  invoke_cmd->add_option("--dir", invoke_args.dir, "WASI: a directory preopened for the component (its files)");
  invoke_cmd->add_option("--fs", invoke_args.fs, "WASI: read-only or read-write access to --dir (default read-write)");
  invoke_cmd->add_option("--quota", invoke_args.quota, "Storage quota of the in-memory namespace (and --dir files)")
      ->capture_default_str();
  invoke_cmd->add_flag("--hex", invoke_args.hex_output, "Print the answer in hex");

  NewArgs new_args;
  auto* new_cmd = app.add_subcommand("new", "Scaffold a component (guest SDK + build script) that builds out of tree");
  new_cmd->add_option("name", new_args.name, "The component's name (letters, digits, '_', '-')")->required();
  new_cmd->add_option("--lang", new_args.lang, "c or cpp")->capture_default_str()->check(CLI::IsMember({"c", "cpp"}));
  new_cmd->add_option("--dir", new_args.dir, "Where to create NAME/")->capture_default_str();
  new_cmd->add_option("--sdk", new_args.sdk,
                      "airssys's guest/ folder (default: the one this airssys was built "
                      "from, or $AIRSSYS_SDK)");

  RunArgs run_args;
  auto* run_cmd = app.add_subcommand("run",
                                     "Run a system of components until Ctrl-C / SIGTERM or for a duration; "
                                     "a status line on a terminal, a summary at the end");
  run_cmd->add_option("manifest", run_args.manifest, "The system manifest (TOML)")->required();
  run_cmd->add_option("--for", run_args.duration,
                      "Stop after this long (\"10s\", \"2m\"); default: [system] run_for, else until Ctrl-C / SIGTERM");
  run_cmd->add_option("--data-dir", run_args.data_dir, "Storage directory (overrides [system] data_dir)");
  run_cmd->add_option("--log-level", run_args.log_level, "trace, debug, info, warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  run_cmd
      ->add_option("--log-format", run_args.log_format,
                   "text or json (json: one object per line, and a JSON "
                   "summary)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  run_cmd->add_flag("--no-status", run_args.no_status, "No live status line, even on a terminal");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help/version to stdout, errors to stderr
    return code == 0 ? kExitOk : kExitUsage;
  }

  try {
    if (*inspect_cmd) return inspect(inspect_args);
    if (*compile_cmd) return compile(compile_args);
    if (*check_cmd) return check(check_args);
    if (*invoke_cmd) return invoke(invoke_args);
    if (*new_cmd) return scaffold(new_args);
    if (*run_cmd) return run(run_args);
  } catch (const std::exception& e) {
    std::cerr << "airssys: error: " << e.what() << '\n';
    return kExitFailure;
  }
  return kExitUsage;
}
