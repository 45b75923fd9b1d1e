// airssys new NAME --lang c|cpp [--dir DIR]: a component that builds out of tree.
//
// The scaffold is self-contained: the guest SDK (guest.h, guest.hpp, guest.c) is copied into
// sdk/, and build.sh compiles with the flags of cmake/guest.cmake (freestanding wasm32, no libc).
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli.hpp"

#ifndef AIRSSYS_GUEST_SDK_DIR
#define AIRSSYS_GUEST_SDK_DIR ""
#endif

namespace airssys::cli {
namespace {

namespace fs = std::filesystem;

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

constexpr std::string_view kCTemplate = R"~(/* @NAME@: an airssys component (C, guest SDK in sdk/).
 *
 * Answers every message with "<greeting>, <payload>"; the greeting is the setting `greeting`
 * (default "hello").
 *   ./build.sh
 *   airssys invoke @NAME@.wasm --message world --setting greeting=hi     -> hi, world
 */
#include <airssys/guest.h>

static char greeting[64] = "hello";
static size_t greeting_len = 5;

void as_init(const as_config *cfg, as_reply *reply) {
  as_str g;
  if (as_config_get(cfg, "greeting", &g)) {
    if (g.len > sizeof greeting) {
      as_fail(reply, "setting 'greeting' is longer than 64 bytes");
      return;
    }
    memcpy(greeting, g.ptr, g.len);
    greeting_len = g.len;
  }
  as_log_cstr(AS_LOG_INFO, "@NAME@: ready");
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  size_t len = greeting_len + 2 + msg->payload.len;
  char *answer = as_malloc(len);
  if (!answer) {
    as_fail(reply, "out of memory");
    return;
  }
  memcpy(answer, greeting, greeting_len);
  memcpy(answer + greeting_len, ", ", 2);
  memcpy(answer + greeting_len + 2, msg->payload.ptr, msg->payload.len);
  as_reply_bytes(reply, answer, len);
  as_free(answer);
}
)~";

constexpr std::string_view kCppTemplate = R"~(// @NAME@: an airssys component (C++, guest SDK in sdk/).
//
// Answers every message with "<greeting>, <payload>"; the greeting is the setting `greeting`
// (default "hello"). Freestanding: no standard library, no exceptions, no RTTI.
//   ./build.sh
//   airssys invoke @NAME@.wasm --message world --setting greeting=hi     -> hi, world
#include <airssys/guest.hpp>

namespace g = airssys::guest;

class Greeter {
 public:
  void init(const as_config& cfg, as_reply& reply) {
    as_str value;
    if (as_config_get(&cfg, "greeting", &value)) {
      if (value.len > sizeof greeting_) return g::fail(reply, "setting 'greeting' is longer than 64 bytes");
      memcpy(greeting_, value.ptr, value.len);
      len_ = value.len;
    }
    g::log(AS_LOG_INFO, "@NAME@: ready");
  }

  void handle_message(const as_message& msg, as_reply& reply) {
    const size_t len = len_ + 2 + msg.payload.len;
    char* answer = static_cast<char*>(as_malloc(len));
    if (!answer) return g::fail(reply, "out of memory");
    memcpy(answer, greeting_, len_);
    memcpy(answer + len_, ", ", 2);
    memcpy(answer + len_ + 2, msg.payload.ptr, msg.payload.len);
    as_reply_bytes(&reply, answer, len);
    as_free(answer);
  }

 private:
  char greeting_[64] = {'h', 'e', 'l', 'l', 'o'};
  size_t len_ = 5;
};

AIRSSYS_COMPONENT(Greeter)
)~";

// The flags of cmake/guest.cmake (AIRSSYS_GUEST_*_FLAGS); keep them in step.
constexpr std::string_view kBuildScript = R"~(#!/bin/sh
# Builds @NAME@.wasm: freestanding wasm32, the guest SDK compiled in (flags as airssys's
# cmake/guest.cmake). Needs clang with the wasm32 target (Debian: clang-14, lld-14,
# libclang-rt-14-dev-wasm32); wasm-objdump (wabt) is used to check the imports if present.
set -eu
cd "$(dirname "$0")"
CC=${CC:-$(command -v clang-14 || command -v clang)}
COMMON="--target=wasm32-unknown-unknown -mbulk-memory -O2 -g0 -ffreestanding -nostdlib -fvisibility=hidden -Wall -Wextra -Werror=implicit-function-declaration -Isdk/include"
mkdir -p build
"$CC" $COMMON -std=c11 -c sdk/src/guest.c -o build/guest.o
"$CC" $COMMON @LANG_FLAGS@ -c @SOURCE@ -o build/@NAME@.o
"$CC" --target=wasm32-unknown-unknown -nostdlib -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=32768 \
  -Wl,--strip-debug build/guest.o build/@NAME@.o -o @NAME@.wasm
