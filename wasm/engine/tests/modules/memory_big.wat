;; Starts with 256 pages (16 MiB + 1 page is past the default limit).
(module (memory 257))
