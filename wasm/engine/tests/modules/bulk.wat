;; Each instruction of the loop clears the whole 16 MiB memory: time per instruction is large.
(module
  (memory 256)
  (func (export "fill_forever")
    (loop $l (memory.fill (i32.const 0) (i32.const 0) (i32.const 0x1000000)) (br $l))))
