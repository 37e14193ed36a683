// Tests of metrics_text: Prometheus's text format 0.0.4, checked by hand and by promtool.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "actors/core/latency_histogram.hpp"
#include "actors/core/observe.hpp"
#include "actors/wire/metrics_text.hpp"

using namespace sv;

namespace {

/// Lines of `text` that start with `prefix`, joined by '\n'.
std::string lines_starting(const std::string& text, const char* prefix) {
  std::string result;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos)
      end = text.size();
    auto line = text.substr(at, end - at);
    if (line.rfind(prefix, 0) == 0)
      result += line + "\n";
    at = end + 1;
  }
  return result;
}

/// A scrape with every family present.
struct full_scrape {
  std::vector<child_status> children;
  supervisor_metrics supervisor;
  backfill_status backfill;
  pool_status pool;
  transport_counters transport;
  histogram_counts frame_latency;
  process_stats process;
  feed_status feed;
  publisher_status nats;
  shard_status shard;

  full_scrape() {
    child_status trade;
    trade.symbol = "BTCUSDT";
    trade.state = child_state::streaming;
    trade.connect_attempts = 3;
    trade.restarts = 2;
    trade.restarts_by_cause[static_cast<std::size_t>(
      restart_cause::silence_timeout)]
      = 2;
    trade.frames = 100;
    trade.last_message_age_ms = 1500;
    trade.gaps_detected = 1;
    trade.trades_backfilled = 7;
    child_status depth;
    depth.symbol = "BTCUSDT";
    depth.stream = stream_kind::depth;
    depth.state = child_state::backoff;
    depth.book_known = true;
    depth.book_state = book_phase::syncing;
    depth.book_resyncs = 4;
    children = {trade, depth};
    auto h = make_histogram({0.01, 0.1, 1});
    observe(h, 0.005);
    observe(h, 0.05);
    observe(h, 0.05);
    observe(h, 5);
    supervisor.connect_latency = {h, make_histogram({0.01, 0.1, 1})};
    supervisor.connect_budget = 300;
    supervisor.connect_budget_used = 12;
    backfill.weight_budget = 6000;
    backfill.weight_used = 20;
    backfill.weight_used_reported = 31;
    backfill.pauses_429 = 1;
    pool.sockets.resize(2);
    pool.sockets[0].phase = socket_phase::open;
    pool.sockets[1].phase = socket_phase::draining;
    pool.sockets_opened = 5;
    latency_histogram samples;
    samples.add(3);
    samples.add(40);
    samples.add(400);
    samples.add(20'000);
    frame_latency = samples.prometheus_counts();
    process.known = true;
    process.cpu_seconds = 1.25;
    process.resident_bytes = 1 << 20;
    process.open_fds = 9;
    process.max_fds = 1024;
    process.start_time_seconds = 1764969600.5;
    feed.clients.resize(2);
    feed.opened = 3;
    feed.closed_slow = 1;
    feed.trades_released = 50;
    feed.trades_sent = 100;
    nats.url = "nats://127.0.0.1:4222";
    nats.stream = "MARKETDATA";
    nats.connected = true;
    nats.stream_ready = true;
    nats.queued = 3;
    nats.in_flight = 4;
    nats.published = 12;
    nats.acked = 8;
    nats.duplicates = 1;
    nats.republished = 2;
    nats.ack_errors = 2;
    nats.dropped = 5;
    nats.expired = 6;
    nats.disconnects = 1;
    latency_histogram acks;
    acks.add(800);
    acks.add(800);
    acks.add(3000);
    nats.ack_latency = acks.snapshot();
    shard.group = "eu";
    shard.connected = true;
    shard.members = 3;
    shard.held = {"BTCUSDT", "ETHUSDT"};
    shard.unheld = 1;
    shard.rounds = 9;
    shard.round_ms = 250;
    shard.taken = 4;
    shard.released = 2;
    shard.lost = 1;
    shard.handovers = 3;
    shard.changes_pending = 2;
    shard.changes_written = 5;
  }

  [[nodiscard]] std::string render() const {
    metrics_inputs in;
    in.version = "1.2.3";
    in.children = &children;
    in.supervisor = &supervisor;
    in.backfill = &backfill;
    in.pool = &pool;
    in.transport = &transport;
    in.frame_latency = &frame_latency;
    in.process = &process;
    in.feed = &feed;
    in.nats = &nats;
    in.shard = &shard;
    return metrics_text(in);
  }
};

} // namespace

