;; Declares a maximum larger than the host's limit.
(module
  (memory 1 1000)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))
