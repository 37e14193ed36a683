// log: one event per line, `<time> <level> <component> <symbol> <event> key=value ...`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sv {

/// Severity of a log line; lines above the configured level are dropped. `off` is
/// only a level to set (nothing is written): for programs that run the actors
/// thousands of times, such as the fault simulation.
enum class log_level : int {
  off = -1,
  error = 0,
  warn = 1,
  info = 2,
  debug = 3
};

/// The level named `name` ("error", "warn", "info" or "debug", lower case), or
/// nullopt for anything else. Pure.
std::optional<log_level> parse_log_level(std::string_view name) noexcept;

/// Any thread. Sets the process-wide level (default info).
void set_log_level(log_level level) noexcept;

/// Any thread. With `on`, every line starts with its sd-daemon(3) priority,
/// "<3>" error, "<4>" warn, "<6>" info, "<7>" debug, which systemd's journal takes
/// as the line's priority (`journalctl -p warning`) and strips; main() turns it on
/// when stderr is the journal (app/journal_stream.hpp). Default off.
void set_log_priority_prefix(bool on) noexcept;

/// Any thread. True if a line of `level` would be written.
bool log_enabled(log_level level) noexcept;

/// Any thread. Writes one line to stderr with a single write, so lines from the
/// transport thread and CAF workers never interleave. `symbol` is "-" when the event
/// concerns no symbol. `fmt` formats the key=value tail (printf syntax, may be "").
/// The line goes through escape_for_log(), so text a peer sent (a frame excerpt, a
/// close reason, an error body) can neither start a line of its own nor put raw
/// bytes in the log.
void log_line(log_level level, const char* component, std::string_view symbol,
              const char* event, const char* fmt, ...)
  __attribute__((format(printf, 5, 6)));

/// `text` with every control byte (newline, carriage return, tab, ESC, DEL, ...)
/// and every byte that is not part of well-formed UTF-8 written as `\xNN` (lower-case
/// hex); well-formed UTF-8, including multi-byte characters, is kept. Pure.
std::string escape_for_log(std::string_view text);

} // namespace sv

/// Logs only if enabled, so the arguments are not evaluated otherwise.
#define SV_LOG(level, component, symbol, event, ...)                           \
  do {                                                                         \
    if (::sv::log_enabled(level))                                              \
      ::sv::log_line(level, component, symbol, event, __VA_ARGS__);            \
  } while (false)
#define SV_ERROR(...) SV_LOG(::sv::log_level::error, __VA_ARGS__)
#define SV_WARN(...) SV_LOG(::sv::log_level::warn, __VA_ARGS__)
#define SV_INFO(...) SV_LOG(::sv::log_level::info, __VA_ARGS__)
#define SV_DEBUG(...) SV_LOG(::sv::log_level::debug, __VA_ARGS__)
