// wiring_test: the pure mapping from settings to each actor's config.
#include "app/wiring.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using sv::child_spec;
using sv::stream_kind;

TEST_CASE("default settings give the documented actor configs", "[wiring]") {
  sv::settings cfg;
  auto sup = sv::supervisor_config_for(cfg);
  CHECK(sup.server.tls);
  CHECK(sup.server.host == "stream.binance.com");
  CHECK(sup.server.port == 9443);
  CHECK(sup.server.base_path.empty());
  CHECK(sup.policy.stable_after_ms == 60000);
  CHECK(sup.policy.restart_window_ms == 300000);
  CHECK(sup.policy.park_ms == 300000);
  CHECK(sup.silence_timeout_ms == 30000);
  // Shared sockets by default: sockets rotate, streams move with them.
  CHECK(sup.max_connection_age_ms == 0);
  CHECK(sv::socket_pool_config_for(cfg).streams_per_socket == 200);
  CHECK(sv::socket_pool_config_for(cfg).max_socket_age_ms == 84600000);
  auto bf = sv::backfill_config_for(cfg);
  CHECK(bf.server.host == "api.binance.com");
  CHECK(bf.server.port == 443);
  auto limits = sv::aggregator_limits_for(cfg, "BTCUSDT");
  CHECK(limits.windows_ms
        == std::vector<std::int64_t>{60000, 300000, 900000, 3600000});
  CHECK(limits.large_trade_quote_e8 == 100000LL * 100000000LL);
  CHECK(limits.warmup_s == 900);
  CHECK(sv::stream_children(cfg)
        == std::vector<child_spec>{{"BTCUSDT", stream_kind::agg_trade}});
  CHECK(sv::book_symbols_of(cfg).empty());
}

TEST_CASE(
  "the supervisor config carries every supervision setting, seconds as ms",
  "[wiring]") {
  sv::settings cfg;
  cfg.stream_endpoint = {false, "127.0.0.1", 8080, "/feed"};
  cfg.combined = true;
  cfg.streams_per_connection = 1; // one combined socket per stream
  cfg.connect_timeout_ms = 1234;
  cfg.backoff_initial_ms = 7;
  cfg.backoff_max_ms = 70;
  cfg.stable_after_s = 2;
  cfg.max_restarts = 3;
  cfg.restart_window_s = 4;
  cfg.park_s = 5;
  cfg.escalate_fraction = 0.25;
  cfg.connect_budget = 6;
  cfg.connect_budget_window_s = 7;
  cfg.connect_burst = 8;
  cfg.silence_timeout_s = 9;
  cfg.silence_timeout_s_by_symbol = {{"ETHUSDT", 11}};
  cfg.max_connection_age_s = 12;
  cfg.shutdown_timeout_ms = 13;
  auto sup = sv::supervisor_config_for(cfg);
  CHECK_FALSE(sup.server.tls);
  CHECK(sup.server.host == "127.0.0.1");
  CHECK(sup.server.port == 8080);
  CHECK(sup.server.base_path == "/feed");
  CHECK(sup.combined);
  CHECK(sup.connect_timeout_ms == 1234);
  CHECK(sup.policy.backoff_initial_ms == 7);
  CHECK(sup.policy.backoff_max_ms == 70);
  CHECK(sup.policy.stable_after_ms == 2000);
  CHECK(sup.policy.max_restarts == 3);
  CHECK(sup.policy.restart_window_ms == 4000);
  CHECK(sup.policy.park_ms == 5000);
  CHECK(sup.escalate_fraction == 0.25);
  CHECK(sup.connect_budget == 6);
  CHECK(sup.connect_budget_window_s == 7);
  CHECK(sup.connect_burst == 8);
  CHECK(sup.silence_timeout_ms == 9000);
  CHECK(sup.silence_timeout_ms_by_symbol.at("ETHUSDT") == 11000);
  CHECK(sup.max_connection_age_ms == 12000);
  CHECK(sup.shutdown_timeout_ms == 13);
}

