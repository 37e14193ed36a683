// Tests of app/sim/trade_generator.cpp, symbol_market.cpp and trade_json.cpp: the simulated trade sequence.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "actors/core/decimal.hpp"
#include "app/sim/exchange/symbol_market.hpp"
#include "app/sim/exchange/trade_generator.hpp"
#include "app/sim/exchange/trade_json.hpp"

using namespace sv;

namespace {

bool same_values(const sim_trade& x, const sim_trade& y) {
  return x.a == y.a && x.f == y.f && x.l == y.l && x.price_e8 == y.price_e8
         && x.qty_e8 == y.qty_e8 && x.m == y.m;
}

bool is_e8_text(const std::string& s) {
  auto dot = s.find('.');
  if (dot == std::string::npos || dot == 0 || s.size() - dot - 1 != 8)
    return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i != dot && (s[i] < '0' || s[i] > '9'))
      return false;
  return true;
}

} // namespace

TEST_CASE("The same seed and symbol always yield the same sim trade sequence, "
          "whatever the clock") {
  trade_generator g1("BTCUSDT", 7, 1000000);
  trade_generator g2("BTCUSDT", 7, 1000000);
  trade_generator other_seed("BTCUSDT", 8, 1000000);
  trade_generator other_symbol("ETHUSDT", 7, 1000000);
  int differs_seed = 0;
  int differs_symbol = 0;
  for (int i = 0; i < 10000; ++i) {
    auto x = g1.next(1000 + i);
    auto y = g2.next(5000000 + 3 * i); // different timestamps must not matter
    REQUIRE(same_values(x, y));
    auto z = other_seed.next(1000 + i);
    differs_seed += (z.price_e8 != x.price_e8 || z.qty_e8 != x.qty_e8) ? 1 : 0;
    auto w = other_symbol.next(1000 + i);
    differs_symbol += (w.qty_e8 != x.qty_e8 || w.m != x.m) ? 1 : 0;
  }
  CHECK(differs_seed > 9000);
  CHECK(differs_symbol > 9000);
}

TEST_CASE("The sim's aggregate ids are consecutive from first_id and "
          "underlying ids chain without gaps") {
  trade_generator g("SOLUSDT", 1, 42);
  auto prev = g.next(1);
  CHECK(prev.a == 42);
  CHECK(prev.f == 42 + trade_generator::first_trade_id_offset);
  int multi_fill = 0;
  int maker_buys = 0;
  constexpr int n = 20000;
  for (int i = 1; i < n; ++i) {
    auto t = g.next(1 + i);
    REQUIRE(t.a == prev.a + 1);
    REQUIRE(t.f == prev.l + 1);
    REQUIRE(t.l >= t.f);
    multi_fill += t.l > t.f ? 1 : 0;
    maker_buys += t.m ? 1 : 0;
    prev = t;
  }
  CHECK(g.next_id() == 42 + n);
  CHECK(multi_fill > n / 10);       // "sometimes l > f": 1 in 4 by design
  CHECK(maker_buys > n * 45 / 100); // both sides ~50/50
  CHECK(maker_buys < n * 55 / 100);
}

