// wiring: pure functions from settings to the config of each actor and of the transports.
#include "app/wiring.hpp"

#include <algorithm>
#include <cstdint>

#include "app/settings/config.hpp"
#include "messages/stream_kind.hpp"

namespace sv {

namespace {

/// Stream starts on shared sockets (see supervisor_config_for): 1,000 a second
/// starts 1,500 symbols x 2 streams in 3 s; the window's cap only stops a storm.
constexpr std::uint32_t packed_starts_per_second = 1000;
constexpr std::uint32_t packed_starts_per_window = 100'000;

} // namespace

backfill_config backfill_config_for(const settings& cfg) {
  backfill_config result;
  result.server = cfg.rest_endpoint;
  result.request_timeout_ms = cfg.backfill_request_timeout_ms;
  result.jobs_max = cfg.backfill_jobs_max;
  return result;
}

aggregator_limits aggregator_limits_for(const settings& cfg,
                                        const std::string& symbol) {
  aggregator_limits result;
  result.trades_max = cfg.history_trades_max;
  result.age_s = cfg.history_age_s;
  result.windows_ms.clear();
  for (auto seconds : cfg.windows_s)
    result.windows_ms.push_back(std::int64_t{seconds} * 1000);
  result.large_trades_max = cfg.large_trades_max;
  result.warmup_s = cfg.warmup_s;
  result.feed_gap_wait_ms = cfg.feed_gap_wait_ms;
  auto threshold = cfg.large_trade_quote_e8_by_symbol.find(symbol);
  result.large_trade_quote_e8 = threshold
                                    != cfg.large_trade_quote_e8_by_symbol.end()
                                  ? threshold->second
                                  : cfg.large_trade_quote_e8;
  return result;
}

book_config book_config_for(const settings& cfg) {
  book_config result;
  result.snapshot_limit = cfg.book_snapshot_limit;
  result.buffer_max = cfg.book_buffer_events;
  result.top_levels = cfg.book_top_levels;
  result.band_bps = cfg.book_band_bps;
  return result;
}

bool wants_book(const settings& cfg, const std::string& symbol) {
  auto has = [](const auto& xs, const auto& x) {
    return std::find(xs.begin(), xs.end(), x) != xs.end();
  };
  return has(cfg.streams, stream_kind::depth)
         && (cfg.book_symbols.empty() || has(cfg.book_symbols, symbol));
}

std::vector<std::string> book_symbols_of(const settings& cfg) {
  std::vector<std::string> result;
  for (auto& symbol : cfg.symbols)
    if (wants_book(cfg, symbol))
      result.push_back(symbol);
  return result;
}

std::vector<stream_kind> streams_of(const settings& cfg,
                                    const std::string& symbol) {
  std::vector<stream_kind> result;
  for (auto stream : cfg.streams)
    if (stream != stream_kind::depth || wants_book(cfg, symbol))
      result.push_back(stream);
  return result;
}

std::vector<child_spec> stream_children(const settings& cfg) {
  std::vector<child_spec> result;
  for (auto& symbol : cfg.symbols)
    for (auto stream : streams_of(cfg, symbol))
      result.emplace_back(symbol, stream);
  return result;
}

supervisor_config supervisor_config_for(const settings& cfg) {
  supervisor_config result;
  result.server = cfg.stream_endpoint;
  result.combined = cfg.combined;
  result.connect_timeout_ms = cfg.connect_timeout_ms;
  result.policy.backoff_initial_ms = cfg.backoff_initial_ms;
  result.policy.backoff_max_ms = cfg.backoff_max_ms;
  result.policy.stable_after_ms = std::int64_t{cfg.stable_after_s} * 1000;
  result.policy.max_restarts = cfg.max_restarts;
  result.policy.restart_window_ms = std::int64_t{cfg.restart_window_s} * 1000;
  result.policy.park_ms = std::int64_t{cfg.park_s} * 1000;
  result.escalate_fraction = cfg.escalate_fraction;
  result.connect_budget = cfg.connect_budget;
  result.connect_budget_window_s = cfg.connect_budget_window_s;
  result.connect_burst = cfg.connect_burst;
  if (cfg.streams_per_connection > 1) {
    // On shared sockets a child's attempt is a SUBSCRIBE parameter, not a
    // connection: the connect budget applies to the pool's sockets
    // (socket_pool_config_for). Children are still paced, so a restart storm
    // cannot flood the sockets' control messages.
    result.connect_budget = packed_starts_per_window;
    result.connect_burst = packed_starts_per_second;
  }
  result.silence_timeout_ms = cfg.silence_timeout_s * 1000;
  // On shared sockets the pool rotates whole sockets at this age (each stream
  // rotates on the pool's serverShutdown); a stream's own age means nothing there.
  result.max_connection_age_ms = cfg.streams_per_connection > 1
                                   ? 0
                                   : std::int64_t{cfg.max_connection_age_s}
                                       * 1000;
  for (auto& [symbol, seconds] : cfg.silence_timeout_s_by_symbol)
    result.silence_timeout_ms_by_symbol[symbol] = seconds * 1000;
  result.shutdown_timeout_ms = cfg.shutdown_timeout_ms;
  return result;
}

feed_config feed_config_for(const settings& cfg) {
  feed_config result;
  result.clients_max = cfg.feed_clients_max;
  result.requests_per_s = cfg.feed_requests_per_s;
  result.metrics_interval_ms = cfg.feed_metrics_interval_ms;
  result.heartbeat_ms = cfg.feed_heartbeat_ms;
  // Book deltas and metrics give way well before the queue bound closes a client.
  result.conflate_bytes = cfg.feed_queue_bytes_max / 4;
  result.symbols = cfg.symbols;
  result.book_symbols = book_symbols_of(cfg);
  return result;
}

nats_publisher_config nats_publisher_config_for(const settings& cfg) {
  nats_publisher_config result;
  result.url = cfg.nats_url;
  result.stream = cfg.nats_stream;
  result.duplicate_window_s = cfg.nats_duplicate_window_s;
  result.age_s_max = cfg.nats_age_s_max;
  result.mb_max = cfg.nats_mb_max;
  result.buffer_max = cfg.nats_buffer_max;
  return result;
}

api_config api_config_for(const settings& cfg) {
  api_config result;
  result.symbols = cfg.symbols;
  result.trades_limit_max = cfg.history_trades_max;
  result.version = version_number();
  result.api_token = cfg.api_token;
  return result;
}

symbol_plan symbol_plan_for(const settings& cfg) {
  symbol_plan plan;
  for (const auto& symbol : cfg.symbols) {
    plan.symbols.push_back(symbol);
    plan.streams.push_back(streams_of(cfg, symbol));
  }
  plan.large_trade_quote_e8_by_symbol = cfg.large_trade_quote_e8_by_symbol;
  return plan;
}

shard_member_config shard_member_config_for(const settings& cfg) {
  shard_member_config result;
  result.url = cfg.nats_url;
  result.group = cfg.shard_group;
  result.instance = cfg.shard_instance.empty() ? default_shard_instance()
                                               : cfg.shard_instance;
  result.lease_s = cfg.shard_lease_s;
  result.replicas = cfg.shard_replicas;
  result.stream = cfg.nats_stream;
  result.default_streams = cfg.streams;
  result.plan = symbol_plan_for(cfg);
  // As the registry waits for a removal (registry_config_for).
  result.remove_timeout_ms = cfg.shutdown_timeout_ms + 2000 + 1000;
  return result;
}

registry_config
registry_config_for(const settings& cfg, const supervisor_if& supervisor,
                    const backfill_if& backfill,
                    const std::map<std::string, aggregator_if>& aggregators,
                    const std::map<std::string, book_if>& books) {
  registry_config result;
  result.supervisor = supervisor;
  result.limits = aggregator_limits_for(cfg, "");
  result.large_trade_quote_e8_by_symbol = cfg.large_trade_quote_e8_by_symbol;
  result.book = book_config_for(cfg);
  result.backfill = backfill;
  result.streams = cfg.streams;
  result.table.symbols = cfg.symbols;
  result.table.aggregators = aggregators;
  result.table.books = books;
  // The supervisor closes a removed symbol's children within its shutdown
  // deadline; the registry waits that plus 2 s for its answer.
  result.remove_timeout_ms = cfg.shutdown_timeout_ms + 2000;
  return result;
}

socket_pool_config socket_pool_config_for(const settings& cfg) {
  socket_pool_config result;
  result.server = cfg.stream_endpoint;
  result.streams_per_socket = cfg.streams_per_connection;
  result.connect_budget = cfg.connect_budget;
  result.connect_budget_window_ms = cfg.connect_budget_window_s * 1000;
  result.connect_burst = cfg.connect_burst;
  result.max_socket_age_ms = std::int64_t{cfg.max_connection_age_s} * 1000;
  result.socket_silence_ms = std::int64_t{cfg.silence_timeout_s} * 1000;
  return result;
}

lws_client_options transport_options_for(const settings& cfg) {
  lws_client_options result;
  result.ca_file = cfg.ca_file;
  result.insecure = cfg.insecure;
  // lws's own handshake timeout is a second line behind the supervisor's deadline.
  result.handshake_timeout_s = cfg.connect_timeout_ms / 1000 + 2;
  // lws pings after ping_interval_s without a valid pong and drops the connection
  // when none came pong_timeout_s later.
  result.ping_after_s = static_cast<std::uint16_t>(cfg.ping_interval_s);
  result.hangup_after_s
    = static_cast<std::uint16_t>(cfg.ping_interval_s + cfg.pong_timeout_s);
  result.rest_body_bytes_max = cfg.rest_body_bytes_max;
  result.delivery_interval_ms = cfg.delivery_interval_ms;
  // lws's own REST timeout is a second line behind the backfill actor's deadline,
  // which decides; the transport then only closes the socket.
  result.rest_timeout_ms = cfg.backfill_request_timeout_ms + 2000;
  return result;
}

lws_http_server_options http_options_for(const settings& cfg,
                                         const fd_budget& budget) {
  lws_http_server_options result;
  result.host = cfg.http_host;
  result.port = cfg.http_port;
  result.clients_max = budget.api_clients_max;
  result.header_timeout_ms = cfg.api_header_timeout_ms;
  result.idle_timeout_s = cfg.api_idle_timeout_s;
  result.feed_queue_bytes_max = cfg.feed_queue_bytes_max;
  result.feed_queue_age_ms = cfg.feed_queue_age_ms;
  result.feed_ping_interval_s
    = static_cast<std::uint16_t>(cfg.feed_ping_interval_s);
  result.feed_pong_timeout_s
    = static_cast<std::uint16_t>(cfg.feed_pong_timeout_s);
  return result;
}

fd_budget plan_api_budget(const settings& cfg, std::uint64_t nofile_limit) {
  return plan_fd_budget(nofile_limit, stream_children(cfg).size(),
                        cfg.api_clients_max);
}

} // namespace sv
