;; Exports both post-return functions; each checks it gets the pointer its export returned and
;; counts its calls in a global that the extra export `posts` reads (init's counts 100).
(module
  (memory (export "memory") 1)
  (global $posts (mut i32) (i32.const 0))
  (func (export "posts") (result i32) global.get $posts)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "airssys:component/lifecycle@0.1.0#init") (param i32 i32 i32 i32 i32 i32 i32) (result i32) i32.const 64)
  (func (export "cabi_post_airssys:component/lifecycle@0.1.0#init") (param i32)
    (if (i32.ne (local.get 0) (i32.const 64)) (then unreachable))
    (global.set $posts (i32.add (global.get $posts) (i32.const 100))))
  (func (export "airssys:component/lifecycle@0.1.0#handle-message") (param i32 i32 i32 i32 i32 i32 i32 i32 i64 i32 i32 i32) (result i32) i32.const 64)
  (func (export "cabi_post_airssys:component/lifecycle@0.1.0#handle-message") (param i32)
    (if (i32.ne (local.get 0) (i32.const 64)) (then unreachable))
    (global.set $posts (i32.add (global.get $posts) (i32.const 1))))
  (func (export "airssys:component/lifecycle@0.1.0#handle-response") (param i64 i32 i32 i32 i32 i32 i32))
  (func (export "airssys:component/lifecycle@0.1.0#health") (result i32) i32.const 0)
  (func (export "airssys:component/lifecycle@0.1.0#shutdown"))
)
