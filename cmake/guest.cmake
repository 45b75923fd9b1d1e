# Building guest components (wasm32) inside the normal build.
#
#   airssys_add_guest(<name> SOURCES a.c [b.cpp ...] [FLAGS ...] [WASI])
#       -> ${CMAKE_BINARY_DIR}/guests/<name>.wasm, target guest_<name>, part of target `guests`.
#       WASI: an ordinary wasi-libc reactor instead of a freestanding guest: compiled with
#       `--target=wasm32-wasi`, linked with `-mexec-model=reactor` against wasi-libc (printf,
#       malloc, fopen...), and its imports may also come from wasi_snapshot_preview1 (docs/wasi.md).
#   airssys_add_wat(<name> SOURCE x.wat)
#       -> ${CMAKE_BINARY_DIR}/guests/<name>.wasm via wat2wasm (hand-written test modules).
#
# Guests are freestanding wasm32 by default (--target=wasm32-unknown-unknown -nostdlib): the SDK
# (guest/src/guest.c) brings its own allocator and mem* functions, and the module imports nothing
# but the contract. With WASI the guest is linked against wasi-libc as a reactor; the SDK then
# uses libc's malloc and mem* and leaves constructors to `_initialize`. After linking, every
# guest's imports are checked: only `airssys:component/*` modules (and wasi_snapshot_preview1 for
# WASI guests) are allowed, so a stray import fails the build, not a test.
#
# Commands are add_custom_command with their own flags, never CMAKE_C_FLAGS: the sanitizer presets
# put -fsanitize=... there, which means nothing for wasm32.
#
# This file doubles as the import-check script: cmake -DWASM=x.wasm -DOBJDUMP=... -P guest.cmake

if(CMAKE_SCRIPT_MODE_FILE)
  execute_process(COMMAND ${OBJDUMP} -x -j Import ${WASM}
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  # wasm-objdump exits non-zero when the section is absent: a module with no imports is fine.
  string(REGEX MATCHALL "<- [^\n]*" imports "${out}")
  foreach(imp ${imports})
    if(ALLOW_WASI AND imp MATCHES "^<- wasi_snapshot_preview1\\.")
      continue()
    endif()
    if(NOT imp MATCHES "^<- airssys:component/(messaging|services|storage)@0\\.1\\.0\\.")
      message(FATAL_ERROR "${WASM}: import outside the airssys contract: ${imp}\n"
        "Guests are freestanding: no libc/WASI functions (printf, malloc from libc...).")
    endif()
  endforeach()
  return()
endif()

find_program(AIRSSYS_GUEST_CC NAMES clang-14 clang DOC "clang able to target wasm32")
find_program(AIRSSYS_WASM_OBJDUMP NAMES wasm-objdump DOC "wabt's wasm-objdump")
find_program(AIRSSYS_WAT2WASM NAMES wat2wasm DOC "wabt's wat2wasm")
if(NOT AIRSSYS_GUEST_CC OR NOT AIRSSYS_WASM_OBJDUMP OR NOT AIRSSYS_WAT2WASM)
  message(FATAL_ERROR "guest toolchain incomplete (clang-14, wasm-objdump, wat2wasm): run scripts/bootstrap")
endif()

set(AIRSSYS_GUEST_DIR ${CMAKE_BINARY_DIR}/guests CACHE INTERNAL "where guest .wasm files are built")
set(AIRSSYS_GUEST_SDK_DIR ${CMAKE_CURRENT_LIST_DIR}/../guest CACHE INTERNAL "guest SDK sources")
set(AIRSSYS_GUEST_CHECK_SCRIPT ${CMAKE_CURRENT_LIST_FILE} CACHE INTERNAL "")

# -mbulk-memory: memcpy/memset become memory.copy/memory.fill (the engine's wabt supports them).
# -flto: the SDK and the component are optimised together (wasm-ld links the bitcode): its small
# functions inline into the component, which halves echo's function count (19 -> 10). Every
# function is an object per instance on the interpreter and every call an interpreted call.
set(AIRSSYS_GUEST_COMMON_FLAGS --target=wasm32-unknown-unknown -mbulk-memory -O2 -flto -g0 -ffreestanding -nostdlib
  -fvisibility=hidden -Wall -Wextra -Werror=implicit-function-declaration)
set(AIRSSYS_GUEST_C_FLAGS -std=c11)
set(AIRSSYS_GUEST_CXX_FLAGS -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics)
# --stack-first: the shadow stack sits below the data, so overflowing it traps (address < 0)
# instead of silently corrupting globals.
set(AIRSSYS_GUEST_LINK_FLAGS -flto -O2 -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=32768 -Wl,--strip-debug)
# WASI guests: wasi-libc (Debian: package wasi-libc) as a reactor; nothing else.
set(AIRSSYS_GUEST_WASI_FLAGS --target=wasm32-wasi -O2 -flto -g0 -fvisibility=hidden -Wall -Wextra
  -Werror=implicit-function-declaration)
set(AIRSSYS_GUEST_WASI_LINK_FLAGS --target=wasm32-wasi -flto -O2 -mexec-model=reactor -Wl,--stack-first
  -Wl,-z,stack-size=65536 -Wl,--strip-debug)

if(NOT TARGET guests)
  add_custom_target(guests ALL)
endif()

# Compiles one guest source to an object; returns its path in <out_var>.
function(_airssys_guest_object name src wasi out_var)
  get_filename_component(src ${src} ABSOLUTE)
  get_filename_component(base ${src} NAME)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/guest_obj/${name}/${base}.o)
  if(src MATCHES "\\.(cpp|cc|cxx)$")
    set(lang_flags ${AIRSSYS_GUEST_CXX_FLAGS})
  else()
    set(lang_flags ${AIRSSYS_GUEST_C_FLAGS})
  endif()
  set(common ${AIRSSYS_GUEST_COMMON_FLAGS})
  if(wasi)
    set(common ${AIRSSYS_GUEST_WASI_FLAGS})
    if(NOT src MATCHES "\\.(cpp|cc|cxx)$")
      set(lang_flags -std=gnu17)  # clang's default: POSIX (clock_gettime, usleep, strdup) visible
    endif()
  endif()
  add_custom_command(OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/guest_obj/${name}
    COMMAND ${AIRSSYS_GUEST_CC} ${common} ${lang_flags} ${ARGN}
            -I${AIRSSYS_GUEST_SDK_DIR}/include -c ${src} -o ${obj}
    DEPENDS ${src} ${AIRSSYS_GUEST_SDK_DIR}/include/airssys/guest.h
            ${AIRSSYS_GUEST_SDK_DIR}/include/airssys/guest.hpp
    COMMENT "guest ${name}: ${base}"
    VERBATIM)
  set(${out_var} ${obj} PARENT_SCOPE)
