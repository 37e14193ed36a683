// lws_logging: routes libwebsockets' own log lines through sv logging, rate-limited.
#pragma once

#include <cstdint>
#include <vector>

#include "actors/core/log_limiter.hpp"

namespace sv {

/// Call once, from the main thread, before any lws context is created (lws's log
/// level is process-wide and not synchronized). Afterwards lws writes only ERR and
/// WARN lines (plus NOTICE and INFO if `verbose`: handshake steps, timeout reasons,
/// ping/pong) and each goes through sv::log_line as `lws - <level> msg="..."`.
///
/// Rate limit (actors/core/log_limiter.hpp): lines that differ only in numbers are
/// written once per 10 s; the rest of those 10 s is counted and comes out as one
/// `lws - suppressed similar=N over_s=T msg="<first line>"` when the line shows up
/// again, when another lws line arrives after the window, or at
/// flush_lws_log_summaries(). At most 33 groups are tracked, so lws writes at most
/// 66 lines per 10 s whatever it is fed.
void route_lws_logs(bool verbose);

/// Any thread. Writes the summaries of every window with counted lines (call at
/// shutdown, after the lws contexts are destroyed).
void flush_lws_log_summaries();

/// Any thread. Writes one `<component> - suppressed similar=N over_s=T msg="..."`
/// line per summary (the sample's double quotes become single ones, so msg stays
/// one value). Shared by this room's rate-limited logs: lws's lines and the HTTP
/// server's per-client lines.
void log_suppressed(const char* component,
                    const std::vector<log_limiter::summary>& summaries);

/// Milliseconds on the steady clock: the time this room gives its log_limiters.
std::int64_t steady_ms();

} // namespace sv
