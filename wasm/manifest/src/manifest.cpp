// Reading and validating a system manifest: TOML (toml++) -> SystemManifest, every mistake
// collected with its source position.
#include <toml++/toml.h>

#include <airssys/wasm/manifest.hpp>
#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>

namespace airssys::wasm::manifest {
namespace {

namespace fs = std::filesystem;

std::string squote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// Keys someone may plausibly write for a schema key, beyond typos.
const std::map<std::string, std::string, std::less<>>& aliases() {
  static const std::map<std::string, std::string, std::less<>> m = {{"path", "wasm"},
                                                                    {"file", "wasm"},
                                                                    {"module", "wasm"},
                                                                    {"name", "address"},
                                                                    {"env", "settings"},
                                                                    {"config", "settings"},
                                                                    {"accept", "codecs"},
                                                                    {"quota", "storage"},
                                                                    {"policy", "restart"},
                                                                    {"components", "component"},
                                                                    {"supervisors", "supervisor"},
                                                                    {"max_memory", "memory"},
                                                                    {"capacity", "mailbox"},
                                                                    {"overflow", "mailbox_policy"},
                                                                    {"period", "within"},
                                                                    {"intensity", "max_restarts"},
                                                                    {"timeout", "deadline"}};
  return m;
}

template <class E>
struct EnumName {
  std::string_view name;
  E value;
};

class Validator {
 public:
  Validator(std::string file_label, fs::path dir, const Options& options)
      : file_(std::move(file_label)), dir_(std::move(dir)), options_(options) {}

  LoadResult run(std::string_view text, const fs::path& file) {
    toml::table root;
    try {
      root = toml::parse(text, file_);
    } catch (const toml::parse_error& e) {
      add(Problem::syntax, e.source(), std::string(e.description()));
      return finish();
    }
    SystemManifest m;
    m.file = file;
    m.name = file.stem().string();
    check_keys(root, {"system", "defaults", "component", "supervisor"}, "the top level");
    if (auto* sys = root.get("system")) read_system(*sys, m);
    Limits defaults;
    if (auto* d = root.get("defaults")) read_defaults(*d, defaults);
    if (auto* comps = root.get("component")) read_components(*comps, defaults, m);
    if (auto* sups = root.get("supervisor")) read_supervisors(*sups, m);
    check_references(m);
    check_tree(m);
    auto r = finish();
    if (r.errors() == 0) r.manifest = std::move(m);
    return r;
  }

  void add(Problem p, const toml::source_region& where, std::string message, std::string hint = {},
           Severity severity = Severity::error) {
    Diagnostic d;
    d.severity = severity;
    d.problem = p;
    d.where = {file_, static_cast<std::uint32_t>(where.begin.line), static_cast<std::uint32_t>(where.begin.column)};
    d.message = std::move(message);
    d.hint = std::move(hint);
    diags_.push_back(std::move(d));
  }

  LoadResult finish() {
    std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
    });
    LoadResult r;
    r.diagnostics = std::move(diags_);
    return r;
  }

