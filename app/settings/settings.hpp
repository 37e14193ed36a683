// settings: every runtime setting of streamvisor with its default.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actors/seams/endpoint.hpp"
#include "messages/stream_kind.hpp"

namespace sv {

/// All settings. Defaults here are the documented defaults (docs/operations.md).
struct settings {
  /// Symbols to stream, upper case, de-duplicated case-insensitively, in config order.
  std::vector<std::string> symbols = {"BTCUSDT"};
  /// Streams per symbol: "aggTrade" (trades) and "depth" (local order book, see
  /// book_symbols).
  std::vector<stream_kind> streams = {stream_kind::agg_trade};
  /// Stream base URL (--endpoint).
  endpoint stream_endpoint{true, "stream.binance.com", 9443, ""};
  /// Use /stream?streams=<s>@aggTrade (combined wrapper) instead of /ws/<s>@aggTrade.
  bool combined = false;
  /// REST base URL (--rest-endpoint); used for gap backfill, the warm start and
  /// order-book snapshots.
  endpoint rest_endpoint{true, "api.binance.com", 443, ""};
  /// Extra CA bundle (PEM) trusted in addition to the system store (--ca-file).
  std::string ca_file;
  /// Disables certificate and host-name verification (--insecure); logged loudly.
  bool insecure = false;
  /// API listen address (--http HOST:PORT); loopback by default.
  std::string http_host = "127.0.0.1";
  std::uint16_t http_port = 8089;
  /// API clients connected at once; a further one gets 503 and is closed (counted).
  /// 0 = derived from the descriptor budget at start: min(1024, soft RLIMIT_NOFILE
  /// minus the reserve for the process and the stream and REST sockets); a larger
  /// value is lowered to that budget (docs/operations.md, "Descriptors").
  std::uint32_t api_clients_max = 0;
  /// An API connection that has not sent a complete request header this long after
  /// it was accepted is closed (slow or silent clients must not hold a slot).
  std::uint32_t api_header_timeout_ms = 5000;
  /// An idle keep-alive API connection is closed after this long without a request.
  std::uint32_t api_idle_timeout_s = 30;
  /// Token for PUT/DELETE /symbols/{S} (--api-token); empty: loopback clients only.
  std::string api_token;
  /// The Binance-compatible WebSocket feed on the API port (docs/feed.md).
  /// Feed clients at once; a further one is closed with 1008.
  std::uint32_t feed_clients_max = 256;
  /// Trades behind an open gap wait at most this long for its backfill; then the
  /// feed releases the trades after it and counts the skip.
  std::uint32_t feed_gap_wait_ms = 10000;
  /// A feed client's queue beyond its socket: past either bound it is closed 1008.
  std::uint32_t feed_queue_bytes_max = 8U << 20U;
  std::uint32_t feed_queue_age_ms = 10000;
  /// Ping after this long without a pong; drop when none came this long after.
  std::uint32_t feed_ping_interval_s = 20;
  std::uint32_t feed_pong_timeout_s = 60;
  /// Incoming messages per second per feed client (Binance: 5); more closes it.
  std::uint32_t feed_requests_per_s = 5;
  /// Native feed (/v1/feed): at most one metrics update per symbol this often, and
  /// a heartbeat with the upstream streams' states this often.
  std::uint32_t feed_metrics_interval_ms = 1000;
  std::uint32_t feed_heartbeat_ms = 1000;
  /// Connect deadline: upgrade + first frame (--connect-timeout-ms).
  std::uint32_t connect_timeout_ms = 10000;
  /// Largest REST response body (--rest-body-bytes-max); a bigger answer fails that
  /// request. 16 MiB = 16 << 20, far above Binance's largest (depth limit=5000, a
  /// few hundred KB).
  std::uint32_t rest_body_bytes_max = 16U << 20;
  /// A backfill REST request without an answer this long after it was sent is a
  /// failure of its job, on the backfill actor's clock
  /// (--backfill-request-timeout-ms); the transport gives up 2 s later.
  std::uint32_t backfill_request_timeout_ms = 10000;
  /// Backfill jobs (gaps, warm starts, snapshots) queued at most
  /// (--backfill-jobs-max); a further one is refused at once. 4096 is more than
  /// two gaps and a snapshot for each of 1,000 symbols.
  std::uint32_t backfill_jobs_max = 4096;
  // -- supervision policy (docs/supervision.md explains each default) ---------------
  /// Backoff bound of the first restart; the delay is uniform in [0, bound] (full jitter).
  std::uint32_t backoff_initial_ms = 500;
  /// Cap of the exponentially growing bound (factor 2 per restart).
  std::uint32_t backoff_max_ms = 30000;
  /// A child that streamed this long starts again from backoff_initial_ms.
  std::uint32_t stable_after_s = 60;
  /// More restarts than this within restart_window_s park the child for park_s.
  std::uint32_t max_restarts = 10;
  std::uint32_t restart_window_s = 300;
  std::uint32_t park_s = 300;
  /// If more than this share of all children is parked at once, exit with code 3.
  double escalate_fraction = 0.5;
  /// Connect attempts of all children together per connect_budget_window_s (Binance: 300 / 5 min / IP).
  std::uint32_t connect_budget = 300;
  std::uint32_t connect_budget_window_s = 300;
  /// Connect attempts of all children together per second at most.
  std::uint32_t connect_burst = 10;
  /// Streams per shared socket (SUBSCRIBE on /stream; Binance allows 1,024). 1 keeps
  /// one socket per (symbol, stream), as before shared sockets existed.
  std::uint32_t streams_per_connection = 200;
  /// The transport hands frames read to the actors about once per this many ms,
  /// every socket's at once (fewer wake-ups of the CAF workers for many quiet
  /// sockets; each frame waits up to this long); 0: after every read.
  std::uint32_t delivery_interval_ms = 0;
  /// Client ping every ping_interval_s; no pong within pong_timeout_s drops the connection.
  std::uint32_t ping_interval_s = 20;
  std::uint32_t pong_timeout_s = 10;
  /// No frame for this long on a streaming child (or none after the upgrade) restarts it.
  std::uint32_t silence_timeout_s = 30;
  /// Per-symbol silence timeouts for illiquid markets (TOML table silence_timeout_s_by_symbol).
  std::map<std::string, std::uint32_t> silence_timeout_s_by_symbol;
  /// Connections are rotated before this age: each shared socket drains at it; with
  /// one socket per stream, each child rotates (jittered down by up to 5 %).
  std::uint32_t max_connection_age_s = 84600;
  /// Single-instance lock; empty: $XDG_RUNTIME_DIR/streamvisor.lock, else /tmp/streamvisor-<uid>.lock.
  std::string lock_file;
  /// Trade history bounds per symbol: by count and by age (trade time).
  std::uint32_t history_trades_max = 100000;
  std::uint32_t history_age_s = 3600;
  // -- order-flow windows (docs/data-integrity.md) ----------------------------------
  /// Rolling windows by trade time, seconds (TOML: windows = ["1m", "5m", "15m", "1h"]).
  std::vector<std::uint32_t> windows_s = {60, 300, 900, 3600};
  /// A trade whose notional (price x qty) is at least this many quote units, in units
  /// of 1e-8, is a large trade (TOML: large_trade_quote = "100000"; 0 = none).
  std::int64_t large_trade_quote_e8 = 100000LL * 100000000LL;
  /// Per-symbol large-trade thresholds (TOML table large_trade_quote_by_symbol).
  std::map<std::string, std::int64_t> large_trade_quote_e8_by_symbol;
  /// Most recent large trades kept per symbol for /symbols/{S}/large_trades.
  std::uint32_t large_trades_max = 1000;
  /// Warm start: at the first live trade, load this many seconds of trades before it
  /// from REST, so the windows are full at once (0 = off).
  std::uint32_t warmup_s = 900;
  /// Symbols that get the depth stream and a local order book when `streams` has
  /// "depth"; empty = every symbol. Each must be one of `symbols`.
  std::vector<std::string> book_symbols;
  /// Levels per side of each REST snapshot (/api/v3/depth limit; weight 5..250).
  std::uint32_t book_snapshot_limit = 1000;
  /// Depth events buffered per symbol while waiting for a snapshot (100 s at 100 ms).
  std::uint32_t book_buffer_events = 1000;
  /// N of the book's top-N imbalance figure.
  std::uint32_t book_top_levels = 10;
  /// X of the book's within-X-basis-points-of-mid imbalance figure.
  std::uint32_t book_band_bps = 10;
  /// Grace period for children to close their sockets on SIGINT/SIGTERM.
  std::uint32_t shutdown_timeout_ms = 5000;
  /// Print a per-symbol table to stdout every second (--table; used by the demo).
  bool table = false;
  /// Log level: "error", "warn", "info" (default) or "debug".
  std::string log_level = "info";
  /// NATS JetStream (docs/scale-out.md). The server to publish to (--nats
  /// nats://HOST:PORT); empty: nothing is published.
  std::string nats_url;
  /// The stream, created or updated at start with subjects md.>.
  std::string nats_stream = "MARKETDATA";
  /// The stream's de-duplication window: two instances (or a replay) publishing
  /// the same id within it store it once. At least 2 minutes.
  std::uint32_t nats_duplicate_window_s = 120;
  /// The stream's limits: age (0: none) and size in MiB (0: none).
  std::uint32_t nats_age_s_max = 86400;
  std::uint32_t nats_mb_max = 0;
  /// Messages kept while NATS is down or slow (queued + awaiting the ack); past
  /// it the oldest unsent are dropped, counted and logged.
  std::uint32_t nats_buffer_max = 1000000;
  /// Sharding (docs/scale-out.md): instances with the same group divide the
  /// configured symbols through leases in the key-value bucket sv_shards_<group>
  /// on nats_url's server; empty: every configured symbol streams here.
  std::string shard_group;
  /// This instance's id in the group; empty: the host name and process id.
  std::string shard_instance;
  /// A lease not renewed for this long lapses and another member takes it over.
  std::uint32_t shard_lease_s = 10;
  /// Instances streaming each symbol (each holds one replica's lease).
  std::uint32_t shard_replicas = 1;
};

} // namespace sv
