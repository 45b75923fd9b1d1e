#include <cstdio>
#include <iostream>

#include <airssys/wasm/wasi.hpp>

#include "cli.hpp"

namespace airssys::cli {

void print_error(std::string_view command, std::string_view text) {
  std::cerr << "airssys " << command << ": error: " << text << '\n';
}

void print_warning(std::string_view command, std::string_view text) {
  std::cerr << "airssys " << command << ": warning: " << text << '\n';
}

std::vector<std::string> foreign_imports(const wasm::abi::ImportReport& report) {
  namespace wasi = wasm::wasi;
  std::vector<std::string> out;
  for (const auto& f : report.foreign) {
    const std::string_view v(f);
    const bool is_wasi = v.starts_with(wasi::kModule) && v.size() > wasi::kModule.size() &&
                         v[wasi::kModule.size()] == '.' && wasi::provides(v.substr(wasi::kModule.size() + 1));
    if (!is_wasi) out.push_back(f);
  }
  return out;
}

std::vector<GrantNeed> grants_needed(const wasm::abi::ImportReport& report) {
  std::vector<GrantNeed> out;
  bool messaging = false, messaging_granted_by_function = false;
  for (const auto& f : report.functions) {
    std::string grant;
    if (f == "messaging.send")
      grant = "send";
    else if (f == "messaging.request" || f == "messaging.cancel")
      grant = "request";
    else if (f == "messaging.publish")
      grant = "publish";
    else if (f == "messaging.subscribe" || f == "messaging.unsubscribe")
      grant = "subscribe";
    else if (f.rfind("storage.", 0) == 0)
      grant = "storage";
    if (f.rfind("messaging.", 0) == 0) {
      messaging = true;
      if (!grant.empty()) messaging_granted_by_function = true;
    }
    if (grant.empty()) continue;
    bool seen = false;
    for (auto& n : out)
      if (n.grant == grant) {
        n.function += ", " + f;
        seen = true;
      }
    if (!seen) out.push_back({grant, f});
  }
  // self-address alone still needs some messaging grant for the interface to be linked.
  if (messaging && !messaging_granted_by_function) out.insert(out.begin(), {"messaging", "messaging.self-address"});
  return out;
}

std::string hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    s += kDigits[data[i] >> 4];
    s += kDigits[data[i] & 15];
  }
  return s;
}

bool valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x80)
      n = 0;
    else if ((c >> 5) == 6)
      n = 1;
    else if ((c >> 4) == 14)
      n = 2;
    else if ((c >> 3) == 30)
      n = 3;
    else
      return false;
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n + 1;
  }
  return true;
}

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0 || v == static_cast<double>(static_cast<std::uint64_t>(v)))
    std::snprintf(buf, sizeof buf, "%llu %s", static_cast<unsigned long long>(v), units[u]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace airssys::cli
