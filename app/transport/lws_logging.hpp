// lws_logging: routes libwebsockets' own log lines through sv logging.
#pragma once

namespace sv {

/// Call once, from the main thread, before any lws context is created (lws's log
/// level is process-wide and not synchronized). Afterwards lws writes only ERR and
/// WARN lines (plus NOTICE and INFO if `verbose`: handshake steps, timeout reasons,
/// ping/pong) and each goes through sv::log_line as `lws - <level> msg="..."`.
void route_lws_logs(bool verbose);

} // namespace sv
