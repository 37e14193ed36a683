// file: the TOML config file (toml++) applied to settings through the option table.
#include "app/settings/file.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>
#include <utility>
#include <vector>

// toml++ stays in this file: it is slow to compile and must not leak into our
// headers.
#include <toml++/toml.h>

#include "actors/core/log.hpp"
#include "app/settings/options.hpp"
#include "app/settings/values.hpp"

namespace sv::config_detail {

namespace {

/// A config file is a few dozen lines; 1 MiB = 1024 * 1024 bytes refuses
/// anything else.
constexpr std::size_t config_file_bytes_max = std::size_t{1024} * 1024;

/// Quote amounts are fixed-point with 8 fractional digits (sv::parse_e8).
constexpr std::int64_t e8_scale = 100000000;

/// A TOML value as the operator wrote it, for "got ..." in error messages.
std::string describe(const toml::node& n) {
  if (const auto* v = n.as_string())
    return in_quotes(v->get());
  if (const auto* v = n.as_integer())
    return std::to_string(v->get());
  if (const auto* v = n.as_floating_point()) {
    // The shortest text that reads back as the same double, so 250000.5 is not shown as
    // 250000 (ostream's default precision is 6 digits).
    std::array<char, 64> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(),
                                   v->get());
    return ec == std::errc{} ? std::string(buf.data(), end)
                             : std::string{"a float"};
  }
  if (const auto* v = n.as_boolean())
    return v->get() ? "true" : "false";
  if (n.is_array())
    return "an array";
  if (n.is_table())
    return "a table";
  return "a date or time";
}

/// A TOML key as an error message shows it: bare when TOML allows it bare, else in quotes
/// (which also keeps the message on one line).
std::string show_key(std::string_view key) {
  bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return is_alnum(c) || c == '_' || c == '-';
  });
  return bare ? std::string(key) : in_quotes(key);
}

/// One key of a TOML table with its line, for processing in file order.
struct toml_entry {
  toml::source_index line = 0; ///< the key's line
  toml::source_index column
    = 0; ///< the key's column (several keys share an inline table's line)
  std::string key;                  ///< the key as written
  const toml::node* node = nullptr; ///< its value; owned by the table
};

/// The entries of `table` in file order, so the first error reported is the first one in the
/// file (toml++ iterates in key order).
std::vector<toml_entry> in_file_order(const toml::table& table) {
  std::vector<toml_entry> entries;
  for (auto&& [key, node] : table) {
    const auto& at = key.source().begin;
    entries.push_back({at.line, at.column, std::string(key.str()), &node});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const toml_entry& a, const toml_entry& b) {
                     return a.line != b.line ? a.line < b.line
                                             : a.column < b.column;
                   });
  return entries;
}

/// Reads a table SYMBOL = value into `out`, which it replaces only on success; `parse` reads one
/// value (`problem parse(const toml::node&, Value&)`). On error `line` and `name` point at the
/// offending entry (`silence_timeout_s_by_symbol.nknusdt`). `expected` describes the whole
/// table for a value that is not one.
template <class Value, class Parse>
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): the key and the text describing it.
problem apply_symbol_table(std::string_view key, std::string_view expected,
                           const toml::node& n, toml::source_index& line,
                           std::string& name, std::map<std::string, Value>& out,
                           Parse parse) {
  const auto* table = n.as_table();
  if (table == nullptr)
    return "expected a table of " + std::string(expected) + ", got "
           + describe(n);
  std::map<std::string, Value> result;
  for (const auto& e : in_file_order(*table)) {
    if (e.line != 0)
      line = e.line;
    name = std::string(key) + "." + show_key(e.key);
    std::string sym;
    if (auto err = parse_symbol(e.key, sym))
      return err;
    Value value{};
    if (auto err = parse(*e.node, value))
      return err;
    // Keys are symbols, so "nknusdt" and "NKNUSDT" are the same one.
    if (!result.emplace(sym, value).second)
      return "symbol " + sym + " appears twice (symbols are case-insensitive)";
  }
  out = std::move(result);
  return std::nullopt;
}

/// Applies a table symbol -> integer (kind::symbol_map); it replaces the whole map.
problem apply_symbol_map(const option_spec& o, settings& s, const toml::node& n,
                         toml::source_index& line, std::string& name) {
  auto range = o.range;
  return apply_symbol_table(
    o.key, "SYMBOL = " + range_text(range.lo, range.hi), n, line, name,
    s.*o.map, [range](const toml::node& v, std::uint32_t& out) -> problem {
      const auto* i = v.as_integer();
      if (i == nullptr || i->get() < range.lo || i->get() > range.hi)
        return "expected " + range_text(range.lo, range.hi) + ", got "
               + describe(v);
      out = static_cast<std::uint32_t>(i->get());
      return std::nullopt;
    });
}

/// Reads a quote amount from TOML: a decimal string (exact) or a non-negative integer. A float
/// is refused: 0.1 has no exact binary value, and the threshold must be exact.
problem toml_quote(const toml::node& n, std::int64_t& out) {
  if (const auto* v = n.as_string())
    return parse_quote(v->get(), out);
  if (const auto* v = n.as_integer()) {
    if (v->get() < 0)
      return std::string(quote_expected) + ", got " + describe(n);
    if (v->get() > std::numeric_limits<std::int64_t>::max() / e8_scale)
      return describe(n) + " is too large (at most "
             + std::string(quote_max_text) + ")";
    out = v->get() * e8_scale;
    return std::nullopt;
  }
  constexpr std::string_view expected
    = R"(expected a decimal string like "250000.5" or an integer, got )";
  if (n.is_floating_point())
    return std::string(expected) + "the float " + describe(n) + "; quote it (\""
           + describe(n) + "\") so that it is read exactly";
  return std::string(expected) + describe(n);
}

