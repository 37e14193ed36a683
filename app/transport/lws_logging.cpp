// lws_logging: routes libwebsockets' own log lines through sv logging.
#include "app/transport/lws_logging.hpp"

#include <cstring>

#include <libwebsockets.h>

#include "actors/core/log.hpp"

namespace sv {

namespace {

// Called by lws on whatever thread logs (any service thread); sv::log_line is
// thread-safe, so nothing here needs a lock.
void emit(int level, const char* line) {
  if (line == nullptr)
    return;
  // lws ends every line with '\n'; our log_line adds its own.
  auto len = std::strlen(line);
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    --len;
  auto n = static_cast<int>(len);
  if ((level & LLL_ERR) != 0)
    SV_ERROR("lws", "-", "error", "msg=\"%.*s\"", n, line);
  else if ((level & LLL_WARN) != 0)
    SV_WARN("lws", "-", "warn", "msg=\"%.*s\"", n, line);
  else if ((level & LLL_NOTICE) != 0)
    SV_INFO("lws", "-", "notice", "msg=\"%.*s\"", n, line);
  else
    SV_DEBUG("lws", "-", "info", "msg=\"%.*s\"", n, line);
}

} // namespace

void route_lws_logs(bool verbose) {
  int levels = LLL_ERR | LLL_WARN;
  if (verbose)
    levels |= LLL_NOTICE | LLL_INFO;
  lws_set_log_level(levels, emit);
}

} // namespace sv
