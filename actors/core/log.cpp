// log: one event per line, written with one fwrite under a lock.
#include "actors/core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "actors/core/utf8.hpp"

namespace sv {

namespace {

std::atomic<int> current_level{static_cast<int>(log_level::info)};
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): the log's one switch, atomic.
std::atomic<bool> priority_prefix{false};
std::mutex write_mutex;

/// The sd-daemon(3) prefix of `level`: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG.
const char* priority_of(log_level level) {
  switch (level) {
    case log_level::error:
      return "<3>";
    case log_level::warn:
      return "<4>";
    case log_level::info:
      return "<6>";
    case log_level::debug:
    case log_level::off:
      return "<7>";
  }
  return "<7>";
}

const char* level_name(log_level level) {
  switch (level) {
    case log_level::error:
      return "ERROR";
    case log_level::warn:
      return "WARN";
    case log_level::info:
      return "INFO";
    case log_level::debug:
      return "DEBUG";
    case log_level::off:
      return "OFF"; // never written: nothing is enabled at off
  }
  return "?";
}

/// The bytes of `s`'s first character to copy as they are, or 0 if its first
/// byte is to be escaped: a control byte or not the start of well-formed UTF-8.
std::size_t kept_length(std::string_view s) {
  auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x20 || b0 == 0x7f)
    return 0;
  return utf8_sequence_length(s);
}

/// Appends escape_for_log(`text`) to `out`.
void append_escaped(std::string_view text, std::string& out) {
  constexpr std::string_view hex = "0123456789abcdef";
  while (!text.empty()) {
    auto n = kept_length(text);
    if (n == 0) {
      auto b = static_cast<unsigned char>(text[0]);
      out += "\\x";
      out += hex[b >> 4U];
      out += hex[b & 0xfU];
      n = 1;
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
}

} // namespace

std::string escape_for_log(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_escaped(text, out);
  return out;
}

std::optional<log_level> parse_log_level(std::string_view name) noexcept {
  if (name == "error")
    return log_level::error;
  if (name == "warn")
    return log_level::warn;
  if (name == "info")
    return log_level::info;
  if (name == "debug")
    return log_level::debug;
  return std::nullopt;
}

void set_log_level(log_level level) noexcept {
  current_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

void set_log_priority_prefix(bool on) noexcept {
  priority_prefix.store(on, std::memory_order_relaxed);
}

bool log_enabled(log_level level) noexcept {
  return static_cast<int>(level)
         <= current_level.load(std::memory_order_relaxed);
}

void log_line(log_level level, const char* component, std::string_view symbol,
              const char* event, const char* fmt, ...) {
  using namespace std::chrono;
  // 1 KiB holds every line we write; longer tails are cut, never overflowed.
  char line[1024];
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  int n = std::snprintf(line, sizeof(line),
                        "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s %.*s %s",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms),
                        level_name(level), component,
                        static_cast<int>(symbol.empty() ? 1 : symbol.size()),
                        symbol.empty() ? "-" : symbol.data(), event);
  auto used = n < 0 ? 0 : static_cast<size_t>(n);
  if (used < sizeof(line) - 2 && fmt != nullptr && fmt[0] != '\0') {
    line[used++] = ' ';
    va_list args;
    va_start(args, fmt);
    int m = std::vsnprintf(line + used, sizeof(line) - used - 1, fmt, args);
    va_end(args);
    if (m > 0)
      used += static_cast<size_t>(m);
  }
  if (used > sizeof(line) - 2)
    used = sizeof(line) - 2;
  // The newline is ours; nothing in the line can add one.
  std::string safe;
  safe.reserve(used + 4);
  if (priority_prefix.load(std::memory_order_relaxed))
    safe += priority_of(level);
  append_escaped(std::string_view{static_cast<const char*>(line), used}, safe);
  safe += '\n';
  std::lock_guard<std::mutex> guard{write_mutex};
  std::fwrite(safe.data(), 1, safe.size(), stderr);
}

} // namespace sv
