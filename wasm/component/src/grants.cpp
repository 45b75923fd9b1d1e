#include <airssys/wasm/grants.hpp>

#include <algorithm>

#include <airssys/rt/broker.hpp>
#include <airssys/rt/pattern.hpp>

namespace airssys::wasm {
namespace {

using rt::pattern::split;
bool valid_segments(const std::vector<std::string_view>& segs) { return rt::pattern::valid(segs); }

bool segments_match(std::span<const std::string_view> pat, std::span<const std::string_view> subject) {
  for (std::size_t i = 0;; ++i) {
    if (i < pat.size() && pat[i] == "#") return true;
    if (i == pat.size() || i == subject.size()) return i == pat.size() && i == subject.size();
    if (pat[i] == "*" ? subject[i].empty() : pat[i] != subject[i]) return false;
  }
}

// True if every subject matched by `req` is matched by `grant` (both valid segment patterns).
bool segments_cover(std::span<const std::string_view> grant, std::span<const std::string_view> req) {
  for (std::size_t i = 0;; ++i) {
    if (i < grant.size() && grant[i] == "#") return true;   // any rest, whatever req asks
    if (i == grant.size()) return i == req.size();          // grant ends: req must end too
    if (i == req.size()) return false;                      // req matches a subject ending here
    if (req[i] == "#") return false;                        // req allows any rest, grant does not
    if (grant[i] == "*") continue;                          // covers a literal or a '*'
    if (req[i] == "*" || req[i] != grant[i]) return false;  // grant literal: req must be the same
  }
}

bool concrete_topic(std::string_view topic) {
  if (topic.empty() || topic.find_first_of("*#") != std::string_view::npos) return false;
  for (auto s : split(topic, "./"))
    if (s.empty()) return false;
  return true;
}

std::string single_quoted(std::string_view s) {
  // Reasons go to the guest and the audit log: keep them bounded.
  constexpr std::size_t kMax = 200;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

Check allow(std::string_view what, std::string_view pattern) {
  return {true, std::string(what) + " granted by " + single_quoted(pattern)};
}

Check check_address(const std::vector<std::string>& patterns, std::string_view kind, std::string_view target) {
  for (const auto& p : patterns)
    if (address_matches(p, target)) return allow(kind, p);
  if (patterns.empty())
    return {false, std::string(kind) + " to " + single_quoted(target) + " denied: no " + std::string(kind) + " grant"};
  return {false,
          std::string(kind) + " to " + single_quoted(target) + " denied: no " + std::string(kind) + " grant matches it"};
}

// "messaging", "airssys:component/messaging@0.1.0" or "messaging.send" -> "messaging".
std::string_view interface_of(std::string_view name) {
  constexpr std::string_view kPackage = "airssys:component/";
  if (name.starts_with(kPackage)) {
    name.remove_prefix(kPackage.size());
    return name.substr(0, name.find('@'));
  }
  return name.substr(0, name.find('.'));
}

}  // namespace

bool valid_address_pattern(std::string_view pattern) noexcept {
  if (pattern.empty()) return false;
  return valid_segments(split(pattern, "/"));
}

bool address_matches(std::string_view pattern, std::string_view address) noexcept {
  if (pattern == "*") return !address.empty();
  if (address.empty()) return false;
  // A pattern without wildcards (the usual grant: one address) matches only itself; checked on
  // every send and request, so without splitting either into segments.
  if (pattern.find_first_of("*#") == std::string_view::npos) {
    // Valid when no segment is empty.
    return pattern == address && pattern.front() != '/' && pattern.back() != '/' &&
           pattern.find("//") == std::string_view::npos;
  }
  const auto pat = split(pattern, "/");
  if (!valid_segments(pat)) return false;
  return segments_match(pat, split(address, "/"));
}

bool topic_pattern_covers(std::string_view granted, std::string_view requested) noexcept {
  if (!rt::MessageBroker::valid_pattern(granted) || !rt::MessageBroker::valid_pattern(requested)) return false;
  auto req = split(requested, "./");
  // A topic has at least one segment, so "#" on its own matches exactly what "*.#" matches.
  if (req.size() == 1 && req[0] == "#") req = {"*", "#"};
  return segments_cover(split(granted, "./"), req);
}

Check Grants::allows_send(std::string_view target) const { return check_address(send, "send", target); }

Check Grants::allows_request(std::string_view target) const { return check_address(request, "request", target); }

Check Grants::allows_publish(std::string_view topic) const {
  if (!concrete_topic(topic))
    return {false, "publish to " + single_quoted(topic) + " denied: not a concrete topic (empty segment or wildcard)"};
  for (const auto& p : publish)
    if (rt::MessageBroker::valid_pattern(p) && rt::MessageBroker::matches(p, topic)) return allow("publish", p);
  if (publish.empty()) return {false, "publish to " + single_quoted(topic) + " denied: no publish grant"};
  return {false, "publish to " + single_quoted(topic) + " denied: no publish grant matches it"};
}

Check Grants::allows_subscribe(std::string_view pattern) const {
  if (!rt::MessageBroker::valid_pattern(pattern))
    return {false, "subscribe to " + single_quoted(pattern) + " denied: malformed topic pattern"};
  for (const auto& p : subscribe)
    if (topic_pattern_covers(p, pattern)) return allow("subscribe", p);
  if (subscribe.empty()) return {false, "subscribe to " + single_quoted(pattern) + " denied: no subscribe grant"};
  return {false, "subscribe to " + single_quoted(pattern) + " denied: no subscribe grant covers every topic it matches"};
}

Check Grants::allows_storage() const {
  if (storage.enabled) return {true, "storage granted"};
  return {false, "storage denied: not granted"};
}

std::vector<std::string> Grants::missing_interfaces(std::span<const std::string> imported) const {
  const bool messaging = !send.empty() || !request.empty() || !publish.empty() || !subscribe.empty();
  std::vector<std::string> missing;
  for (const auto& name : imported) {
    const std::string_view iface = interface_of(name);
    bool ok = false;
    if (iface == "services")
      ok = true;
    else if (iface == "messaging")
      ok = messaging;
    else if (iface == "storage")
      ok = storage.enabled;
    if (!ok && std::find(missing.begin(), missing.end(), iface) == missing.end()) missing.emplace_back(iface);
  }
  return missing;
}

Result<void> Grants::check_imports(std::span<const std::string> imported) const {
  const auto missing = missing_interfaces(imported);
  if (missing.empty()) return {};
  std::string why = "the module imports";
  for (std::size_t i = 0; i < missing.size(); ++i) {
    why += i == 0 ? " " : "; and ";
    why += single_quoted(missing[i]);
    if (missing[i] == "messaging")
      why += " but has no send, request, publish or subscribe grant";
    else if (missing[i] == "storage")
      why += " but storage is not granted";
    else
      why += ", which the host does not grant";
  }
  return fail(Errc::denied, why);
}

Result<void> Grants::validate() const {
  for (const auto* list : {&send, &request})
    for (const auto& p : *list)
      if (!valid_address_pattern(p)) return fail(Errc::invalid_config, "malformed address pattern " + single_quoted(p));
  for (const auto* list : {&publish, &subscribe})
    for (const auto& p : *list)
      if (!rt::MessageBroker::valid_pattern(p))
        return fail(Errc::invalid_config, "malformed topic pattern " + single_quoted(p));
  return {};
}

Grants Grants::all(std::uint64_t quota_bytes) {
  Grants g;
  g.send = {"*"};
  g.request = {"*"};
  g.publish = {"#"};
  g.subscribe = {"#"};
  g.storage = {true, quota_bytes};
  g.filesystem = wasi::FsAccess::read_write;
  return g;
}

}  // namespace airssys::wasm
