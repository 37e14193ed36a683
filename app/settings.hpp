// settings: every runtime setting of streamvisor with its default.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sv {

/// A parsed `scheme://host:port[/path]` URL.
struct endpoint {
  bool tls = true;        ///< wss/https (true) or ws/http (false)
  std::string host;       ///< host name or IP literal (IPv6 without brackets)
  std::uint16_t port = 0; ///< explicit port, or the scheme's default (443 / 80)
  std::string base_path;  ///< path prefix without trailing '/', usually empty
};

/// All settings. Defaults here are the documented defaults (docs/operations.md).
struct settings {
  /// Symbols to stream, upper case, de-duplicated case-insensitively, in config order.
  std::vector<std::string> symbols = {"BTCUSDT"};
  /// Streams per symbol; only "aggTrade" exists so far.
  std::vector<std::string> streams = {"aggTrade"};
  /// Stream base URL (--endpoint).
  endpoint stream_endpoint{true, "stream.binance.com", 9443, ""};
  /// Use /stream?streams=<s>@aggTrade (combined wrapper) instead of /ws/<s>@aggTrade.
  bool combined = false;
  /// REST base URL (--rest-endpoint); used by gap backfill (later issue).
  endpoint rest_endpoint{true, "api.binance.com", 443, ""};
  /// Extra CA bundle (PEM) trusted in addition to the system store (--ca-file).
  std::string ca_file;
  /// Disables certificate and host-name verification (--insecure); logged loudly.
  bool insecure = false;
  /// API listen address (--http HOST:PORT); loopback by default.
  std::string http_host = "127.0.0.1";
  std::uint16_t http_port = 8089;
  /// Connect deadline: upgrade + first frame (--connect-timeout-ms).
  std::uint32_t connect_timeout_ms = 10000;
  /// Delay before a failed child is restarted.
  std::uint32_t restart_delay_ms = 1000;
  /// Trade history bounds per symbol: by count and by age (trade time).
  std::uint32_t history_trades_max = 100000;
  std::uint32_t history_age_s = 3600;
  /// Grace period for children to close their sockets on SIGINT/SIGTERM.
  std::uint32_t shutdown_timeout_ms = 5000;
  /// Print a per-symbol table to stdout every second (--table; used by the demo).
  bool table = false;
  /// Log level: "error", "warn", "info" (default) or "debug".
  std::string log_level = "info";
};

} // namespace sv
