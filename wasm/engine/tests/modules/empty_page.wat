;; The instantiate benchmark's module: one 64 KiB page and an empty export.
(module (memory (export "memory") 1) (func (export "empty")))
