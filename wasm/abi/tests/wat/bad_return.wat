;; Returns garbage from its exports; which garbage depends on the payload length of
;; handle-message (param 3). Every case must be refused by the host's lifting.
(module
  (memory (export "memory") 1)
  ;; @16: result disc 7
  (data (i32.const 16) "\07")
  ;; @32: err(string) -> (ptr 80, len 2) pointing at invalid UTF-8
  (data (i32.const 32) "\01\00\00\00\50\00\00\00\02\00\00\00")
  (data (i32.const 80) "\c3\28")
  ;; @48: ok(some(list)) -> (ptr 0xFFFFFFF0, len 64): out of bounds
  (data (i32.const 48) "\00\00\00\00\01\00\00\00\f0\ff\ff\ff\40\00\00\00")
  ;; @96: ok(option disc 5)
  (data (i32.const 96) "\00\00\00\00\05")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  ;; init returns a misaligned return area
  (func (export "airssys:component/lifecycle@0.1.0#init") (param i32 i32 i32 i32 i32 i32 i32) (result i32) i32.const 2)
  (func (export "airssys:component/lifecycle@0.1.0#handle-message")
        (param i32 i32 i32 i32 i32 i32 i32 i32 i64 i32 i32 i32) (result i32)
    (block $oob (block $opt (block $utf8 (block $disc
      (br_table $disc $utf8 $opt $oob (local.get 3)))
      (return (i32.const 16)))
      (return (i32.const 32)))
      (return (i32.const 96)))
    (if (i32.eq (local.get 3) (i32.const 3)) (then (return (i32.const 48))))
    (i32.const 0xFFFFFFF0))
  (func (export "airssys:component/lifecycle@0.1.0#handle-response") (param i64 i32 i32 i32 i32 i32 i32))
  ;; health returns a value outside the enum
  (func (export "airssys:component/lifecycle@0.1.0#health") (result i32) i32.const 9)
  (func (export "airssys:component/lifecycle@0.1.0#shutdown"))
)
