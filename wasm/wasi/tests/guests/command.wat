;; A WASI command module (what `clang --target=wasm32-wasi` builds by default): it exports
;; _start, runs once and exits. airssys refuses it with a message saying to build a reactor.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 0))))
