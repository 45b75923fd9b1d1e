;; Imports and exports not in sorted order, with different signatures: wasm2c declares them
;; sorted, so the AOT glue must match them by name, not by position.
(module
  (import "zeta" "twice" (func $twice (param i32) (result i32)))
  (import "alpha" "wide" (func $wide (param i64 f64) (result i64)))
  (func (export "z_first") (param i32) (result i32) (call $twice (local.get 0)))
  (func (export "a_second") (param i64) (result i64) (call $wide (local.get 0) (f64.const 0.5))))
