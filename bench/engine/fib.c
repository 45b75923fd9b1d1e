// The fib kernel, compiled both to wasm32 (guest benchmark, V8 comparison) and natively.
#ifdef __cplusplus
extern "C"
#endif
    unsigned
    fib(unsigned n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