TEST_CASE("The sim's prices walk on a positive tick grid from a per-symbol "
          "start, and T never decreases") {
  CHECK(start_price_e8("BTCUSDT") == 6'000'000'000'000);
  CHECK(start_price_e8("ETHUSDT") == 300'000'000'000);
  CHECK(start_price_e8("NKNUSDT") == start_price_e8("NKNUSDT"));
  CHECK(start_price_e8("NKNUSDT") >= 1'000'000);       // >= 0.01
  CHECK(start_price_e8("NKNUSDT") <= 999'000'000'000); // <= 9990
  trade_generator g("BTCUSDT", 3, 1);
  std::int64_t last_t = 0;
  for (int i = 0; i < 50000; ++i) {
    // A clock that jumps back must not make T decrease (REST time queries rely on it).
    auto t = g.next(i % 100 == 99 ? 10 : 1000 + i);
    REQUIRE(t.price_e8 > 0);
    REQUIRE(t.price_e8 % 1'000'000 == 0); // BTCUSDT tick 0.01
    REQUIRE(t.qty_e8 > 0);
    REQUIRE(t.trade_ms >= last_t);
    REQUIRE(t.event_ms >= t.trade_ms);
    REQUIRE(t.event_ms - t.trade_ms <= 5);
    last_t = t.trade_ms;
  }
}

TEST_CASE("The sim's market totals equal an exact recomputation from the "
          "emitted JSON text") {
  market_limits limits;
  limits.seed = 11;
  limits.first_id = 500;
  limits.history_max = 100; // totals must cover trades no longer kept
  symbol_market m("BTCUSDT", limits);
  int128 buy_qty = 0, sell_qty = 0, buy_quote = 0, sell_quote = 0;
  constexpr int n = 5000;
  for (int i = 0; i < n; ++i) {
    const auto& t = m.emit(1000 + i);
    std::string row;
    append_rest_row(row, t);
    rapidjson::Document d;
    d.Parse(row.c_str());
    REQUIRE(!d.HasParseError());
    std::int64_t p = 0, q = 0;
    REQUIRE(parse_e8(d["p"].GetString(), p));
    REQUIRE(parse_e8(d["q"].GetString(), q));
    if (d["m"].GetBool()) {
      sell_qty += q;
      sell_quote += static_cast<int128>(p) * q;
    } else {
      buy_qty += q;
      buy_quote += static_cast<int128>(p) * q;
    }
  }
  const auto& totals = m.totals();
  CHECK(totals.emitted == n);
  CHECK(format_e8(totals.buy_volume_e8) == format_e8(buy_qty));
  CHECK(format_e8(totals.sell_volume_e8) == format_e8(sell_qty));
  CHECK(format_e16_as_e8(totals.buy_quote_e16) == format_e16_as_e8(buy_quote));
  CHECK(format_e16_as_e8(totals.sell_quote_e16)
        == format_e16_as_e8(sell_quote));
  CHECK(m.first_emitted_id() == 500);
  CHECK(m.last_emitted_id() == 500 + n - 1);
  CHECK(m.oldest_id() == 500 + n - 100);
  CHECK(m.at(500 + n - 1).a == 500 + n - 1);
}

TEST_CASE("A sim market stops for good after count_max trades") {
  market_limits limits;
  limits.count_max = 3;
  symbol_market m("XRPUSDT", limits);
  CHECK(!m.first_emitted_id());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(!m.exhausted());
    m.emit(1);
  }
  CHECK(m.exhausted());
  CHECK(m.next_id() == limits.first_id + 3);
}

TEST_CASE("The sim's stream events carry Binance's key order "
          "e,E,s,a,p,q,f,l,T,m,M with 8-decimal strings") {
  trade_generator g("BTCUSDT", 1, 1000000);
  for (int i = 0; i < 100; ++i) {
    auto t = g.next(1700000000000 + i);
    std::string raw;
    append_agg_trade_event(raw, "BTCUSDT", t);
    rapidjson::Document d;
    d.Parse(raw.c_str());
    REQUIRE(!d.HasParseError());
    std::vector<std::string> keys;
    for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it)
      keys.emplace_back(it->name.GetString());
    REQUIRE(keys
            == std::vector<std::string>{"e", "E", "s", "a", "p", "q", "f", "l",
                                        "T", "m", "M"});
    CHECK(std::string(d["e"].GetString()) == "aggTrade");
    CHECK(std::string(d["s"].GetString()) == "BTCUSDT");
    CHECK(d["a"].GetInt64() == t.a);
    CHECK(is_e8_text(d["p"].GetString()));
    CHECK(is_e8_text(d["q"].GetString()));
    CHECK(d["T"].GetInt64() == t.trade_ms);
    CHECK(d["M"].GetBool());
    std::string combined;
    append_combined_agg_trade(combined, agg_trade_stream_name("BTCUSDT"),
                              "BTCUSDT", t);
    CHECK(combined == "{\"stream\":\"btcusdt@aggTrade\",\"data\":" + raw + "}");
  }
  sim_trade fixed;
  fixed.a = 26129;
  fixed.price_e8 = 1633102;
  fixed.qty_e8 = 470443515;
  fixed.f = 27781;
  fixed.l = 27781;
  fixed.trade_ms = 1498793709153;
  fixed.m = true;
  std::string row;
  append_rest_row(row, fixed);
  // Binance's documented example row, byte for byte.
  CHECK(row
        == "{\"a\":26129,\"p\":\"0.01633102\",\"q\":\"4.70443515\",\"f\":27781,"
           "\"l\":27781,\"T\":1498793709153,\"m\":true,\"M\":true}");
}
