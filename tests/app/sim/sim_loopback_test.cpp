// Tests of the streamvisor-sim binary over loopback: trade and depth streams, REST and stats agree; TLS; replay; exit codes.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <unistd.h>

#include "actors/core/decimal.hpp"
#include "tests/app/sim/sim_test_client.hpp"

using namespace sv;
using namespace sv::test;
using namespace std::chrono_literals;

namespace {

struct frame_values {
  std::string symbol;
  std::int64_t a = 0, f = 0, l = 0, t = 0, p = 0, q = 0;
  bool m = false;
};

frame_values values_of(const rapidjson::Value& v) {
  frame_values out;
  if (v.HasMember("s"))
    out.symbol = v["s"].GetString();
  out.a = v["a"].GetInt64();
  out.f = v["f"].GetInt64();
  out.l = v["l"].GetInt64();
  out.t = v["T"].GetInt64();
  out.m = v["m"].GetBool();
  REQUIRE(parse_e8(v["p"].GetString(), out.p));
  REQUIRE(parse_e8(v["q"].GetString(), out.q));
  return out;
}

bool operator==(const frame_values& x, const frame_values& y) {
  return x.a == y.a && x.f == y.f && x.l == y.l && x.t == y.t && x.p == y.p
         && x.q == y.q && x.m == y.m;
}

/// Receives `n` raw aggTrade frames and checks their shape.
std::vector<frame_values> receive_raw(ws_test_client& ws, std::size_t n) {
  std::vector<frame_values> out;
  while (out.size() < n) {
    auto msg = ws.next(10s);
    REQUIRE(msg);
    REQUIRE(msg->opcode == 1);
    rapidjson::Document d;
    d.Parse(msg->payload.c_str());
    REQUIRE(!d.HasParseError());
    REQUIRE(std::string(d["e"].GetString()) == "aggTrade");
    REQUIRE(d["E"].GetInt64() >= d["T"].GetInt64());
    out.push_back(values_of(d));
  }
  return out;
}

std::vector<frame_values> rest_rows(int port, bool tls,
                                    const std::string& query) {
  auto r = http_get(port, "/api/v3/aggTrades?" + query, tls, 10s);
  REQUIRE(r.status == 200);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(d.IsArray());
  std::vector<frame_values> out;
  for (const auto& row : d.GetArray())
    out.push_back(values_of(row));
  return out;
}

/// Checks /sim/stats for `symbol` against totals recomputed from `frames`.
void check_stats(int port, bool tls, const std::string& symbol,
                 const std::vector<frame_values>& frames, int connections) {
  int128 buy = 0, sell = 0, buy_quote = 0, sell_quote = 0;
  for (const auto& f : frames) {
    (f.m ? sell : buy) += f.q;
    (f.m ? sell_quote : buy_quote) += static_cast<int128>(f.p) * f.q;
  }
  auto r = http_get(port, "/sim/stats", tls, 10s);
  REQUIRE(r.status == 200);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(!d.HasParseError());
  const auto& s = d["symbols"][symbol.c_str()];
  CHECK(s["emitted"].GetInt64() == static_cast<std::int64_t>(frames.size()));
  CHECK(s["first_id"].GetInt64() == frames.front().a);
  CHECK(s["last_id"].GetInt64() == frames.back().a);
  CHECK(std::string(s["buy_volume"].GetString()) == format_e8(buy));
  CHECK(std::string(s["sell_volume"].GetString()) == format_e8(sell));
  CHECK(std::string(s["buy_quote"].GetString()) == format_e16_as_e8(buy_quote));
  CHECK(std::string(s["sell_quote"].GetString())
        == format_e16_as_e8(sell_quote));
  CHECK(s["connections"].GetInt() == connections);
}

/// Consecutive aggregate ids from `first`, underlying ids chained.
void check_consecutive(const std::vector<frame_values>& frames,
                       std::int64_t first) {
  REQUIRE(!frames.empty());
  CHECK(frames.front().a == first);
  for (std::size_t i = 1; i < frames.size(); ++i) {
    REQUIRE(frames[i].a == frames[i - 1].a + 1);
    REQUIRE(frames[i].f == frames[i - 1].l + 1);
  }
}

/// Streams `count` trades, compares them with REST and /sim/stats; shared by the
/// plain and TLS tests.
void stream_rest_stats_agree(const std::vector<std::string>& extra) {
  constexpr std::size_t count = 2500;
  std::vector<std::string> args{"--rate", "0", "--count", std::to_string(count),
                                "--seed", "5"};
  args.insert(args.end(), extra.begin(), extra.end());
  running_sim sim(args);
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, "/ws/btcusdt@aggTrade", sim.tls, 10s) == 101);
  auto frames = receive_raw(ws, count);
  CHECK(frames.front().symbol == "BTCUSDT");
  check_consecutive(frames, 1000000);
  // The sequence is exhausted: the connection stays open but idle.
  CHECK(!ws.next(300ms));

  auto first = rest_rows(sim.port, sim.tls,
                         "symbol=BTCUSDT&fromId=1000000&limit=1000");
  auto second = rest_rows(sim.port, sim.tls,
                          "symbol=BTCUSDT&fromId=1001000&limit=1000");
  auto third = rest_rows(sim.port, sim.tls,
                         "symbol=BTCUSDT&fromId=1002000&limit=1000");
  first.insert(first.end(), second.begin(), second.end());
  first.insert(first.end(), third.begin(), third.end());
  REQUIRE(first.size() == count);
  for (std::size_t i = 0; i < count; ++i)
    REQUIRE(first[i] == frames[i]);
  check_stats(sim.port, sim.tls, "BTCUSDT", frames, 1);
  CHECK(sim.child->stop(SIGTERM, 10s) == 0);
}

} // namespace

