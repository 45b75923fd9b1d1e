;; Imports a memory: the host offers functions only.
(module (import "env" "memory" (memory 1)))