if command -v wasm-objdump >/dev/null 2>&1; then
  if wasm-objdump -x -j Import @NAME@.wasm 2>/dev/null | grep '<- ' | grep -v '<- airssys:component/'; then
    echo "build.sh: @NAME@.wasm imports something outside the airssys contract (no libc/WASI in guests)" >&2
    exit 1
  fi
fi
echo "built @NAME@.wasm"
)~";

constexpr std::string_view kManifest =
    R"~(# A system of one component: airssys check system.toml / airssys run system.toml
[system]
name = "@NAME@"

[[component]]
address = "app/@NAME@"
wasm = "@NAME@.wasm"
settings = { greeting = "hello" }
)~";

constexpr std::string_view kReadme = R"~(# @NAME@

An airssys component in @LANGNAME@. The guest SDK is in `sdk/` (a copy; see airssys's
docs/guest-guide.md).

    ./build.sh                                   # -> @NAME@.wasm
    airssys inspect @NAME@.wasm                  # what it imports, exports, needs
    airssys invoke @NAME@.wasm --message world --setting greeting=hi
    airssys check system.toml
)~";

bool write(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

fs::path find_sdk(const fs::path& given) {
  std::vector<fs::path> candidates;
  if (!given.empty()) candidates.push_back(given);
  if (const char* env = std::getenv("AIRSSYS_SDK")) candidates.emplace_back(env);
  if (*AIRSSYS_GUEST_SDK_DIR) candidates.emplace_back(AIRSSYS_GUEST_SDK_DIR);
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c / "include/airssys/guest.h", ec) && fs::is_regular_file(c / "src/guest.c", ec)) return c;
    if (!given.empty() && c == given) return {};  // an explicit --sdk that is wrong is an error, not a fallback
  }
  return {};
}

}  // namespace

int scaffold(const NewArgs& args) {
  const auto& name = args.name;
  const bool name_ok = !name.empty() && name.size() <= 64 && std::isalpha(static_cast<unsigned char>(name[0])) &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                       });
  if (!name_ok) {
    print_error("new", "NAME '" + name + "' must start with a letter and contain only letters, digits, '_' and '-'");
    return kExitUsage;
  }
  if (args.lang != "c" && args.lang != "cpp") {
    print_error("new", "--lang must be c or cpp");
    return kExitUsage;
  }
  const fs::path sdk = find_sdk(args.sdk);
  if (sdk.empty()) {
    print_error("new",
                "guest SDK not found (a folder with include/airssys/guest.h and src/guest.c): pass --sdk DIR "
                "or set AIRSSYS_SDK to airssys's guest/ folder");
    return kExitUsage;
  }
  const fs::path root = args.dir / name;
  std::error_code ec;
  if (fs::exists(root, ec)) {
    print_error("new", root.string() + " already exists");
    return kExitUsage;
  }
  fs::create_directories(root / "sdk/include/airssys", ec);
  if (!ec) fs::create_directories(root / "sdk/src", ec);
  if (ec) {
    print_error("new", "cannot create " + root.string() + ": " + ec.message());
    return kExitFailure;
  }
  for (auto [from, to] : {std::pair{"include/airssys/guest.h", "sdk/include/airssys/guest.h"},
                          std::pair{"include/airssys/guest.hpp", "sdk/include/airssys/guest.hpp"},
                          std::pair{"src/guest.c", "sdk/src/guest.c"}}) {
    fs::copy_file(sdk / from, root / to, ec);
    if (ec) {
      print_error("new", "cannot copy " + (sdk / from).string() + ": " + ec.message());
      return kExitFailure;
    }
  }
  const bool cpp = args.lang == "cpp";
  const std::string source = name + (cpp ? ".cpp" : ".c");
  auto fill = [&](std::string_view tmpl) {
    std::string s = replace_all(std::string(tmpl), "@NAME@", name);
    s = replace_all(s, "@SOURCE@", source);
    s = replace_all(s, "@LANGNAME@", cpp ? "C++" : "C");
    return replace_all(s, "@LANG_FLAGS@",
                       cpp ? "-std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics" : "-std=c11");
  };
  const bool ok = write(root / source, fill(cpp ? kCppTemplate : kCTemplate)) &&
                  write(root / "build.sh", fill(kBuildScript)) && write(root / "system.toml", fill(kManifest)) &&
                  write(root / "README.md", fill(kReadme));
  if (!ok) {
    print_error("new", "cannot write into " + root.string());
    return kExitFailure;
  }
  fs::permissions(root / "build.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  std::cout << "created " << root.string() << " (" << (cpp ? "C++" : "C") << ")\n"
            << "  cd " << root.string() << " && ./build.sh\n"
            << "  airssys invoke " << (root / (name + ".wasm")).string() << " --message world\n";
  return kExitOk;
}

}  // namespace airssys::cli