/// Applies an array of window durations (kind::windows). On error `line` points at the
/// offending element.
problem apply_windows(const option_spec& o, settings& s, const toml::node& n,
                      toml::source_index& line) {
  const auto* arr = n.as_array();
  if (arr == nullptr)
    return R"(expected an array of duration strings like ["1m", "5m"], got )"
           + describe(n);
  std::vector<std::string> items;
  std::vector<toml::source_index> lines;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto& elem = *arr->get(i);
    lines.push_back(elem.source().begin.line);
    const auto* v = elem.as_string();
    if (v == nullptr) {
      if (lines.back() != 0)
        line = lines.back();
      return "element " + std::to_string(i) + ": "
             + std::string(duration_expected) + ", got " + describe(elem);
    }
    items.push_back(v->get());
  }
  std::size_t bad = 0;
  auto err = parse_windows(items, s.*o.durations, bad);
  if (err && bad < lines.size() && lines[bad] != 0)
    line = lines[bad];
  return err;
}

/// Applies one top-level TOML value. `line` holds the key's line and `name` the key; for a bad
/// array element or table entry they are moved to that element or entry.
problem apply_toml(const option_spec& o, settings& s, const toml::node& n,
                   toml::source_index& line, std::string& name) {
  switch (o.type) {
    case kind::number:
      if (const auto* v = n.as_integer())
        return apply_number(o, s, v->get(), std::to_string(v->get()));
      return "expected " + range_text(o.range.lo, o.range.hi) + ", got "
             + describe(n);
    case kind::fraction:
      if (const auto* v = n.as_floating_point())
        return apply_fraction(o, s, v->get(), describe(n));
      // An integer is fine as long as it is 0 or 1; apply_fraction() refuses the rest.
      if (const auto* v = n.as_integer())
        return apply_fraction(o, s, static_cast<double>(v->get()), describe(n));
      return std::string(fraction_expected) + describe(n);
    case kind::symbol_map:
      return apply_symbol_map(o, s, n, line, name);
    case kind::quote_map:
      return apply_symbol_table(
        o.key, R"(SYMBOL = "<decimal>", e.g. { BTCUSDT = "1000000" })", n, line,
        name, s.*o.quotes, toml_quote);
    case kind::windows:
      return apply_windows(o, s, n, line);
    case kind::quote:
      return toml_quote(n, s.*o.e8);
    case kind::flag:
      if (const auto* v = n.as_boolean()) {
        s.*o.flag = v->get();
        return std::nullopt;
      }
      return "expected true or false, got " + describe(n);
    case kind::text:
      if (const auto* v = n.as_string())
        return o.text(s, v->get());
      return "expected a string, got " + describe(n);
    case kind::list: {
      const auto* arr = n.as_array();
      if (arr == nullptr)
        return "expected an array of strings, got " + describe(n);
      std::vector<std::string> items;
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const auto& elem = *arr->get(i);
        const auto* v = elem.as_string();
        if (v == nullptr) {
          if (elem.source().begin.line != 0)
            line = elem.source().begin.line;
          return "element " + std::to_string(i) + ": expected a string, got "
                 + describe(elem);
        }
        items.push_back(v->get());
      }
      return o.list(s, items);
    }
  }
  return std::string{"unhandled option kind"};
}

} // namespace

std::optional<config_error> apply_file(const std::string& path, settings& s,
                                       origins& origin) {
  auto prefix = "config error: " + path;
  // Opening a FIFO (or a terminal) would wait for a writer forever.
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!ec && !std::filesystem::is_regular_file(status))
    return config_error{"config error: config file " + in_quotes(path)
                        + " is not a regular file"};
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return config_error{"config error: cannot open config file "
                        + in_quotes(path) + ": " + errno_text()};
  std::string text;
  std::vector<char> chunk(4096);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()))
         || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > config_file_bytes_max)
      return config_error{prefix + ": larger than "
                          + std::to_string(config_file_bytes_max)
                          + " bytes; is this the right file?"};
  }
  if (in.bad())
    return config_error{"config error: cannot read config file "
                        + in_quotes(path)};
  return apply_text(text, path, s, origin);
}

std::optional<config_error> apply_text(std::string_view text,
                                       const std::string& path, settings& s,
                                       origins& origin) {
  auto prefix = "config error: " + path;
  toml::table table;
  try {
    table = toml::parse(text, std::string_view{path});
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    // toml++ quotes the offending character raw, so a newline in the file
    // would split this one-line error.
    return config_error{prefix + ":" + std::to_string(at.line) + ":"
                        + std::to_string(at.column) + ": "
                        + escape_for_log(e.description())};
  }
  for (const auto& e : in_file_order(table)) {
    auto where = [&](toml::source_index line, const std::string& name) {
      auto out = prefix;
      out.append(":")
        .append(std::to_string(line))
        .append(": ")
        .append(name)
        .append(": ");
      return out;
    };
    const auto* spec = find_key(e.key);
    if (spec == nullptr)
      return config_error{where(e.line, show_key(e.key))
                          + "unknown key (valid keys are listed in "
                            "config/streamvisor.toml)"};
    auto line = e.line;
    auto name = e.key;
    if (auto err = apply_toml(*spec, s, *e.node, line, name))
      return config_error{where(line, name) + *err};
    origin[spec->key] = path + ":" + std::to_string(e.line);
  }
  return std::nullopt;
}

} // namespace sv::config_detail
