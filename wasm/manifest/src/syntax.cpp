// Building blocks of the manifest: addresses, patterns, durations, sizes, typo hints.
#include <airssys/rt/pattern.hpp>
#include <airssys/wasm/manifest.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace airssys::wasm::manifest {
namespace {

using rt::pattern::split;

// "*" is one whole segment, "#" only the last one; no empty segment (rt's segment patterns).
bool valid_segments(const std::vector<std::string_view>& segs) { return rt::pattern::valid(segs); }

bool address_segment(std::string_view s) {
  if (s.empty() || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same =
          std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

bool valid_address(std::string_view address) noexcept {
  const auto segs = split(address, "/");
  return segs.size() == 2 && address_segment(segs[0]) && address_segment(segs[1]);
}

bool valid_address_pattern(std::string_view pattern) noexcept {
  if (pattern.empty()) return false;
  return valid_segments(split(pattern, "/"));
}

bool address_matches(std::string_view pattern, std::string_view address) noexcept {
  if (pattern == "*") return !address.empty();
  if (address.empty() || !valid_address_pattern(pattern)) return false;
  const auto pat = split(pattern, "/");
  const auto sub = split(address, "/");
  for (std::size_t i = 0;; ++i) {
    if (i < pat.size() && pat[i] == "#") return true;
    if (i == pat.size() || i == sub.size()) return i == pat.size() && i == sub.size();
    if (pat[i] == "*" ? sub[i].empty() : pat[i] != sub[i]) return false;
  }
}

bool valid_topic_pattern(std::string_view pattern) noexcept {
  if (pattern.empty()) return false;
  return valid_segments(split(pattern, "./"));
}

std::optional<Millis> parse_duration(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  const std::string_view number = text.substr(0, i), unit = text.substr(i);
  if (number.empty() || number.front() == '.' || number.back() == '.' ||
      std::count(number.begin(), number.end(), '.') > 1)
    return std::nullopt;
  double scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m" || unit == "min")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else
    return std::nullopt;
  double value = 0, frac = 0.1;
  bool after_dot = false;
  for (char c : number) {
    if (c == '.') {
      after_dot = true;
    } else if (after_dot) {
      value += (c - '0') * frac;
      frac /= 10;
    } else {
      value = value * 10 + (c - '0');
    }
  }
  const double ms = value * scale;
  if (ms > 1e15 || ms != std::floor(ms)) return std::nullopt;  // sub-millisecond remainders are a mistake
  return Millis(static_cast<std::int64_t>(ms));
}

std::optional<std::uint64_t> parse_size(std::string_view text) noexcept {
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (value > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  const std::string_view unit = text.substr(i);
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "B")
    scale = 1;
  else if (unit == "KiB")
    scale = 1ull << 10;
  else if (unit == "MiB")
    scale = 1ull << 20;
  else if (unit == "GiB")
    scale = 1ull << 30;
  else if (unit == "KB" || unit == "kB")
    scale = 1000;
  else if (unit == "MB")
    scale = 1000'000;
  else if (unit == "GB")
    scale = 1000'000'000;
  else
    return std::nullopt;
  if (value > std::numeric_limits<std::uint64_t>::max() / scale) return std::nullopt;
  return value * scale;
}

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = &c;
    }
  }
  if (!best) return std::nullopt;
  // A likely typo: about one edit per three characters, at least one, at most four.
  const std::size_t allowed = std::clamp<std::size_t>(std::max(word.size(), best->size()) / 3, 1, 4);
  if (best_distance > allowed) return std::nullopt;
  return *best;
}

std::string_view to_string(Problem p) noexcept {
  switch (p) {
    case Problem::syntax:
      return "syntax";
    case Problem::unknown_key:
      return "unknown-key";
    case Problem::wrong_type:
      return "wrong-type";
    case Problem::missing_key:
      return "missing-key";
    case Problem::bad_value:
      return "bad-value";
    case Problem::bad_pattern:
      return "bad-pattern";
    case Problem::missing_file:
      return "missing-file";
    case Problem::duplicate:
      return "duplicate";
    case Problem::unknown_reference:
      return "unknown-reference";
    case Problem::cycle:
      return "cycle";
    case Problem::unmatched_pattern:
      return "unmatched-pattern";
  }
  return "unknown";
}

std::string_view to_string(RestartPolicy p) noexcept {
  switch (p) {
    case RestartPolicy::permanent:
      return "permanent";
    case RestartPolicy::transient:
      return "transient";
    case RestartPolicy::temporary:
      return "temporary";
  }
  return "unknown";
}

std::string_view to_string(Strategy s) noexcept {
  switch (s) {
    case Strategy::one_for_one:
      return "one-for-one";
    case Strategy::one_for_all:
      return "one-for-all";
    case Strategy::rest_for_one:
      return "rest-for-one";
  }
  return "unknown";
}

std::string_view to_string(MailboxPolicy p) noexcept {
  switch (p) {
    case MailboxPolicy::reject:
      return "reject";
    case MailboxPolicy::drop_newest:
      return "drop-newest";
    case MailboxPolicy::drop_oldest:
      return "drop-oldest";
    case MailboxPolicy::block:
      return "block";
  }
  return "unknown";
}

std::string Diagnostic::to_string() const {
  std::string s = where.file;
  if (where.line > 0) {
    s += ':' + std::to_string(where.line);
    if (where.column > 0) s += ':' + std::to_string(where.column);
  }
  s += severity == Severity::error ? ": error: " : ": warning: ";
  s += message;
  s += " [";
  s += manifest::to_string(problem);
  s += ']';
  if (!hint.empty()) s += " (" + hint + ")";
  return s;
}

std::size_t LoadResult::errors() const noexcept {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                                [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

const ComponentSpec* SystemManifest::component(std::string_view address) const noexcept {
  for (const auto& c : components)
    if (c.address == address) return &c;
  return nullptr;
}

const SupervisorSpec* SystemManifest::supervisor(std::string_view name) const noexcept {
  for (const auto& s : supervisors)
    if (s.name == name) return &s;
  return nullptr;
}

const SupervisorSpec* SystemManifest::parent_of(std::string_view child) const noexcept {
  for (const auto& s : supervisors)
    for (const auto& c : s.children)
      if (c.name == child) return &s;
  return nullptr;
}

}  // namespace airssys::wasm::manifest
