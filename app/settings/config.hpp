// config: builds the settings from defaults, the TOML config file and the
// command line.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "app/settings/settings.hpp"

namespace sv {

/// A settings error. `message` is one line that names the setting and, for the
/// config file, the file and line, e.g. `config error: streamvisor.toml:12:
/// connect_timeout_ms: expected an integer in 100..600000, got "abc"` or
/// `config error: --endpoint: unsupported scheme "ftp" (expected ws, wss, http
/// or https)`.
struct config_error {
  std::string message; ///< the whole line, starting with "config error: "; no
                       ///< trailing newline
};

/// Parses `scheme://host[:port][/path]` into an endpoint. Schemes: ws, wss,
/// http, https (case-insensitive); an IPv6 literal goes in brackets
/// (`wss://[::1]:9443`); without a port the scheme's default applies (443 for
/// wss/https, 80 for ws/http); trailing '/' are stripped from the path.
/// Queries, fragments and user info are refused. On failure the error names
/// `setting` (e.g. "--endpoint" or "endpoint"). Pure; any thread.
std::variant<endpoint, config_error> parse_endpoint(std::string_view url,
                                                    std::string_view setting);

/// What load_settings() produced. When `show_help` or `show_version` is set,
/// `values` holds the defaults of `settings` (with an empty `lock_file`) and the
/// caller prints usage() or version_text() and exits 0.
struct load_result {
  settings values;           ///< the effective settings
  bool show_help = false;    ///< --help was given
  bool show_version = false; ///< --version was given
  std::string config_path;   ///< the --config file that was read, empty if none
};

/// Loads the settings: defaults, then the TOML file named by `--config FILE`
/// (if any), then the other command-line options, which win over the file.
/// `argv[0]` is the program name and is skipped. Options accept `--opt value`
/// and `--opt=value`; when an option repeats, the last one wins. Returns a
/// config_error for an unknown option, a missing or invalid value, an
/// unreadable file, a TOML syntax error, an unknown key or a value of the wrong
/// type or range, or settings that contradict each other (backoff_max_ms below
/// backoff_initial_ms; the message names both and where each came from); the
/// caller prints it and exits 2. An empty `lock_file` is replaced by
/// default_lock_file(). Reads the config file and XDG_RUNTIME_DIR; main thread.
std::variant<load_result, config_error> load_settings(int argc,
                                                      const char* const* argv);

/// The config keys whose values differ between `a` and `b`, in the option
/// table's order (what a reload changed). Pure.
std::vector<std::string_view> changed_settings(const settings& a,
                                               const settings& b);

/// The lock file used when none is configured: `$XDG_RUNTIME_DIR/streamvisor.lock`
/// when XDG_RUNTIME_DIR is an absolute path naming a directory, else
/// `/tmp/streamvisor-<uid>.lock`. Reads the environment (getenv), so main thread
/// only, before other threads start.
std::string default_lock_file();

/// The full `--help` text: synopsis, every option with its default, and the
/// exit codes.
std::string usage();

/// The `--version` text, e.g. "streamvisor 0.1.0".
std::string version_text();

/// The version alone, e.g. "0.1.0" (the project() version in CMakeLists.txt).
std::string version_number();

} // namespace sv