TEST_CASE("the backfill config is the REST endpoint, its request deadline and "
          "its queue bound",
          "[wiring]") {
  sv::settings cfg;
  auto d = sv::backfill_config_for(cfg);
  CHECK(d.request_timeout_ms == sv::backfill_config{}.request_timeout_ms);
  CHECK(d.jobs_max == sv::backfill_config{}.jobs_max);
  cfg.rest_endpoint = {false, "localhost", 8081, "/rest"};
  cfg.backfill_request_timeout_ms = 3000;
  cfg.backfill_jobs_max = 64;
  auto bf = sv::backfill_config_for(cfg);
  CHECK_FALSE(bf.server.tls);
  CHECK(bf.server.host == "localhost");
  CHECK(bf.server.port == 8081);
  CHECK(bf.server.base_path == "/rest");
  CHECK(bf.request_timeout_ms == 3000);
  CHECK(bf.jobs_max == 64);
  // The transport's own REST timeout is a second line behind the actor's deadline.
  CHECK(sv::transport_options_for(cfg).rest_timeout_ms == 3000 + 2000);
}

TEST_CASE("a symbol's large-trade override wins over the global threshold",
          "[wiring]") {
  sv::settings cfg;
  cfg.history_trades_max = 10;
  cfg.history_age_s = 20;
  cfg.windows_s = {1, 30};
  cfg.large_trades_max = 5;
  cfg.warmup_s = 0;
  cfg.large_trade_quote_e8 = 100;
  cfg.large_trade_quote_e8_by_symbol = {{"ETHUSDT", 7}};
  auto btc = sv::aggregator_limits_for(cfg, "BTCUSDT");
  auto eth = sv::aggregator_limits_for(cfg, "ETHUSDT");
  CHECK(btc.large_trade_quote_e8 == 100);
  CHECK(eth.large_trade_quote_e8 == 7);
  CHECK(btc.trades_max == 10);
  CHECK(btc.age_s == 20);
  CHECK(btc.windows_ms == std::vector<std::int64_t>{1000, 30000});
  CHECK(btc.large_trades_max == 5);
  CHECK(btc.warmup_s == 0);
}

TEST_CASE("the book config carries the book settings", "[wiring]") {
  sv::settings cfg;
  cfg.book_snapshot_limit = 100;
  cfg.book_buffer_events = 200;
  cfg.book_top_levels = 3;
  cfg.book_band_bps = 4;
  auto book = sv::book_config_for(cfg);
  CHECK(book.snapshot_limit == 100);
  CHECK(book.buffer_max == 200);
  CHECK(book.top_levels == 3);
  CHECK(book.band_bps == 4);
}

TEST_CASE("without a depth stream no symbol gets a book, even if listed",
          "[wiring]") {
  sv::settings cfg;
  cfg.symbols = {"BTCUSDT", "ETHUSDT"};
  cfg.book_symbols = {"ETHUSDT"};
  CHECK(sv::book_symbols_of(cfg).empty());
  CHECK(sv::stream_children(cfg)
        == std::vector<child_spec>{{"BTCUSDT", stream_kind::agg_trade},
                                   {"ETHUSDT", stream_kind::agg_trade}});
}

