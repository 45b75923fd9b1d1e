;; Exports airssys-arg-area naming a region that runs past the end of memory: refused at create.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\e8\fd\00\00\00\10\00\00")  ;; offset 65000, size 4096
  (func (export "airssys-arg-area") (result i32) i32.const 16)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "airssys:component/lifecycle@0.1.0#init") (param i32 i32 i32 i32 i32 i32 i32) (result i32) i32.const 64)
  (func (export "airssys:component/lifecycle@0.1.0#handle-message") (param i32 i32 i32 i32 i32 i32 i32 i32 i64 i32 i32 i32) (result i32) i32.const 64)
  (func (export "airssys:component/lifecycle@0.1.0#handle-response") (param i64 i32 i32 i32 i32 i32 i32))
  (func (export "airssys:component/lifecycle@0.1.0#health") (result i32) i32.const 0)
  (func (export "airssys:component/lifecycle@0.1.0#shutdown"))
)
