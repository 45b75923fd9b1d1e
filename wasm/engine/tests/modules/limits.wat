;; Runaway guests: infinite loop, unbounded recursion (direct and indirect), memory growth, and
;; endless work through calls alone (a loop whose every pass calls, a recursion tree).
(module
  (type $v (func))
  (memory 1)
  (table 1 funcref)
  (elem (i32.const 0) $recurse_indirect)
  (func (export "spin") (loop $l (br $l)))
  (func $recurse (export "recurse") (call $recurse))
  (func $recurse_indirect (export "recurse_indirect") (call_indirect (type $v) (i32.const 0)))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "count") (param i32) (result i32) (local $i i32)
    (block $done (loop $again
      (br_if $done (i32.ge_u (local.get $i) (local.get 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $again)))
    (local.get $i))
  (func $nothing)
  (func (export "spin_calling") (loop $l (call $nothing) (br $l)))
  ;; 2^n calls, no loop: only function entries can stop it.
  (func $tree (export "tree") (param i32)
    (if (local.get 0) (then
      (call $tree (i32.sub (local.get 0) (i32.const 1)))
      (call $tree (i32.sub (local.get 0) (i32.const 1)))))))
