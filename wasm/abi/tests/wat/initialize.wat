;; Exports _initialize, which must run once before any lifecycle export: health returns the
;; number of times it ran (1 = healthy would be 0, so health answers degraded).
(module
  (memory (export "memory") 1)
  (global $runs (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $runs (i32.add (global.get $runs) (i32.const 1))))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "airssys:component/lifecycle@0.1.0#init") (param i32 i32 i32 i32 i32 i32 i32) (result i32) i32.const 64)
  (func (export "airssys:component/lifecycle@0.1.0#handle-message") (param i32 i32 i32 i32 i32 i32 i32 i32 i64 i32 i32 i32) (result i32) i32.const 64)
  (func (export "airssys:component/lifecycle@0.1.0#handle-response") (param i64 i32 i32 i32 i32 i32 i32))
  (func (export "airssys:component/lifecycle@0.1.0#health") (result i32) global.get $runs)
  (func (export "airssys:component/lifecycle@0.1.0#shutdown"))
)
