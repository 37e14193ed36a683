// api_json_test: the API's JSON edge, where state enums become text.
#include "actors/wire/api_json.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace {

using namespace sv;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

child_status depth_child() {
  child_status x;
  x.symbol = "BTCUSDT";
  x.stream = stream_kind::depth;
  x.state = child_state::streaming;
  return x;
}

/// A publisher's status with every field set, each counter to its own value.
publisher_status nats_status() {
  publisher_status n;
  n.url = "nats://127.0.0.1:4222";
  n.stream = "MARKETDATA";
  n.connected = true;
  n.stream_ready = false;
  n.queued = 1;
  n.in_flight = 2;
  n.buffer_max = 3;
  n.published = 4;
  n.acked = 5;
  n.duplicates = 6;
  n.republished = 7;
  n.ack_errors = 8;
  n.dropped = 9;
  n.expired = 10;
  n.disconnects = 11;
  n.reconnects = 12;
  n.ack_latency.samples = 13;
  n.ack_latency.p50_us = 140;
  n.ack_latency.p99_us = 1500;
  n.ack_latency.max_us = 16000;
  n.last_error = "ack: \"timeout\"";
  return n;
}

} // namespace

TEST_CASE("status names a depth child's book phase, and unknown when no book "
          "answered",
          "[api_json]") {
  auto x = depth_child();
  x.book_state = book_phase::synced;
  CHECK(contains(status_json(1, {x}), R"("book":"unknown",)"));
  x.book_known = true;
  x.book_state = book_phase::waiting;
  CHECK(contains(status_json(1, {x}), R"("book":"waiting",)"));
  x.book_state = book_phase::syncing;
  CHECK(contains(status_json(1, {x}), R"("book":"syncing",)"));
  x.book_state = book_phase::synced;
  CHECK(contains(status_json(1, {x}), R"("book":"synced",)"));
}

TEST_CASE("a book's state and synced flag come from its phase", "[api_json]") {
  book_view v;
  v.symbol = "BTCUSDT";
  CHECK(contains(book_json(v), R"("state":"waiting","synced":false,)"));
  v.state = book_phase::syncing;
  CHECK(contains(book_json(v), R"("state":"syncing","synced":false,)"));
  v.state = book_phase::synced;
  CHECK(contains(book_json(v), R"("state":"synced","synced":true,)"));
}

TEST_CASE("metrics name the warm-up state", "[api_json]") {
  metrics_snapshot m;
  m.symbol = "BTCUSDT";
  CHECK(contains(metrics_json(m), R"("warmup":"off",)"));
  m.warmup = warmup_state::loading;
  CHECK(contains(metrics_json(m), R"("warmup":"loading",)"));
  m.warmup = warmup_state::done;
  CHECK(contains(metrics_json(m), R"("warmup":"done",)"));
  m.warmup = warmup_state::failed;
  CHECK(contains(metrics_json(m), R"("warmup":"failed",)"));
}

TEST_CASE("status has a shard object with the group member's state only when "
          "there is a shard group",
          "[api_json]") {
  shard_status g;
  g.group = "eu";
  g.instance = "host-1";
  g.connected = true;
  g.lease_s = 10;
  g.replicas = 1;
  g.members = 3;
  g.quota = 10;
  g.symbols = 30;
  g.unheld = 2;
  g.rounds = 7;
  g.round_ms = 12;
  g.taken = 11;
  g.released = 1;
  g.lost = 4;
  g.handovers = 5;
  g.held = {"BTCUSDT", "ETHUSDT"};
  g.added = {"XRPUSDT"};
  g.removed = {"SOLUSDT", "ADAUSDT"};
  g.changes_pending = 1;
  g.changes_written = 6;
  auto text = status_json(1, {}, nullptr, nullptr, nullptr, nullptr, &g);
  CHECK(contains(
    text, R"("shard":{"group":"eu","instance":"host-1","connected":true,)"
          R"("lease_s":10,"replicas":1,"members":3,"quota":10,"symbols":30,)"
          R"("unheld":2,"rounds":7,"round_ms":12,"taken":11,"released":1,)"
          R"("lost":4,)"
          R"("handovers":5,"changes_pending":1,"changes_written":6,)"
          R"("held":["BTCUSDT","ETHUSDT"],"added":["XRPUSDT"],)"
          R"("removed":["SOLUSDT","ADAUSDT"],"last_error":""})"));
  CHECK_FALSE(contains(status_json(1, {}), R"("shard")"));
}

TEST_CASE("status has a nats object with the publisher's state and counters "
          "only when there is a publisher",
          "[api_json]") {
  auto n = nats_status();
  auto text = status_json(1, {}, nullptr, nullptr, nullptr, &n);
  CHECK(contains(
    text, R"("nats":{"url":"nats://127.0.0.1:4222","stream":"MARKETDATA",)"
          R"("connected":true,"stream_ready":false,"queued":1,"in_flight":2,)"
          R"("buffer_max":3,"published":4,"acked":5,"duplicates":6,)"
          R"("republished":7,"ack_errors":8,"dropped":9,"expired":10,)"
          R"("disconnects":11,"reconnects":12,"ack_latency_samples":13,)"
          R"("ack_latency_us":{"p50":140,"p99":1500,"max":16000},)"
          R"("last_error":"ack: \"timeout\""})"));
  CHECK_FALSE(contains(status_json(1, {}), R"("nats")"));
  feed_status consumers;
  CHECK_FALSE(
    contains(status_json(1, {}, nullptr, nullptr, &consumers), R"("nats")"));
}
