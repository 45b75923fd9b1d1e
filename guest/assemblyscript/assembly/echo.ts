// echo in AssemblyScript: the contract is language-neutral. Answers every message with its
// payload ("whoami": with its address from messaging.self-address), logs its address at init.
// AssemblyScript cannot spell export names like "airssys:component/lifecycle@0.1.0#init", so the
// exports are named lifecycle_* / post_* here and renamed after compilation (guest/CMakeLists.txt).

@external("airssys:component/services@0.1.0", "log")
declare function log(level: i32, ptr: usize, len: usize): void;

@external("airssys:component/messaging@0.1.0", "self-address")
declare function self_address(retptr: usize): void;

const LOG_INFO: i32 = 2;
const RET: usize = memory.data(16, 8); // export return area (init: 12 bytes, handle-message: 16)
const SELF: usize = memory.data(8, 4); // self-address's (ptr, len)

let pending: usize = 0; // what the last export returned; freed by its post-return
let messages: u64 = 0;

// The host allocates arguments and results with this; the guest frees them.
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (align > 16) unreachable();
  if (old == 0) return heap.alloc(newSize > 0 ? newSize : 1);
  return heap.realloc(old, newSize > 0 ? newSize : 1);
}

export function lifecycle_init(addrPtr: usize, addrLen: usize, settingsPtr: usize, settingsLen: usize,
                               dataDisc: i32, dataPtr: usize, dataLen: usize): usize {
  log(LOG_INFO, addrPtr, addrLen);
  heap.free(addrPtr);
  for (let i: usize = 0; i < settingsLen; i++) {
    heap.free(load<usize>(settingsPtr + i * 16));     // key
    heap.free(load<usize>(settingsPtr + i * 16 + 8)); // value
  }
  heap.free(settingsPtr);
  if (dataDisc != 0) heap.free(dataPtr);
  store<u8>(RET, 0); // ok
  pending = 0;
  return RET;
}

function isWhoami(ptr: usize, len: usize): bool {
  return len == 6 && load<u32>(ptr) == 0x616f6877 && load<u16>(ptr + 4) == 0x696d; // "whoami"
}

export function lifecycle_handle_message(fromPtr: usize, fromLen: usize, payloadPtr: usize, payloadLen: usize,
                                         codecDisc: i32, codecPtr: usize, codecLen: usize,
                                         corrDisc: i32, corr: u64,
                                         topicDisc: i32, topicPtr: usize, topicLen: usize): usize {
  messages++;
  let replyPtr: usize;
  let replyLen: usize;
  if (isWhoami(payloadPtr, payloadLen)) {
    self_address(SELF); // the host allocated the string with cabi_realloc: ours now
    replyPtr = load<usize>(SELF);
    replyLen = load<usize>(SELF, 4);
  } else {
    replyLen = payloadLen;
    replyPtr = heap.alloc(replyLen > 0 ? replyLen : 1);
    memory.copy(replyPtr, payloadPtr, replyLen);
  }
  heap.free(fromPtr);
  heap.free(payloadPtr);
  if (codecDisc != 0) heap.free(codecPtr);
  if (topicDisc != 0) heap.free(topicPtr);
  store<u8>(RET, 0);      // ok
  store<u8>(RET, 1, 4);   // some
  store<usize>(RET, replyPtr, 8);
  store<usize>(RET, replyLen, 12);
  pending = replyPtr;
  return RET;
}

export function post_handle_message(ret: usize): void {
  if (pending != 0) heap.free(pending);
  pending = 0;
}

export function lifecycle_handle_response(corr: u64, fromPtr: usize, fromLen: usize,
                                          disc: i32, a: usize, b: usize, c: usize): void {
  heap.free(fromPtr);
  if (disc == 0) heap.free(a);                    // ok(list): (ptr, len)
  else if (a >= 2 && a <= 4) heap.free(b);        // err with a string: (case, ptr, len)
}

export function lifecycle_health(): i32 {
  return 0; // healthy
}

export function lifecycle_shutdown(): void {}
