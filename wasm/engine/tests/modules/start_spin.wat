;; The start function never ends.
(module (func $start (loop $l (br $l))) (start $start))