endfunction()

function(airssys_add_guest name)
  cmake_parse_arguments(ARG "WASI" "" "SOURCES;FLAGS" ${ARGN})
  set(objs)
  foreach(src ${ARG_SOURCES} ${AIRSSYS_GUEST_SDK_DIR}/src/guest.c)
    _airssys_guest_object(${name} ${src} "${ARG_WASI}" obj ${ARG_FLAGS})
    list(APPEND objs ${obj})
  endforeach()
  set(wasm ${AIRSSYS_GUEST_DIR}/${name}.wasm)
  if(ARG_WASI)
    set(link ${AIRSSYS_GUEST_WASI_LINK_FLAGS})
    set(allow_wasi ON)
  else()
    set(link --target=wasm32-unknown-unknown -nostdlib ${AIRSSYS_GUEST_LINK_FLAGS})
    set(allow_wasi OFF)
  endif()
  add_custom_command(OUTPUT ${wasm}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${AIRSSYS_GUEST_DIR}
    COMMAND ${AIRSSYS_GUEST_CC} ${link} ${objs} -o ${wasm}
    COMMAND ${CMAKE_COMMAND} -DWASM=${wasm} -DOBJDUMP=${AIRSSYS_WASM_OBJDUMP} -DALLOW_WASI=${allow_wasi}
            -P ${AIRSSYS_GUEST_CHECK_SCRIPT}
    DEPENDS ${objs} ${AIRSSYS_GUEST_CHECK_SCRIPT}
    COMMENT "guest ${name}.wasm"
    VERBATIM)
  add_custom_target(guest_${name} DEPENDS ${wasm})
  add_dependencies(guests guest_${name})
endfunction()

function(airssys_add_wat name)
  cmake_parse_arguments(ARG "" "SOURCE" "" ${ARGN})
  get_filename_component(src ${ARG_SOURCE} ABSOLUTE)
  set(wasm ${AIRSSYS_GUEST_DIR}/${name}.wasm)
  add_custom_command(OUTPUT ${wasm}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${AIRSSYS_GUEST_DIR}
    COMMAND ${AIRSSYS_WAT2WASM} ${src} -o ${wasm}
    DEPENDS ${src}
    COMMENT "wat ${name}.wasm"
    VERBATIM)
  add_custom_target(guest_${name} DEPENDS ${wasm})
  add_dependencies(guests guest_${name})
endfunction()