TEST_CASE("label values escape backslashes, quotes and newlines",
          "[metrics_text]") {
  std::vector<child_status> children(1);
  children[0].symbol = "A\\B\"C\nD";
  metrics_inputs in;
  in.children = &children;
  auto text = metrics_text(in);
  CHECK_THAT(text, Catch::Contains(R"(symbol="A\\B\"C\nD")"));
  CHECK_THAT(text, !Catch::Contains("C\nD"));
}

TEST_CASE("a histogram's buckets are cumulative and +Inf equals its count",
          "[metrics_text]") {
  full_scrape s;
  auto text = s.render();
  CHECK(
    lines_starting(text, "streamvisor_connect_latency_seconds")
    == "streamvisor_connect_latency_seconds_bucket{stream=\"aggTrade\",le=\"0."
       "01\"} 1\n"
       "streamvisor_connect_latency_seconds_bucket{stream=\"aggTrade\",le=\"0."
       "1\"} 3\n"
       "streamvisor_connect_latency_seconds_bucket{stream=\"aggTrade\",le="
       "\"1\"} 3\n"
       "streamvisor_connect_latency_seconds_bucket{stream=\"aggTrade\",le=\"+"
       "Inf\"} 4\n"
       "streamvisor_connect_latency_seconds_sum{stream=\"aggTrade\"} 5.105\n"
       "streamvisor_connect_latency_seconds_count{stream=\"aggTrade\"} 4\n"
       "streamvisor_connect_latency_seconds_bucket{stream=\"depth\",le=\"0."
       "01\"} 0\n"
       "streamvisor_connect_latency_seconds_bucket{stream=\"depth\",le=\"0.1\"}"
       " 0\n"
       "streamvisor_connect_latency_seconds_bucket{stream=\"depth\",le=\"1\"} "
       "0\n"
       "streamvisor_connect_latency_seconds_bucket{stream=\"depth\",le=\"+"
       "Inf\"} 0\n"
       "streamvisor_connect_latency_seconds_sum{stream=\"depth\"} 0\n"
       "streamvisor_connect_latency_seconds_count{stream=\"depth\"} 0\n");
  // The frame latency: 3 and 40 µs exact, 400 µs at le=0.0005, 20 ms over
  // the histogram's range in +Inf only; `le` written as Go's clients write it.
  CHECK(
    lines_starting(text,
                   "streamvisor_frame_to_aggregator_latency_seconds_bucket")
    == "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"1e-05\"} "
       "1\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"2.5e-05\"} "
       "1\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"5e-05\"} "
       "2\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"0.0001\"} "
       "2\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"0.00025\"} "
       "2\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"0.0005\"} "
       "3\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"0.001\"} "
       "3\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"0.0025\"} "
       "3\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"0.005\"} "
       "3\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"0.01\"} 3\n"
       "streamvisor_frame_to_aggregator_latency_seconds_bucket{le=\"+Inf\"} "
       "4\n");
  CHECK_THAT(
    text, Catch::Contains(
            "streamvisor_frame_to_aggregator_latency_seconds_sum 0.020443\n"));
}

TEST_CASE("per-stream series carry the upper-case symbol and the stream, one "
          "series per state and per restart cause",
          "[metrics_text]") {
  full_scrape s;
  auto text = s.render();
  CHECK(
    lines_starting(
      text, "streamvisor_stream_state{symbol=\"BTCUSDT\",stream=\"aggTrade\"")
    == "streamvisor_stream_state{symbol=\"BTCUSDT\",stream=\"aggTrade\",state="
       "\"connecting\"} 0\n"
       "streamvisor_stream_state{symbol=\"BTCUSDT\",stream=\"aggTrade\",state="
       "\"streaming\"} 1\n"
       "streamvisor_stream_state{symbol=\"BTCUSDT\",stream=\"aggTrade\",state="
       "\"waiting\"} 0\n"
       "streamvisor_stream_state{symbol=\"BTCUSDT\",stream=\"aggTrade\",state="
       "\"backoff\"} 0\n"
       "streamvisor_stream_state{symbol=\"BTCUSDT\",stream=\"aggTrade\",state="
       "\"parked\"} 0\n"
       "streamvisor_stream_state{symbol=\"BTCUSDT\",stream=\"aggTrade\",state="
       "\"stopped\"} 0\n");
  CHECK(lines_starting(text, "streamvisor_stream_restarts_total{symbol="
                             "\"BTCUSDT\",stream=\"aggTrade\"")
        == "streamvisor_stream_restarts_total{symbol=\"BTCUSDT\",stream="
           "\"aggTrade\",cause=\"connect_timeout\"} 0\n"
           "streamvisor_stream_restarts_total{symbol=\"BTCUSDT\",stream="
           "\"aggTrade\",cause=\"connection_closed\"} 0\n"
           "streamvisor_stream_restarts_total{symbol=\"BTCUSDT\",stream="
           "\"aggTrade\",cause=\"silence_timeout\"} 2\n"
           "streamvisor_stream_restarts_total{symbol=\"BTCUSDT\",stream="
           "\"aggTrade\",cause=\"other\"} 0\n");
  CHECK_THAT(text,
             Catch::Contains("streamvisor_stream_last_message_age_seconds{"
                             "symbol=\"BTCUSDT\",stream=\"aggTrade\"} 1.5\n"));
  CHECK_THAT(text,
             Catch::Contains(
               "streamvisor_trades_backfilled_total{symbol=\"BTCUSDT\"} 7\n"));
  CHECK_THAT(
    text,
    Catch::Contains(
      "streamvisor_book_state{symbol=\"BTCUSDT\",state=\"syncing\"} 1\n"));
  CHECK_THAT(text, Catch::Contains(
                     "streamvisor_book_resyncs_total{symbol=\"BTCUSDT\"} 4\n"));
  CHECK_THAT(text,
             Catch::Contains("streamvisor_streams{state=\"backoff\"} 1\n"));
  CHECK_THAT(
    text, Catch::Contains("streamvisor_rest_pauses_total{code=\"429\"} 1\n"));
  CHECK_THAT(text,
             Catch::Contains("streamvisor_rest_weight_used_reported 31\n"));
  CHECK_THAT(text,
             Catch::Contains("streamvisor_sockets{state=\"draining\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("process_max_fds 1024\n"));
  CHECK_THAT(text,
             Catch::Contains("process_start_time_seconds 1.7649696005e+09\n"));
  CHECK_THAT(text, Catch::Contains("streamvisor_feed_clients 2\n"));
  CHECK_THAT(text, Catch::Contains("streamvisor_feed_clients_closed_total{"
                                   "reason=\"slow\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("streamvisor_feed_trades_sent_total 100\n"));
}

TEST_CASE("the shard member's families: gauges of the group now and counters "
          "of the leases, and none without a shard group",
          "[metrics_text]") {
  full_scrape s;
  auto text = s.render();
  CHECK(lines_starting(text, "streamvisor_shard_")
        == "streamvisor_shard_connected 1\n"
           "streamvisor_shard_members 3\n"
           "streamvisor_shard_leases_held 2\n"
           "streamvisor_shard_leases_unheld 1\n"
           "streamvisor_shard_round_duration_seconds 0.25\n"
           "streamvisor_shard_symbol_changes_pending 2\n"
           "streamvisor_shard_rounds_total 9\n"
           "streamvisor_shard_leases_taken_total 4\n"
           "streamvisor_shard_leases_released_total 2\n"
           "streamvisor_shard_leases_lost_total 1\n"
           "streamvisor_shard_handovers_total 3\n"
           "streamvisor_shard_symbol_changes_written_total 5\n");
  CHECK_THAT(text, Catch::Contains("# TYPE streamvisor_shard_members gauge\n"));
  CHECK_THAT(text, Catch::Contains(
                     "# TYPE streamvisor_shard_leases_lost_total counter\n"));
  metrics_inputs none;
  CHECK_THAT(metrics_text(none), !Catch::Contains("streamvisor_shard_"));
}

TEST_CASE("the publisher's families: connected and stream_ready gauges, "
          "queue gauges, counters, losses by reason and the ack latency "
          "histogram, and none without a publisher",
          "[metrics_text]") {
  full_scrape s;
  auto text = s.render();
  CHECK(lines_starting(text, "streamvisor_nats_connected")
        == "streamvisor_nats_connected 1\n");
  CHECK_THAT(text,
             Catch::Contains("# TYPE streamvisor_nats_connected gauge\n"));
  CHECK(lines_starting(text, "streamvisor_nats_stream_ready")
        == "streamvisor_nats_stream_ready 1\n");
  CHECK(lines_starting(text, "streamvisor_nats_messages_")
        == "streamvisor_nats_messages_queued 3\n"
           "streamvisor_nats_messages_in_flight 4\n");
  for (const char* line : {"streamvisor_nats_published_total 12\n",
                           "streamvisor_nats_acked_total 8\n",
                           "streamvisor_nats_duplicates_total 1\n",
                           "streamvisor_nats_republished_total 2\n",
                           "streamvisor_nats_ack_errors_total 2\n",
                           "streamvisor_nats_disconnects_total 1\n"}) {
    INFO(line);
    CHECK_THAT(text, Catch::Contains(line));
  }
  CHECK_THAT(text,
             Catch::Contains("# TYPE streamvisor_nats_lost_total counter\n"));
  CHECK(lines_starting(text, "streamvisor_nats_lost_total")
        == "streamvisor_nats_lost_total{reason=\"dropped\"} 5\n"
           "streamvisor_nats_lost_total{reason=\"expired\"} 6\n");
  // 800 us twice at le=0.001, 3 ms at le=0.005.
  CHECK_THAT(text,
             Catch::Contains("# TYPE streamvisor_nats_ack_latency_seconds "
                             "histogram\n"));
  auto buckets = lines_starting(text,
                                "streamvisor_nats_ack_latency_seconds_bucket");
  CHECK_THAT(buckets, Catch::Contains("{le=\"0.0005\"} 0\n"));
  CHECK_THAT(buckets, Catch::Contains("{le=\"0.001\"} 2\n"));
  CHECK_THAT(buckets, Catch::Contains("{le=\"0.0025\"} 2\n"));
  CHECK_THAT(buckets, Catch::Contains("{le=\"0.005\"} 3\n"));
  CHECK_THAT(buckets, Catch::Contains("{le=\"+Inf\"} 3\n"));
  CHECK(lines_starting(text, "streamvisor_nats_ack_latency_seconds_count")
        == "streamvisor_nats_ack_latency_seconds_count 3\n");
  CHECK(lines_starting(text, "streamvisor_nats_ack_latency_seconds_sum")
        == "streamvisor_nats_ack_latency_seconds_sum 0.0046\n");
  s.nats.connected = false;
  CHECK_THAT(s.render(), Catch::Contains("streamvisor_nats_connected 0\n"));
  metrics_inputs without;
  without.feed = &s.feed;
  CHECK_THAT(metrics_text(without), !Catch::Contains("streamvisor_nats_"));
}

TEST_CASE("sources that did not answer leave their families out",
          "[metrics_text]") {
  metrics_inputs in;
  in.version = "1.2.3";
  process_stats unknown; // known = false: /proc could not be read
  in.process = &unknown;
  auto text = metrics_text(in);
  CHECK(text
        == "# HELP streamvisor_build_info 1, labelled with the running "
           "streamvisor's version.\n"
           "# TYPE streamvisor_build_info gauge\n"
           "streamvisor_build_info{version=\"1.2.3\"} 1\n");
}

TEST_CASE("promtool accepts a scrape with every family", "[metrics_text]") {
  std::string promtool = SV_PROMTOOL;
  if (promtool.empty()) {
    WARN("skipped: promtool not found (Debian package prometheus)");
    return;
  }
  full_scrape s;
  auto path = std::string{SV_BINARY_DIR} + "/metrics_text_test.prom";
  {
    std::ofstream out{path};
    out << s.render();
  }
  auto command = promtool + " check metrics < " + path + " 2>&1";
  std::string output;
  int status = -1;
  if (std::FILE* p = popen(command.c_str(), "r")) {
    std::array<char, 512> buf{};
    while (std::fgets(buf.data(), buf.size(), p) != nullptr)
      output += buf.data();
    status = pclose(p);
  }
  INFO(output);
  CHECK(status == 0);
  CHECK(output.empty()); // lint findings print even with status 0
}