TEST_CASE(
  "with depth and no book_symbols every symbol gets a book and a depth child",
  "[wiring]") {
  sv::settings cfg;
  cfg.symbols = {"BTCUSDT", "ETHUSDT"};
  cfg.streams = {stream_kind::agg_trade, stream_kind::depth};
  CHECK(sv::book_symbols_of(cfg)
        == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
  CHECK(sv::stream_children(cfg)
        == std::vector<child_spec>{{"BTCUSDT", stream_kind::agg_trade},
                                   {"BTCUSDT", stream_kind::depth},
                                   {"ETHUSDT", stream_kind::agg_trade},
                                   {"ETHUSDT", stream_kind::depth}});
}

TEST_CASE("book_symbols limits books and depth children to the listed symbols",
          "[wiring]") {
  sv::settings cfg;
  cfg.symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  cfg.streams = {stream_kind::agg_trade, stream_kind::depth};
  cfg.book_symbols = {"ETHUSDT"};
  CHECK(sv::wants_book(cfg, "ETHUSDT"));
  CHECK_FALSE(sv::wants_book(cfg, "BTCUSDT"));
  CHECK(sv::book_symbols_of(cfg) == std::vector<std::string>{"ETHUSDT"});
  CHECK(sv::stream_children(cfg)
        == std::vector<child_spec>{{"BTCUSDT", stream_kind::agg_trade},
                                   {"ETHUSDT", stream_kind::agg_trade},
                                   {"ETHUSDT", stream_kind::depth},
                                   {"SOLUSDT", stream_kind::agg_trade}});
}

TEST_CASE("the api config lists the symbols and bounds ?limit= by the history",
          "[wiring]") {
  sv::settings cfg;
  cfg.symbols = {"BTCUSDT", "ETHUSDT"};
  cfg.history_trades_max = 42;
  auto api = sv::api_config_for(cfg);
  CHECK(api.symbols == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
  CHECK(api.trades_limit_max == 42);
  CHECK(api.responder == nullptr);
}

TEST_CASE("the transport's lws timeouts follow the connect deadline and the "
          "ping settings",
          "[wiring]") {
  sv::settings defaults;
  auto d = sv::transport_options_for(defaults);
  CHECK(d.ca_file.empty());
  CHECK(!d.insecure);
  CHECK(d.handshake_timeout_s == 10000 / 1000 + 2);
  CHECK(d.ping_after_s == 20);
  CHECK(d.hangup_after_s == 20 + 10);
  CHECK(d.batch_frames_max == sv::lws_client_options{}.batch_frames_max);
  CHECK(d.rest_body_bytes_max == sv::lws_client_options{}.rest_body_bytes_max);

  sv::settings cfg;
  cfg.ca_file = "/etc/extra-ca.pem";
  cfg.insecure = true;
  cfg.connect_timeout_ms = 2500; // whole seconds: 2
  cfg.ping_interval_s = 5;
  cfg.pong_timeout_s = 7;
  cfg.delivery_interval_ms = 20;
  auto t = sv::transport_options_for(cfg);
  CHECK(t.delivery_interval_ms == 20);
  CHECK(d.delivery_interval_ms == 0);
  CHECK(t.ca_file == "/etc/extra-ca.pem");
  CHECK(t.insecure);
  CHECK(t.handshake_timeout_s == 4);
  CHECK(t.ping_after_s == 5);
  CHECK(t.hangup_after_s == 12);
}

TEST_CASE("the HTTP server listens where --http says", "[wiring]") {
  sv::settings defaults;
  auto d = sv::http_options_for(defaults, sv::plan_api_budget(defaults, 4096));
  CHECK(d.host == "127.0.0.1");
  CHECK(d.port == 8089);
  CHECK(d.clients_max == 1024);
  CHECK(d.header_timeout_ms == 5000);
  CHECK(d.idle_timeout_s == 30);
  sv::settings cfg;
  cfg.http_host = "::1";
  cfg.http_port = 0;
  cfg.api_header_timeout_ms = 700;
  cfg.api_idle_timeout_s = 9;
  auto h = sv::http_options_for(cfg, sv::plan_api_budget(cfg, 256));
  CHECK(h.host == "::1");
  CHECK(h.port == 0);
  CHECK(h.header_timeout_ms == 700);
  CHECK(h.idle_timeout_s == 9);
  CHECK(h.request_timeout_ms
        == sv::lws_http_server_options{}.request_timeout_ms);
}

TEST_CASE("the API client cap leaves two descriptors per stream connection, "
          "four for REST and 64 for the process",
          "[wiring]") {
  sv::settings cfg;
  cfg.symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  cfg.streams = {sv::stream_kind::agg_trade, sv::stream_kind::depth};
  // 3 symbols x 2 streams = 6 connections: 64 + 4 + 2 x 6 = 80 reserved.
  auto b = sv::plan_api_budget(cfg, 256);
  CHECK(b.reserved == 80);
  CHECK(b.api_clients_max == 176);
  CHECK_FALSE(b.lowered);
  cfg.book_symbols = {"BTCUSDT"}; // depth for one symbol: 4 connections
  CHECK(sv::plan_api_budget(cfg, 256).api_clients_max == 180);
}

TEST_CASE(
  "the socket pool serves the stream endpoint with streams_per_connection "
  "streams per socket",
  "[wiring]") {
  sv::settings cfg;
  cfg.stream_endpoint = sv::endpoint{false, "127.0.0.1", 9000, "/base"};
  cfg.streams_per_connection = 200;
  auto pool = sv::socket_pool_config_for(cfg);
  CHECK_FALSE(pool.server.tls);
  CHECK(pool.server.host == "127.0.0.1");
  CHECK(pool.server.port == 9000);
  CHECK(pool.server.base_path == "/base");
  CHECK(pool.streams_per_socket == 200);
  CHECK(pool.control_interval_ms
        == 250); // Binance: at most 5 messages a second
  // The connect budget moves to the sockets; children start fast but paced.
  CHECK(pool.connect_budget == 300);
  CHECK(pool.connect_budget_window_ms == 300'000);
  CHECK(pool.connect_burst == 10);
  auto sup = sv::supervisor_config_for(cfg);
  CHECK(sup.connect_burst == 1000);
  CHECK(sup.connect_budget == 100'000);
  // Rotation moves from each stream to each socket.
  CHECK(pool.max_socket_age_ms == 84'600'000);
  CHECK(sup.max_connection_age_ms == 0);
  cfg.streams_per_connection = 1;
  CHECK(sv::supervisor_config_for(cfg).connect_burst == 10);
  CHECK(sv::supervisor_config_for(cfg).max_connection_age_ms == 84'600'000);
}

TEST_CASE("the shard member's config carries the shard_* settings and the "
          "group's symbols with their streams",
          "[wiring]") {
  sv::settings cfg;
  cfg.nats_url = "nats://10.0.0.5:4222";
  cfg.nats_stream = "TRADES";
  cfg.shard_group = "eu";
  cfg.shard_lease_s = 7;
  cfg.shard_replicas = 2;
  cfg.symbols = {"BTCUSDT", "ETHUSDT"};
  cfg.streams = {sv::stream_kind::agg_trade, sv::stream_kind::depth};
  cfg.book_symbols = {"ETHUSDT"};
  auto m = sv::shard_member_config_for(cfg);
  CHECK(m.url == "nats://10.0.0.5:4222");
  CHECK(m.group == "eu");
  CHECK(m.stream == "TRADES");
  CHECK(m.lease_s == 7);
  CHECK(m.replicas == 2);
  CHECK(m.plan.symbols == cfg.symbols);
  REQUIRE(m.plan.streams.size() == 2);
  CHECK(m.plan.streams[0]
        == std::vector<sv::stream_kind>{sv::stream_kind::agg_trade});
  CHECK(m.plan.streams[1] == cfg.streams);
  // No id given: the host name and process id, as a bucket key accepts them.
  CHECK(m.instance == sv::default_shard_instance());
  CHECK(m.instance.find('.') == std::string::npos);
  cfg.shard_instance = "node-7";
  CHECK(sv::shard_member_config_for(cfg).instance == "node-7");
}

TEST_CASE("the JetStream publisher config carries every nats_* setting",
          "[wiring]") {
  sv::settings defaults;
  auto d = sv::nats_publisher_config_for(defaults);
  CHECK(d.url.empty());
  CHECK(d.stream == "MARKETDATA");
  CHECK(d.duplicate_window_s == 120);
  CHECK(d.age_s_max == 86400);
  CHECK(d.mb_max == 0);
  CHECK(d.buffer_max == 1000000);
  sv::settings cfg;
  cfg.nats_url = "nats://user:pw@10.0.0.5:4223";
  cfg.nats_stream = "TRADES";
  cfg.nats_duplicate_window_s = 600;
  cfg.nats_age_s_max = 7200;
  cfg.nats_mb_max = 512;
  cfg.nats_buffer_max = 5000;
  auto n = sv::nats_publisher_config_for(cfg);
  // The publisher needs the credentials; it leaves them out of what it shows.
  CHECK(n.url == "nats://user:pw@10.0.0.5:4223");
  CHECK(n.stream == "TRADES");
  CHECK(n.duplicate_window_s == 600);
  CHECK(n.age_s_max == 7200);
  CHECK(n.mb_max == 512);
  CHECK(n.buffer_max == 5000);
  // Not settings: the publisher's own defaults.
  CHECK(n.ack_wait_ms == sv::nats_publisher_config{}.ack_wait_ms);
  CHECK(n.in_flight_max == sv::nats_publisher_config{}.in_flight_max);
}