TEST_CASE("A raw sim stream delivers all --count trades, and REST and "
          "/sim/stats report exactly them") {
  stream_rest_stats_agree({});
}

TEST_CASE("Over TLS the sim serves the same streams, REST and stats") {
  std::string dir = std::string(SV_BINARY_DIR) + "/sim-test-tls-"
                    + std::to_string(::getpid());
  std::string cmd
    = "mkdir -p " + dir
      + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir
      + "/key.pem -out " + dir + "/cert.pem -days 2 -subj /CN=localhost "
      + "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    WARN("openssl CLI unavailable: TLS test skipped");
    return;
  }
  stream_rest_stats_agree(
    {"--cert", dir + "/cert.pem", "--key", dir + "/key.pem"});
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("Two connections to one sim symbol share the exchange-wide sequence "
          "from their join point") {
  running_sim sim({"--rate", "400", "--seed", "3"});
  ws_test_client a, b;
  REQUIRE(a.open(sim.port, "/ws/ethusdt@aggTrade", false, 10s) == 101);
  auto early = receive_raw(a, 20);
  check_consecutive(early, 1000000);
  REQUIRE(b.open(sim.port, "/ws/ETHUSDT@aggTrade", false, 10s) == 101);
  auto from_b = receive_raw(b, 20);
  auto more_a = receive_raw(a, 200);
  early.insert(early.end(), more_a.begin(), more_a.end());
  check_consecutive(early, 1000000);
  // B joined later: its first trade is one A also received, byte-for-byte the same values.
  REQUIRE(from_b.front().a > early.front().a);
  auto offset = static_cast<std::size_t>(from_b.front().a - early.front().a);
  REQUIRE(offset + from_b.size() <= early.size());
  for (std::size_t i = 0; i < from_b.size(); ++i)
    REQUIRE(from_b[i] == early[offset + i]);
  auto stats = http_get(sim.port, "/sim/stats", false, 10s);
  CHECK(stats.body.find("\"connections\":2,\"connections_total\":2")
        != std::string::npos);
  CHECK(sim.child->stop(SIGINT, 10s) == 0);
}

