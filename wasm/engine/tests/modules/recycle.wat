;; Instance recycling: `dirty` changes every kind of state a reset must restore (memory inside and
;; past the data segment, memory size, a global, table elements and size, a dropped passive
;; segment); `check` returns 0 for an instance as instantiated, else the number of the first
;; difference. The start function calls the host, so a test can count (re)instantiations.
(module
  (import "host" "started" (func $started))
  (type $answer (func (result i32)))
  (memory 1)
  (global $g (mut i32) (i32.const 7))
  (table $t 2 funcref)
  (elem (i32.const 0) $seven $eight)
  (data (i32.const 16) "hello")
  (data $passive "pass")
  (func $seven (type $answer) (i32.const 7))
  (func $eight (type $answer) (i32.const 8))
  (func $on_start (call $started))
  (start $on_start)

  (func (export "dirty")
    (i32.store (i32.const 0) (i32.const -1))
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 65532) (i32.const -1))
    (global.set $g (i32.const 42))
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 70000) (i32.const -1))
    (drop (table.grow $t (ref.null func) (i32.const 3)))
    (table.set $t (i32.const 0) (ref.func $eight))
    (data.drop $passive))

  (func (export "check") (result i32)
    (if (i32.load (i32.const 0)) (then (return (i32.const 1))))
    (if (i32.ne (i32.load8_u (i32.const 16)) (i32.const 104)) (then (return (i32.const 2))))
    (if (i32.load (i32.const 65532)) (then (return (i32.const 3))))
    (if (i32.ne (global.get $g) (i32.const 7)) (then (return (i32.const 4))))
    (if (i32.ne (memory.size) (i32.const 1)) (then (return (i32.const 5))))
    (if (i32.ne (table.size $t) (i32.const 2)) (then (return (i32.const 6))))
    (if (i32.ne (call_indirect $t (type $answer) (i32.const 0)) (i32.const 7)) (then (return (i32.const 7))))
    (memory.init $passive (i32.const 32) (i32.const 0) (i32.const 4))  ;; traps once dropped
    (if (i32.ne (i32.load8_u (i32.const 32)) (i32.const 112)) (then (return (i32.const 8))))
    (i32.const 0))

  (func (export "boom") unreachable))
