;; Binary is well-formed but does not validate: i32.add on an i64 (built with --no-check).
(module (func (export "bad") (result i32) (i32.add (i64.const 1) (i32.const 2))))