 private:
  // toml++ keeps a table's keys sorted; the manifest keeps them in file order.
  static std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t) {
    std::vector<std::pair<const toml::key*, const toml::node*>> out;
    for (auto&& [key, value] : t) out.emplace_back(&key, &value);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      const auto& x = a.first->source().begin;
      const auto& y = b.first->source().begin;
      return std::tie(x.line, x.column) < std::tie(y.line, y.column);
    });
    return out;
  }

  Location loc(const toml::source_region& r) const {
    return {file_, static_cast<std::uint32_t>(r.begin.line), static_cast<std::uint32_t>(r.begin.column)};
  }

  static std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    if (auto c = closest(word, candidates)) return "did you mean " + squote(*c) + "?";
    return {};
  }

  void check_keys(const toml::table& t, std::initializer_list<std::string_view> allowed, std::string_view where) {
    std::vector<std::string> names(allowed.begin(), allowed.end());
    for (auto&& [key, value] : t) {
      if (std::find(names.begin(), names.end(), key.str()) != names.end()) continue;
      std::string hint = did_you_mean(key.str(), names);
      if (hint.empty()) {
        auto a = aliases().find(key.str());
        if (a != aliases().end() && std::find(names.begin(), names.end(), a->second) != names.end())
          hint = "did you mean " + squote(a->second) + "?";
      }
      if (hint.empty()) {
        hint = "allowed here:";
        for (std::size_t i = 0; i < names.size(); ++i) hint += (i ? ", " : " ") + names[i];
      }
      add(Problem::unknown_key, key.source(), "unknown key " + squote(key.str()) + " in " + std::string(where), hint);
    }
  }

  const toml::table* table(const toml::node& n, std::string_view what) {
    if (auto* t = n.as_table()) return t;
    add(Problem::wrong_type, n.source(),
        std::string(what) + " must be a table, not " + std::string(type_name(n.type())));
    return nullptr;
  }

  std::optional<std::string> string(const toml::node& n, std::string_view what) {
    if (auto* s = n.as_string()) return s->get();
    add(Problem::wrong_type, n.source(),
        std::string(what) + " must be a string, not " + std::string(type_name(n.type())));
    return std::nullopt;
  }

  std::optional<bool> boolean(const toml::node& n, std::string_view what) {
    if (auto* b = n.as_boolean()) return b->get();
    add(Problem::wrong_type, n.source(),
        std::string(what) + " must be a boolean (true or false), not " + std::string(type_name(n.type())));
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(const toml::node& n, std::string_view what, std::int64_t min, std::int64_t max) {
    auto* i = n.as_integer();
    if (!i) {
      add(Problem::wrong_type, n.source(),
          std::string(what) + " must be an integer, not " + std::string(type_name(n.type())));
      return std::nullopt;
    }
    if (i->get() < min || i->get() > max) {
      add(Problem::bad_value, n.source(), std::string(what) + " is " + std::to_string(i->get()) + ", out of range",
          "allowed: " + std::to_string(min) + " to " + std::to_string(max));
      return std::nullopt;
    }
    return i->get();
  }

  std::optional<Millis> duration(const toml::node& n, std::string_view what) {
    if (n.is_integer() || n.is_floating_point()) {
      add(Problem::wrong_type, n.source(), std::string(what) + " must be a duration string, not a number",
          "write a unit: \"500ms\", \"2s\", \"1m\"");
      return std::nullopt;
    }
    auto s = string(n, what);
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d) {
      add(Problem::bad_value, n.source(), std::string(what) + ": " + squote(*s) + " is not a duration",
          "a number and a unit ms, s, m or h: \"250ms\", \"1.5s\", \"2m\"");
    }
    return d;
  }

  std::optional<std::uint64_t> size(const toml::node& n, std::string_view what) {
    if (n.is_integer()) {
      auto v = integer(n, what, 0, std::numeric_limits<std::int64_t>::max());
      if (!v) return std::nullopt;
      return static_cast<std::uint64_t>(*v);
    }
    if (!n.is_string()) {
      add(Problem::wrong_type, n.source(),
          std::string(what) + " must be a size (bytes or a string such as \"16MiB\"), not " +
              std::string(type_name(n.type())));
      return std::nullopt;
    }
    auto s = *n.value<std::string>();
    auto v = parse_size(s);
    if (!v)
      add(Problem::bad_value, n.source(), std::string(what) + ": " + squote(s) + " is not a size",
          "bytes, or a number with B, KiB, MiB, GiB, KB, MB or GB: \"64KiB\"");
    return v;
  }

  template <class E>
  std::optional<E> enumeration(const toml::node& n, std::string_view what, std::initializer_list<EnumName<E>> names) {
    auto s = string(n, what);
    if (!s) return std::nullopt;
    std::vector<std::string> all;
    for (const auto& e : names) {
      if (e.name == *s) return e.value;
      all.emplace_back(e.name);
    }
    std::string hint = did_you_mean(*s, all);
    if (hint.empty()) {
      hint = "one of:";
      for (std::size_t i = 0; i < all.size(); ++i) hint += (i ? ", " : " ") + all[i];
    }
    add(Problem::bad_value, n.source(), std::string(what) + ": " + squote(*s) + " is not a valid value", hint);
    return std::nullopt;
  }

  std::optional<std::vector<std::pair<std::string, Location>>> strings(const toml::node& n, std::string_view what) {
    auto* a = n.as_array();
    if (!a) {
      add(Problem::wrong_type, n.source(),
          std::string(what) + " must be an array of strings, not " + std::string(type_name(n.type())),
          n.is_string() ? "write [" + toml_quote(*n.value<std::string>()) + "]" : std::string());
      return std::nullopt;
    }
    std::vector<std::pair<std::string, Location>> out;
    bool ok = true;
    for (auto& e : *a) {
      if (auto* s = e.as_string()) {
        out.emplace_back(s->get(), loc(e.source()));
      } else {
        add(Problem::wrong_type, e.source(),
            std::string(what) + ": every element must be a string, not " + std::string(type_name(e.type())));
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  static std::string toml_quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

  fs::path resolve(const std::string& p) const {
    fs::path path(p);
    return path.is_absolute() ? path : (dir_ / path).lexically_normal();
  }

  void read_system(const toml::node& n, SystemManifest& m) {
    auto* t = table(n, "[system]");
    if (!t) return;
    check_keys(*t, {"name", "data_dir", "audit_log", "workers", "run_for"}, "[system]");
    if (auto* v = t->get("name"))
      if (auto s = string(*v, "system.name")) {
        if (s->empty())
          add(Problem::bad_value, v->source(), "system.name must not be empty");
        else
          m.name = *s;
      }
    if (auto* v = t->get("data_dir"))
      if (auto s = string(*v, "system.data_dir")) {
        if (s->empty())
          add(Problem::bad_value, v->source(), "system.data_dir must not be empty", "leave it out for no storage");
        else
          m.data_dir = resolve(*s);
      }
    if (auto* v = t->get("audit_log"))
      if (auto s = string(*v, "system.audit_log")) {
        if (s->empty())
          add(Problem::bad_value, v->source(), "system.audit_log must not be empty", "leave it out for no audit log");
        else
          m.audit_log = resolve(*s);
      }
    if (auto* v = t->get("workers"))
      if (auto w = integer(*v, "system.workers", 0, 1024)) m.workers = static_cast<unsigned>(*w);
    if (auto* v = t->get("run_for"))
      if (auto d = duration(*v, "system.run_for")) {
        if (d->count() == 0)
          add(Problem::bad_value, v->source(), "system.run_for must be longer than 0",
              "leave it out to run until stopped");
        else
          m.run_for = *d;
      }
  }

  void read_defaults(const toml::node& n, Limits& defaults) {
    auto* t = table(n, "[defaults]");
    if (!t) return;
    check_keys(*t, {"limits"}, "[defaults]");
    if (auto* l = t->get("limits")) read_limits(*l, "defaults.limits", defaults);
  }

  void read_limits(const toml::node& n, std::string_view where, Limits& out) {
    auto* t = table(n, where);
    if (!t) return;
    const std::string w(where);
    check_keys(*t, {"memory", "fuel", "deadline", "mailbox", "mailbox_policy", "max_message"}, w);
    if (auto* v = t->get("memory"))
      if (auto s = size(*v, w + ".memory")) {
        if (*s < 65536 || *s > (std::uint64_t{4} << 30))
          add(Problem::bad_value, v->source(), w + ".memory is out of range",
              "between 64KiB (one WebAssembly page) and 4GiB");
        else
          out.memory_bytes = *s;
      }
    if (auto* v = t->get("fuel"))
      if (auto f = integer(*v, w + ".fuel", 0, std::numeric_limits<std::int64_t>::max()))
        out.fuel = static_cast<std::uint64_t>(*f);
    if (auto* v = t->get("deadline"))
      if (auto d = duration(*v, w + ".deadline")) {
        if (*d > Millis(std::numeric_limits<std::uint32_t>::max()))
          add(Problem::bad_value, v->source(), w + ".deadline is too long", "at most about 49 days");
        else
          out.deadline = *d;
      }
    if (auto* v = t->get("mailbox"))
      if (auto c = integer(*v, w + ".mailbox", 0, std::int64_t{1} << 30)) out.mailbox = static_cast<std::size_t>(*c);
    if (auto* v = t->get("mailbox_policy"))
      if (auto p = enumeration<MailboxPolicy>(*v, w + ".mailbox_policy",
                                              {{"reject", MailboxPolicy::reject},
                                               {"drop-newest", MailboxPolicy::drop_newest},
                                               {"drop-oldest", MailboxPolicy::drop_oldest},
                                               {"block", MailboxPolicy::block}}))
        out.mailbox_policy = *p;
    if (auto* v = t->get("max_message"))
      if (auto s = size(*v, w + ".max_message")) {
        if (*s == 0 || *s > (std::uint64_t{64} << 20))
          add(Problem::bad_value, v->source(), w + ".max_message is out of range", "between 1B and 64MiB");
        else
          out.max_message_bytes = static_cast<std::size_t>(*s);
      }
  }

  std::optional<RestartPolicy> restart_policy(const toml::node& n, std::string_view what) {
    return enumeration<RestartPolicy>(n, what,
                                      {{"permanent", RestartPolicy::permanent},
                                       {"transient", RestartPolicy::transient},
                                       {"temporary", RestartPolicy::temporary}});
  }

  void read_components(const toml::node& n, const Limits& defaults, SystemManifest& m) {
    auto* a = n.as_array();
    if (!a || !a->is_array_of_tables()) {
      add(Problem::wrong_type, n.source(), "'component' must be an array of tables",
          "write one [[component]] section per component");
      return;
    }
    for (auto& e : *a) read_component(*e.as_table(), defaults, m);
  }

  void read_component(const toml::table& t, const Limits& defaults, SystemManifest& m) {
    ComponentSpec c;
    c.where = loc(t.source());
    c.limits = defaults;
    std::string label = "[[component]]";
    bool keep = true;
    if (auto* v = t.get("address")) {
      if (auto s = string(*v, "component.address")) {
        if (!valid_address(*s)) {
          add(Problem::bad_value, v->source(), "address " + squote(*s) + " is not \"namespace/name\"",
              "two segments of letters, digits, '_', '.', '-', each starting with a letter or digit: \"demo/echo\"");
          keep = false;
        } else {
          c.address = *s;
          label = "component " + squote(*s);
          address_locations_.emplace_back(*s, loc(v->source()));
        }
      } else {
        keep = false;
      }
    } else {
      add(Problem::missing_key, t.source(), "[[component]] has no 'address'", "add address = \"namespace/name\"");
      keep = false;
    }
    check_keys(t, {"address", "wasm", "settings", "codecs", "data", "grants", "limits", "restart", "health", "tier"},
               label);
    if (auto* v = t.get("tier"))
      if (auto tier = enumeration<Tier>(*v, label + ": tier",
                                        {{"interp", Tier::interp}, {"aot", Tier::aot}, {"auto", Tier::automatic}}))
        c.tier = *tier;
    c.grants_where = c.where;
    if (auto* v = t.get("wasm")) {
      c.wasm_where = loc(v->source());
      if (auto s = string(*v, label + ": wasm")) {
        if (s->empty()) {
          add(Problem::bad_value, v->source(), label + ": wasm must not be empty");
        } else {
          c.wasm = resolve(*s);
          std::error_code ec;
          if (options_.check_files && !fs::is_regular_file(c.wasm, ec)) {
            const bool exists = fs::exists(c.wasm, ec);
            add(Problem::missing_file, v->source(),
                label + ": wasm file " + squote(*s) + (exists ? " is not a regular file" : " does not exist"),
                "resolved to " + c.wasm.string() + "; paths are relative to the manifest's folder");
          }
        }
      }
    } else {
      add(Problem::missing_key, t.source(), label + " has no 'wasm'", "add wasm = \"path/to/module.wasm\"");
    }
    if (auto* v = t.get("settings")) {
      if (auto* st = table(*v, label + ": settings")) {
        for (auto [kp, vp] : in_file_order(*st)) {
          const toml::key& key = *kp;
          const toml::node& value = *vp;
          std::string text;
          if (auto* s = value.as_string())
            text = s->get();
          else if (auto* i = value.as_integer())
            text = std::to_string(i->get());
          else if (auto* b = value.as_boolean())
            text = b->get() ? "true" : "false";
          else if (auto* f = value.as_floating_point()) {
            std::ostringstream os;
            os << f->get();
            text = os.str();
          } else {
            add(Problem::wrong_type, value.source(),
                label + ": setting " + squote(key.str()) + " must be a string, number or boolean, not " +
                    std::string(type_name(value.type())),
                "settings reach the component as strings");
            continue;
          }
          c.settings.emplace_back(std::string(key.str()), std::move(text));
        }
      }
    }
    if (auto* v = t.get("codecs")) {
      if (auto list = strings(*v, label + ": codecs")) {
        for (auto& [codec, where] : *list) {
          const bool ok = !codec.empty() && std::isalnum(static_cast<unsigned char>(codec[0])) &&
                          std::all_of(codec.begin(), codec.end(), [](char ch) {
                            return std::isalnum(static_cast<unsigned char>(ch)) ||
                                   std::string_view("/+._-").find(ch) != std::string_view::npos;
                          });
          if (!ok)
            add_at(Problem::bad_value, where, label + ": codec " + squote(codec) + " is not a codec name",
                   "a multicodec-style name: \"raw\", \"json\", \"cbor\"");
          else
            c.codecs.push_back(codec);
        }
      }
    }
    if (auto* v = t.get("data"))
      if (auto s = string(*v, label + ": data")) c.data = *s;
    if (auto* v = t.get("grants")) {
      c.grants_where = loc(v->source());
      read_grants(*v, label, c.grants);
    }
    if (auto* v = t.get("limits")) read_limits(*v, c.address.empty() ? "limits" : c.address + ".limits", c.limits);
    if (auto* v = t.get("restart"))
      if (auto r = restart_policy(*v, label + ": restart")) c.restart = *r;
    if (auto* v = t.get("health")) {
      if (auto* h = table(*v, label + ": health")) {
        check_keys(*h, {"interval", "timeout", "failures"}, label + ": health");
        HealthCheck hc;
        if (auto* x = h->get("interval"))
          if (auto d = duration(*x, label + ": health.interval")) hc.interval = *d;
        if (auto* x = h->get("timeout"))
          if (auto d = duration(*x, label + ": health.timeout")) hc.timeout = *d;
        if (auto* x = h->get("failures"))
          if (auto f = integer(*x, label + ": health.failures", 1, 1000)) hc.failures = static_cast<unsigned>(*f);
        if (hc.interval.count() == 0) add(Problem::bad_value, v->source(), label + ": health.interval must be > 0");
        c.health = hc;
      }
    }
    if (keep) {
      if (const auto* first = m.component(c.address)) {
        add_at(Problem::duplicate, address_locations_.back().second, "duplicate address " + squote(c.address),
               "first used at line " + std::to_string(first->where.line));
      } else {
        m.components.push_back(std::move(c));
      }
    }
  }

  void add_at(Problem p, const Location& where, std::string message, std::string hint = {},
              Severity severity = Severity::error) {
    Diagnostic d;
    d.severity = severity;
    d.problem = p;
    d.where = where;
    d.message = std::move(message);
    d.hint = std::move(hint);
    diags_.push_back(std::move(d));
  }

  void read_grants(const toml::node& n, const std::string& label, Grants& g) {
    auto* t = table(n, label + ": grants");
    if (!t) return;
    check_keys(*t, {"send", "request", "publish", "subscribe", "storage", "filesystem"}, label + ": grants");
    struct Kind {
      const char* key;
      std::vector<std::string>* out;
      bool address;
    };
    for (const Kind& k : {Kind{"send", &g.send, true}, Kind{"request", &g.request, true},
                          Kind{"publish", &g.publish, false}, Kind{"subscribe", &g.subscribe, false}}) {
      auto* v = t->get(k.key);
      if (!v) continue;
      auto list = strings(*v, label + ": grants." + k.key);
      if (!list) continue;
      for (auto& [p, where] : *list) {
        const bool ok = k.address ? valid_address_pattern(p) : valid_topic_pattern(p);
        if (!ok) {
          add_at(
              Problem::bad_pattern, where,
              label + ": grants." + k.key + ": " + squote(p) + " is not a valid " + (k.address ? "address" : "topic") +
                  " pattern",
              k.address
                  ? "segments separated by '/'; \"*\" is one whole segment, \"#\" only the last: \"demo/*\", \"demo/#\""
                  : "segments separated by '.' or '/'; \"*\" is one whole segment, \"#\" only the last: "
                    "\"readings.*\", \"readings.#\"");
          continue;
        }
        k.out->push_back(p);
        if (k.address) address_grants_.push_back({label, std::string(k.key), p, where});
      }
    }
    if (auto* v = t->get("storage")) {
      if (v->is_boolean()) {
        g.storage = *v->value<bool>();
      } else if (auto* st = v->as_table()) {
        check_keys(*st, {"quota"}, label + ": grants.storage");
        g.storage = true;
        if (auto* q = st->get("quota"))
          if (auto s = size(*q, label + ": grants.storage.quota")) g.storage_quota_bytes = *s;
      } else {
        add(Problem::wrong_type, v->source(),
            label + ": grants.storage must be a boolean or a table { quota = \"64KiB\" }, not " +
                std::string(type_name(v->type())));
      }
    }
    if (auto* v = t->get("filesystem")) {
      auto mode = v->value<std::string>();
      if (!v->is_string()) {
        add(Problem::wrong_type, v->source(),
            label + ": grants.filesystem must be a string, not " + std::string(type_name(v->type())),
            "filesystem = \"read-only\" or \"read-write\"");
      } else if (*mode != "none" && *mode != "read-only" && *mode != "read-write") {
        add(Problem::bad_value, v->source(), label + ": grants.filesystem: " + squote(*mode) + " is not a mode",
            "\"none\", \"read-only\" or \"read-write\"");
      } else {
        g.filesystem = *mode;
      }
    }
  }

  void read_supervisors(const toml::node& n, SystemManifest& m) {
    auto* t = table(n, "'supervisor'");
    if (!t) {
      diags_.back().hint = "write one [supervisor.NAME] section per supervisor";
      return;
    }
    for (auto [kp, vp] : in_file_order(*t)) {
      const toml::key& key = *kp;
      const toml::node& value = *vp;
      const std::string name(key.str());
      const std::string label = "supervisor " + squote(name);
      const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
      });
      if (!name_ok)
        add(Problem::bad_value, key.source(), label + ": a supervisor name is letters, digits, '_' and '-'",
            "component addresses contain '/', supervisor names must not");
      auto* st = table(value, label);
      if (!st) continue;
      SupervisorSpec s;
      s.name = name;
      s.where = loc(key.source());
      check_keys(*st, {"strategy", "max_restarts", "within", "backoff", "restart", "children"}, label);
      if (auto* v = st->get("strategy"))
        if (auto x = enumeration<Strategy>(*v, label + ": strategy",
                                           {{"one-for-one", Strategy::one_for_one},
                                            {"one-for-all", Strategy::one_for_all},
                                            {"rest-for-one", Strategy::rest_for_one}}))
          s.strategy = *x;
      if (auto* v = st->get("max_restarts"))
        if (auto x = integer(*v, label + ": max_restarts", 0, 1'000'000)) s.max_restarts = static_cast<unsigned>(*x);
      if (auto* v = st->get("within"))
        if (auto x = duration(*v, label + ": within")) {
          if (x->count() == 0)
            add(Problem::bad_value, v->source(), label + ": within must be longer than 0");
          else
            s.within = *x;
        }
      if (auto* v = st->get("backoff")) {
        if (auto* b = table(*v, label + ": backoff")) {
          check_keys(*b, {"initial", "max", "multiplier"}, label + ": backoff");
          if (auto* x = b->get("initial"))
            if (auto d = duration(*x, label + ": backoff.initial")) s.backoff.initial = *d;
          if (auto* x = b->get("max"))
            if (auto d = duration(*x, label + ": backoff.max")) s.backoff.max = *d;
          if (auto* x = b->get("multiplier")) {
            auto f = x->value<double>();  // integers convert
            if (!f || !(x->is_floating_point() || x->is_integer()))
              add(Problem::wrong_type, x->source(),
                  label + ": backoff.multiplier must be a number, not " + std::string(type_name(x->type())));
            else if (*f < 1.0 || *f > 100.0)
              add(Problem::bad_value, x->source(), label + ": backoff.multiplier must be between 1 and 100");
            else
              s.backoff.multiplier = *f;
          }
          if (s.backoff.max < s.backoff.initial)
            add(Problem::bad_value, v->source(), label + ": backoff.max is shorter than backoff.initial");
        }
      }
      if (auto* v = st->get("restart"))
        if (auto r = restart_policy(*v, label + ": restart")) s.restart = *r;
      if (auto* v = st->get("children")) {
        if (auto list = strings(*v, label + ": children"))
          for (auto& [child, where] : *list) {
            ChildRef ref;
            ref.kind = child.find('/') != std::string::npos ? ChildRef::Kind::component : ChildRef::Kind::supervisor;
            ref.name = child;
            ref.where = where;
            s.children.push_back(std::move(ref));
          }
      } else {
        add(Problem::missing_key, key.source(), label + " has no 'children'",
            "list component addresses and supervisor names: children = [\"demo/echo\"]");
      }
      m.supervisors.push_back(std::move(s));
    }
  }

  // Grants naming addresses and supervisor children naming components/supervisors must resolve.
  void check_references(const SystemManifest& m) {
    std::vector<std::string> addresses;
    for (const auto& c : m.components) addresses.push_back(c.address);
    for (const auto& g : address_grants_) {
      const bool wildcard = g.pattern.find_first_of("*#") != std::string::npos;
      const bool matched = std::any_of(addresses.begin(), addresses.end(),
                                       [&](const std::string& a) { return address_matches(g.pattern, a); });
      if (matched) continue;
      if (!wildcard) {
        add_at(
            Problem::unknown_reference, g.where,
            g.label + ": grants." + g.kind + " names " + squote(g.pattern) + ", which is no component of this system",
            did_you_mean(g.pattern, addresses));
      } else {
        add_at(
            Problem::unmatched_pattern, g.where,
            g.label + ": grants." + g.kind + " pattern " + squote(g.pattern) + " matches no component of this system",
            {}, Severity::warning);
      }
    }
    std::vector<std::string> sup_names;
    for (const auto& s : m.supervisors) sup_names.push_back(s.name);
    std::map<std::string, std::pair<std::string, Location>> parent;  // child -> (supervisor, where)
    for (const auto& s : m.supervisors) {
      for (const auto& c : s.children) {
        const bool component = c.kind == ChildRef::Kind::component;
        const bool known = component ? m.component(c.name) != nullptr : m.supervisor(c.name) != nullptr;
        if (!known) {
          add_at(Problem::unknown_reference, c.where,
                 "supervisor " + squote(s.name) + ": child " + squote(c.name) + " is no " +
                     (component ? "component" : "supervisor") + " of this system",
                 did_you_mean(c.name, component ? addresses : sup_names));
          continue;
        }
        auto [it, inserted] = parent.emplace(c.name, std::make_pair(s.name, c.where));
        if (!inserted)
          add_at(Problem::duplicate, c.where,
                 "supervisor " + squote(s.name) + ": " + squote(c.name) + " is already a child of supervisor " +
                     squote(it->second.first),
                 "listed at line " + std::to_string(it->second.second.line) + "; a child has one supervisor");
      }
    }
    parent_ = std::move(parent);
  }

  // Supervisors must form a forest: following parents from any supervisor must end at the top.
  void check_tree(SystemManifest& m) {
    std::set<std::string> reported;
    for (const auto& s : m.supervisors) {
      std::vector<std::string> path{s.name};
      std::string cur = s.name;
      for (;;) {
        auto it = parent_.find(cur);
        if (it == parent_.end()) break;
        cur = it->second.first;
        if (cur == s.name) {
          // A cycle through s: report it once, at the reference closing it onto its first member.
          std::vector<std::string> members(path.begin(), path.end());
          std::sort(members.begin(), members.end());
          const std::string key = [&] {
            std::string k;
            for (auto& x : members) k += x + ",";
            return k;
          }();
          if (reported.insert(key).second) {
            // path holds s and its ancestors (s <- p1 <- ... <- pk <- s): print s -> pk -> ... -> p1 -> s
            // at the reference that lists s (in p1's children).
            std::string text = s.name;
            for (std::size_t i = path.size(); i-- > 1;) text += " -> " + path[i];
            text += " -> " + s.name;
            add_at(Problem::cycle, parent_.at(s.name).second, "supervision cycle: " + text,
                   "a supervisor cannot be its own ancestor; remove one of these children");
          }
          break;
        }
        if (std::find(path.begin(), path.end(), cur) != path.end()) break;  // a cycle not through s
        path.push_back(cur);
      }
    }
    // Top level: supervisors no one lists, then components no supervisor lists.
    for (const auto& s : m.supervisors)
      if (!parent_.count(s.name)) m.top_level.push_back({ChildRef::Kind::supervisor, s.name, s.where});
    for (const auto& c : m.components)
      if (!parent_.count(c.address)) m.top_level.push_back({ChildRef::Kind::component, c.address, c.where});
  }

  struct AddressGrant {
    std::string label, kind, pattern;
    Location where;
  };

  std::string file_;
  fs::path dir_;
  Options options_;
  std::vector<Diagnostic> diags_;
  std::vector<std::pair<std::string, Location>> address_locations_;
  std::vector<AddressGrant> address_grants_;
  std::map<std::string, std::pair<std::string, Location>> parent_;
};

}  // namespace

LoadResult parse(std::string_view text, const std::filesystem::path& file, const Options& options) {
  fs::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  Validator v(file.string(), dir, options);
  return v.run(text, file);
}

LoadResult load(const std::filesystem::path& file, const Options& options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    LoadResult r;
    Diagnostic d;
    d.problem = Problem::missing_file;
    d.where = {file.string(), 0, 0};
    d.message = "cannot read the manifest";
    std::error_code ec;
    d.hint = fs::exists(file, ec) ? "check its permissions" : "no such file";
    r.diagnostics.push_back(std::move(d));
    return r;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file, options);
}

}  // namespace airssys::wasm::manifest
