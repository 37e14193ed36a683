// command_line: a table-driven command-line parser and usage generator for the simulator
// and the benchmarks, in the shape of the daemon's option table (app/settings/options.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sv {

/// One row of a program's option table: how one option is written, stored and shown.
template <class Options>
struct cli_option {
  /// Validates `value` and stores it in the options; returns why it was refused
  /// (nullopt: stored; an empty text: refused for the reason in `expects`). A flag's
  /// setter gets an empty value.
  using setter = std::optional<std::string> (*)(Options&,
                                                const std::string& value);

  std::string_view name; ///< "--port"
  std::string_view
    arg; ///< usage: the value's name ("N"); empty: a flag without value
  setter set = nullptr; ///< stores the value; never null
  std::string_view
    help; ///< usage: the text, more lines after '\n'; empty: not listed
  std::string_view
    expects; ///< the failure when the value is missing or `set` gives no reason
  std::string_view alias; ///< a second name, e.g. "-h"; empty: none
  bool stops
    = false; ///< parsing ends after it: a --help that wins over later mistakes
};

/// A row for an option that takes a value.
template <class Options>
constexpr cli_option<Options>
cli_value_option(std::string_view name, std::string_view arg,
                 std::optional<std::string> (*set)(Options&,
                                                   const std::string&),
                 std::string_view expects, std::string_view help) {
  return {name, arg, set, help, expects, {}, false};
}

/// A row for a flag (an option without value); `alias` is a second name, `stops` ends
/// parsing after it.
template <class Options>
constexpr cli_option<Options>
cli_flag_option(std::string_view name,
                std::optional<std::string> (*set)(Options&, const std::string&),
                std::string_view help, std::string_view alias = {},
                bool stops = false) {
  return {name, {}, set, help, {}, alias, stops};
}

namespace cli_detail {
template <class Class, class Type>
Class owner_of(Type Class::*);
} // namespace cli_detail

/// The options struct the member pointer `Field` points into.
template <auto Field>
using cli_owner = decltype(cli_detail::owner_of(Field));

/// What a setter returns to refuse a value for the reason in the row's `expects`.
inline std::optional<std::string> cli_refused() {
  return std::string{};
}

/// A setter for a flag: sets the bool `Field`.
template <auto Field>
std::optional<std::string>
cli_set_flag(cli_owner<Field>& out, const std::string& /*value*/) {
  out.*Field = true;
  return std::nullopt;
}

/// A setter that stores the value in the string `Field`; with `NonEmpty` an empty value
/// is refused.
template <auto Field, bool NonEmpty = false>
std::optional<std::string>
cli_set_text(cli_owner<Field>& out, const std::string& value) {
  if (NonEmpty && value.empty())
    return cli_refused();
  out.*Field = value;
  return std::nullopt;
}

/// A setter that stores an unsigned decimal in the integer `Field`: all of the value
/// in strtoull's syntax, within 1..Max (0..Max with `Zero`); anything else is refused.
template <auto Field, std::uint64_t Max, bool Zero = false>
std::optional<std::string>
cli_set_integer(cli_owner<Field>& out, const std::string& value) {
  if (value.empty())
    return cli_refused();
  char* end = nullptr;
  auto n = std::strtoull(value.c_str(), &end, 10);
  if (*end != '\0' || (n == 0 && !Zero) || n > Max)
    return cli_refused();
  out.*Field = static_cast<std::remove_reference_t<decltype(out.*Field)>>(n);
  return std::nullopt;
}

/// What a flag written with a value (`--flag=x`) means.
enum class cli_flag_value : std::uint8_t {
  refused, ///< a failure, detail "takes no value"
  ignored, ///< the flag is set and the value dropped
};

/// Why parsing stopped.
struct cli_failure {
  std::string option;   ///< the option as written, without "=value"
  std::string detail;   ///< what is wrong with its value; empty when `unknown`
  bool unknown = false; ///< the option is not in the table
};

/// The last row of `table` named or aliased `name`; null if there is none.
template <class Options, class Table>
const cli_option<Options>*
find_cli_option(const Table& table, const std::string& name) {
  const cli_option<Options>* row = nullptr;
  for (const auto& candidate : table)
    if (candidate.name == name
        || (!candidate.alias.empty() && candidate.alias == name))
      row = &candidate;
  return row;
}

/// Parses `args` (without the program name) into `out` through the rows of `table`
/// (a range of cli_option<Options>): `--name value`, `--name=value` and flags. The value
/// is the next argument whatever it looks like. Setters run in command-line order, so
/// when an option repeats the last one wins. Returns the first failure: an unknown
/// option, a missing value (the row's `expects`), a flag with a value (`flags`) or what
/// a setter refused. Pure apart from the setters; any thread.
template <class Options, class Table>
std::optional<cli_failure>
parse_command_line(const Table& table, const std::vector<std::string>& args,
                   Options& out,
                   cli_flag_value flags = cli_flag_value::refused) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inline_value;
    if (auto eq = name.find('=');
        name.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const cli_option<Options>* row = find_cli_option<Options>(table, name);
    if (row == nullptr)
      return cli_failure{name, {}, true};
    std::string value;
    if (row->arg.empty()) {
      if (inline_value && flags == cli_flag_value::refused)
        return cli_failure{name, "takes no value", false};
    } else if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return cli_failure{name, std::string(row->expects), false};
    }
    if (auto why = row->set(out, value))
      return cli_failure{
        name, why->empty() ? std::string(row->expects) : std::move(*why),
        false};
    if (row->stops)
      break;
  }
  return std::nullopt;
}

/// The usage lines of `table`: per listed row `  --name ARG`, padded to `help_column`
/// (at least one space), then the help, whose further lines start at `help_column` too.
template <class Table>
std::string command_line_usage(const Table& table, std::size_t help_column) {
  std::string out;
  for (const auto& row : table) {
    if (row.help.empty())
      continue;
    std::string line = "  " + std::string(row.name);
    if (!row.arg.empty())
      line += " " + std::string(row.arg);
    line.resize(std::max(line.size() + 1, help_column), ' ');
    for (char c : row.help) {
      line += c;
      if (c == '\n')
        line.append(help_column, ' ');
    }
    out += line + "\n";
  }
  return out;
}

} // namespace sv