TEST_CASE("A sim combined stream wraps each symbol's trades and closes with "
          "1000 after --count under --close-after-count") {
  running_sim sim({"--rate", "0", "--count", "300", "--close-after-count"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, "/stream?streams=btcusdt@aggTrade/SOLUSDT@aggTrade",
                  false, 10s)
          == 101);
  std::map<std::string, std::vector<frame_values>> by_stream;
  for (;;) {
    auto msg = ws.next(10s);
    REQUIRE(msg);
    if (msg->opcode == 8) {
      REQUIRE(msg->payload.size() >= 2);
      auto code = (static_cast<unsigned char>(msg->payload[0]) << 8)
                  | static_cast<unsigned char>(msg->payload[1]);
      CHECK(code == 1000);
      break;
    }
    rapidjson::Document d;
    d.Parse(msg->payload.c_str());
    REQUIRE(d.IsObject());
    std::vector<std::string> keys;
    for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it)
      keys.emplace_back(it->name.GetString());
    REQUIRE(keys == std::vector<std::string>{"stream", "data"});
    auto stream = std::string(d["stream"].GetString());
    auto v = values_of(d["data"]);
    REQUIRE(
      stream
      == (v.symbol == "BTCUSDT" ? "btcusdt@aggTrade" : "solusdt@aggTrade"));
    by_stream[stream].push_back(v);
  }
  REQUIRE(by_stream.size() == 2);
  for (auto& [name, frames] : by_stream) {
    CHECK(frames.size() == 300);
    check_consecutive(frames, 1000000);
  }
  check_stats(sim.port, false, "SOLUSDT", by_stream["solusdt@aggTrade"], 0);
  CHECK(sim.child->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("The same --seed gives the same sim trades in two separate runs") {
  std::vector<frame_values> runs[2];
  for (auto& run : runs) {
    running_sim sim(
      {"--rate", "0", "--count", "50", "--seed", "77", "--first-id", "5"});
    ws_test_client ws;
    REQUIRE(ws.open(sim.port, "/ws/dogeusdt@aggTrade", false, 10s) == 101);
    run = receive_raw(ws, 50);
    check_consecutive(run, 5);
  }
  for (std::size_t i = 0; i < 50; ++i) {
    CHECK(runs[0][i].p == runs[1][i].p);
    CHECK(runs[0][i].q == runs[1][i].q);
    CHECK(runs[0][i].m == runs[1][i].m);
    CHECK(runs[0][i].f == runs[1][i].f);
    CHECK(runs[0][i].l == runs[1][i].l);
  }
}

TEST_CASE("The sim refuses an unknown path with HTTP 404 and an unopened "
          "symbol with -1121") {
  running_sim sim({});
  ws_test_client ws;
  CHECK(ws.open(sim.port, "/ws/btcusdt@depth", false, 10s) == 404);
  ws_test_client ws2;
  CHECK(ws2.open(sim.port, "/nothing", false, 10s) == 404);
  auto r = http_get(sim.port, "/api/v3/aggTrades?symbol=BTCUSDT", false, 10s);
  CHECK(r.status == 400);
  CHECK(r.body == "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
  auto limit = http_get(sim.port, "/api/v3/aggTrades?symbol=BTCUSDT&limit=5000",
                        false, 10s);
  CHECK(limit.status == 400);
  CHECK(limit.body.find("-1100") != std::string::npos);
  CHECK(sim.child->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("The sim's --replay sends every line verbatim to each stream, then "
          "closes with 1000 under --close-after-count") {
  std::string file = std::string(SV_FIXTURES_DIR) + "/aggTrade-samples.jsonl";
  std::ifstream in(file);
  if (!in) {
    WARN("fixtures not found: " << file);
    return;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      lines.push_back(line);
  running_sim sim({"--replay", file, "--rate", "2000", "--close-after-count"});
  for (int conn = 0; conn < 2; ++conn) {
    ws_test_client ws;
    REQUIRE(ws.open(sim.port, "/ws/btcusdt@aggTrade", false, 10s) == 101);
    for (const auto& line : lines) {
      auto msg = ws.next(10s);
      REQUIRE(msg);
      REQUIRE(msg->payload == line);
    }
    auto close = ws.next(10s);
    REQUIRE(close);
    CHECK(close->opcode == 8);
  }
  CHECK(sim.child->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("A bad option makes the sim exit 2 without listening") {
  child_process child(SV_SIM_BINARY, {"--no-such-option"});
  CHECK(!child.read_line(5s));
  CHECK(child.stop(0, 5s) == 2);
}

namespace {

/// One depthUpdate event as received.
struct depth_frame {
  std::string symbol;
  std::int64_t first = 0; ///< U
  std::int64_t last = 0;  ///< u
  std::int64_t event_ms = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>>
    bids; ///< (price_e8, qty_e8) as sent
  std::vector<std::pair<std::int64_t, std::int64_t>> asks;
};

/// True for Binance's decimal text with exactly 8 fractional digits.
bool is_e8_text(const std::string& s) {
  auto dot = s.find('.');
  if (dot == std::string::npos || dot == 0 || s.size() - dot - 1 != 8)
    return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i != dot && (s[i] < '0' || s[i] > '9'))
      return false;
  return true;
}

std::vector<std::pair<std::int64_t, std::int64_t>>
levels_of(const rapidjson::Value& side) {
  REQUIRE(side.IsArray());
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& row : side.GetArray()) {
    REQUIRE(row.Size() == 2);
    std::string price = row[0].GetString();
    std::string qty = row[1].GetString();
    REQUIRE(is_e8_text(price));
    REQUIRE(is_e8_text(qty));
    std::int64_t p = 0;
    std::int64_t q = 0;
    REQUIRE(parse_e8(price, p));
    REQUIRE(parse_e8(qty, q));
    out.emplace_back(p, q);
  }
  return out;
}

/// A depthUpdate payload, with its key order and level order checked.
depth_frame depth_of(const rapidjson::Value& v) {
  std::vector<std::string> keys;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it)
    keys.emplace_back(it->name.GetString());
  REQUIRE(keys == std::vector<std::string>{"e", "E", "s", "U", "u", "b", "a"});
  REQUIRE(std::string(v["e"].GetString()) == "depthUpdate");
  depth_frame out;
  out.symbol = v["s"].GetString();
  out.first = v["U"].GetInt64();
  out.last = v["u"].GetInt64();
  out.event_ms = v["E"].GetInt64();
  REQUIRE(out.first <= out.last);
  out.bids = levels_of(v["b"]);
  out.asks = levels_of(v["a"]);
  for (std::size_t i = 1; i < out.bids.size(); ++i)
    REQUIRE(out.bids[i].first < out.bids[i - 1].first);
  for (std::size_t i = 1; i < out.asks.size(); ++i)
    REQUIRE(out.asks[i].first > out.asks[i - 1].first);
  return out;
}

/// The next raw depth event on `ws`.
depth_frame next_depth(ws_test_client& ws) {
  auto msg = ws.next(10s);
  REQUIRE(msg);
  REQUIRE(msg->opcode == 1);
  rapidjson::Document d;
  d.Parse(msg->payload.c_str());
  REQUIRE(!d.HasParseError());
  return depth_of(d);
}

/// A local book kept by Binance's documented procedure, independent of the sim's code.
struct reference_book {
  std::map<std::int64_t, std::int64_t, std::greater<>> bids;
  std::map<std::int64_t, std::int64_t> asks;
  std::int64_t last_update_id = 0;

  /// Loads a /api/v3/depth or /sim/book body.
  void load(const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.c_str());
    REQUIRE(!d.HasParseError());
    REQUIRE(d.IsObject());
    bids.clear();
    asks.clear();
    last_update_id = d["lastUpdateId"].GetInt64();
    for (const auto& [p, q] : levels_of(d["bids"]))
      bids[p] = q;
    for (const auto& [p, q] : levels_of(d["asks"]))
      asks[p] = q;
  }

  /// Quantity 0 removes the level (absent is fine), anything else sets it.
  void apply(const depth_frame& f) {
    for (const auto& [p, q] : f.bids) {
      if (q == 0)
        bids.erase(p);
      else
        bids[p] = q;
    }
    for (const auto& [p, q] : f.asks) {
      if (q == 0)
        asks.erase(p);
      else
        asks[p] = q;
    }
    last_update_id = f.last;
  }

  bool operator==(const reference_book& o) const {
    return bids == o.bids && asks == o.asks
           && last_update_id == o.last_update_id;
  }
};

/// The sim's truth: its whole book right after `update_id`.
reference_book sim_book(int port, const std::string& symbol,
                        std::int64_t update_id) {
  auto r = http_get(port,
                    "/sim/book?symbol=" + symbol
                      + "&limit=5000&update_id=" + std::to_string(update_id),
                    false, 10s);
  REQUIRE(r.status == 200);
  reference_book b;
  b.load(r.body);
  REQUIRE(b.last_update_id == update_id);
  return b;
}

rapidjson::Document sim_stats(int port) {
  auto r = http_get(port, "/sim/stats", false, 10s);
  REQUIRE(r.status == 200);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(!d.HasParseError());
  return d;
}

} // namespace

TEST_CASE("A raw sim depth stream delivers depthUpdate events with contiguous "
          "ids (U == previous u + 1) and 8-decimal levels, best first") {
  running_sim sim({"--depth-interval-ms", "20", "--seed", "5"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, "/ws/btcusdt@depth@100ms", false, 10s) == 101);
  std::vector<depth_frame> events;
  for (int i = 0; i < 30; ++i)
    events.push_back(next_depth(ws));
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].symbol == "BTCUSDT");
    REQUIRE(!(events[i].bids.empty()
              && events[i].asks.empty())); // every event changes a level
    if (i > 0) {
      REQUIRE(events[i].first == events[i - 1].last + 1);
      REQUIRE(events[i].event_ms >= events[i - 1].event_ms);
    }
    auto size = events[i].last - events[i].first + 1;
    CHECK(size >= 3); // --depth-changes 5: 3..7 per event
    CHECK(size <= 7);
  }
  CHECK(events.front().first > 1'000'000'000);
  auto stats = sim_stats(sim.port);
  const auto& btc = stats["symbols"]["BTCUSDT"];
  CHECK(btc["depth_connections"].GetInt() == 1);
  CHECK(btc["depth_events"].GetInt64() >= 30);
  CHECK(btc["depth_dropped"].GetInt64() == 0);
  CHECK(btc["depth_update_id"].GetInt64() >= events.back().last);
  CHECK(btc["connections"].GetInt()
        == 0); // no aggTrade stream: trades untouched
  CHECK(btc["emitted"].GetInt64() == 0);
  CHECK(sim.child->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("A sim REST depth snapshot plus the following depth events, applied "
          "by Binance's rule, equal /sim/book at the last applied u") {
  running_sim sim(
    {"--depth-interval-ms", "20", "--depth-changes", "8", "--seed", "3"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, "/ws/ethusdt@depth@100ms", false, 10s) == 101);
  int inside
    = 0; // snapshots whose lastUpdateId fell strictly inside an event's U..u
  for (int round = 0; round < 6; ++round) {
    INFO("round " << round);
    // Binance: buffer events, fetch a snapshot, drop events with u <= lastUpdateId,
    // the first applied has U <= lastUpdateId + 1 <= u, each next U == previous u + 1.
    std::vector<depth_frame> buffered{next_depth(ws)};
    auto r = http_get(sim.port, "/api/v3/depth?symbol=ETHUSDT&limit=5000",
                      false, 10s);
    REQUIRE(r.status == 200);
    reference_book book;
    book.load(r.body);
    auto snapshot_id = book.last_update_id;
    CHECK(book
          == sim_book(sim.port, "ETHUSDT",
                      snapshot_id)); // limit 5000 is the whole book
    REQUIRE(buffered.front().first
            <= snapshot_id + 1); // the snapshot is not older than the buffer
    std::size_t next = 0;
    for (;; ++next) {
      if (next == buffered.size())
        buffered.push_back(next_depth(ws));
      if (buffered[next].last > snapshot_id)
        break;
    }
    const auto& first = buffered[next];
    REQUIRE(first.first <= snapshot_id + 1);
    REQUIRE(snapshot_id + 1 <= first.last);
    if (snapshot_id < first.last && snapshot_id >= first.first)
      ++inside;
    book.apply(first);
    auto previous = first.last;
    for (int i = 0; i < 15; ++i) {
      auto e = next_depth(ws);
      REQUIRE(e.first == previous + 1);
      book.apply(e);
      previous = e.last;
    }
    CHECK(book == sim_book(sim.port, "ETHUSDT", previous));
  }
  // Changes are applied spread over each interval, so most snapshots land mid-event.
  CHECK(inside > 0);
  CHECK(sim.child->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("A sim combined stream carries aggTrade and depth@100ms of several "
          "symbols on one connection, each depth stream contiguous") {
  running_sim sim({"--rate", "200", "--depth-interval-ms", "20"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port,
                  "/stream?streams=btcusdt@aggTrade/btcusdt@depth@100ms/"
                  "ETHUSDT@depth@100ms",
                  false, 10s)
          == 101);
  std::vector<frame_values> trades;
  std::map<std::string, std::vector<depth_frame>> depth;
  while (trades.size() < 20 || depth["btcusdt@depth@100ms"].size() < 15
         || depth["ethusdt@depth@100ms"].size() < 15) {
    auto msg = ws.next(10s);
    REQUIRE(msg);
    REQUIRE(msg->opcode == 1);
    rapidjson::Document d;
    d.Parse(msg->payload.c_str());
    REQUIRE(d.IsObject());
    std::vector<std::string> keys;
    for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it)
      keys.emplace_back(it->name.GetString());
    REQUIRE(keys == std::vector<std::string>{"stream", "data"});
    std::string stream = d["stream"].GetString();
    if (stream == "btcusdt@aggTrade") {
      trades.push_back(values_of(d["data"]));
      continue;
    }
    REQUIRE(
      (stream == "btcusdt@depth@100ms" || stream == "ethusdt@depth@100ms"));
    auto e = depth_of(d["data"]);
    CHECK(e.symbol == (stream[0] == 'b' ? "BTCUSDT" : "ETHUSDT"));
    auto& seen = depth[stream];
    if (!seen.empty())
      REQUIRE(e.first == seen.back().last + 1);
    seen.push_back(e);
  }
  check_consecutive(trades, 1000000);
  auto stats = sim_stats(sim.port);
  CHECK(stats["symbols"]["BTCUSDT"]["connections"].GetInt() == 1);
  CHECK(stats["symbols"]["BTCUSDT"]["depth_connections"].GetInt() == 1);
  CHECK(stats["symbols"]["ETHUSDT"]["connections"].GetInt() == 0);
  CHECK(stats["symbols"]["ETHUSDT"]["depth_connections"].GetInt() == 1);
  CHECK(sim.child->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("The sim's /api/v3/depth over loopback refuses a limit outside "
          "1..5000 and charges Binance's weight by limit") {
  running_sim sim({"--symbols", "BTCUSDT"});
  auto weight = [](const http_result& r) {
    auto h = r.header("X-MBX-USED-WEIGHT-1M");
    REQUIRE(h);
    return std::stol(*h);
  };
  auto plain = http_get(sim.port, "/api/v3/depth?symbol=BTCUSDT", false, 10s);
  CHECK(plain.status == 200);
  CHECK(weight(plain) == 5);
  CHECK(weight(http_get(sim.port, "/api/v3/depth?symbol=BTCUSDT&limit=500",
                        false, 10s))
        == 30);
  CHECK(weight(http_get(sim.port, "/api/v3/depth?symbol=BTCUSDT&limit=1000",
                        false, 10s))
        == 80);
  auto big = http_get(sim.port, "/api/v3/depth?symbol=BTCUSDT&limit=5000",
                      false, 10s);
  CHECK(big.status == 200);
  CHECK(weight(big) == 330);
  for (const char* limit : {"0", "5001", "ten"}) {
    INFO(limit);
    auto r = http_get(
      sim.port, std::string("/api/v3/depth?symbol=BTCUSDT&limit=") + limit,
      false, 10s);
    CHECK(r.status == 400);
    CHECK(r.body.find("\"code\":-1100") != std::string::npos);
  }
  auto unknown = http_get(sim.port, "/api/v3/depth?symbol=ETHUSDT", false, 10s);
  CHECK(unknown.status == 400);
  CHECK(unknown.body == "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
  CHECK(sim.child->stop(SIGTERM, 10s) == 0);
}
