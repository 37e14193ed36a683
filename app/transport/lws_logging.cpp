// lws_logging: routes libwebsockets' own log lines through sv logging, rate-limited.
#include "app/transport/lws_logging.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

#include <libwebsockets.h>

#include "actors/core/log.hpp"
#include "actors/core/log_limiter.hpp"

namespace sv {

namespace {

/// The limiter shared by every lws thread; guarded by its mutex.
struct limited_log {
  std::mutex mtx;
  log_limiter limiter{log_limiter::options{}};
};

limited_log& shared_log() {
  static limited_log instance;
  return instance;
}

void write_line(int level, std::string_view line) {
  auto n = static_cast<int>(line.size());
  if ((level & LLL_ERR) != 0)
    SV_ERROR("lws", "-", "error", "msg=\"%.*s\"", n, line.data());
  else if ((level & LLL_WARN) != 0)
    SV_WARN("lws", "-", "warn", "msg=\"%.*s\"", n, line.data());
  else if ((level & LLL_NOTICE) != 0)
    SV_INFO("lws", "-", "notice", "msg=\"%.*s\"", n, line.data());
  else
    SV_DEBUG("lws", "-", "info", "msg=\"%.*s\"", n, line.data());
}

// Called by lws on whatever thread logs (any service thread); the limiter is
// shared, so it is locked while deciding and writing (which keeps a summary
// before the line that ended its window).
void emit(int level, const char* text) {
  if (text == nullptr)
    return;
  // lws ends every line with '\n'; our log_line adds its own.
  std::string_view line{text};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  auto& log = shared_log();
  std::lock_guard<std::mutex> guard{log.mtx};
  auto verdict = log.limiter.admit(line, steady_ms());
  log_suppressed("lws", verdict.summaries);
  if (verdict.write)
    write_line(level, line);
}

} // namespace

void route_lws_logs(bool verbose) {
  int levels = LLL_ERR | LLL_WARN;
  if (verbose)
    levels |= LLL_NOTICE | LLL_INFO;
  lws_set_log_level(levels, emit);
}

void flush_lws_log_summaries() {
  auto& log = shared_log();
  std::lock_guard<std::mutex> guard{log.mtx};
  log_suppressed("lws", log.limiter.flush(steady_ms(), true));
}

void log_suppressed(const char* component,
                    const std::vector<log_limiter::summary>& summaries) {
  for (const auto& s : summaries) {
    auto sample = s.sample;
    std::replace(sample.begin(), sample.end(), '"', '\'');
    SV_WARN(component, "-", "suppressed", "similar=%llu over_s=%.1f msg=\"%s\"",
            static_cast<unsigned long long>(s.suppressed),
            static_cast<double>(s.over_ms) / 1000.0, sample.c_str());
  }
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace sv
