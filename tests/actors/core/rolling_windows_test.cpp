// Tests of rolling_windows against a brute-force exact reference.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "actors/core/decimal.hpp"
#include "actors/core/rolling_windows.hpp"
#include "tests/support/trades.hpp"

using namespace sv;
using test::make_trade;
using test::trade_spec;

namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t hour_ms = 3'600'000;

std::string str(int128 v) {
  return format_e8(
    v); // exact: prints the integer with a decimal point inserted
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  auto q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// Round-half-even division written independently of decimal.cpp (den > 0):
/// floor quotient, then compare twice the remainder with the divisor.
int128 ref_div_half_even(int128 num, int128 den) {
  auto q = num / den;
  auto r = num % den;
  if (r < 0) {
    q -= 1;
    r += den;
  }
  if (2 * r > den || (2 * r == den && q % 2 != 0))
    q += 1;
  return q;
}

/// Every value a window reports, as text, so a mismatch prints both sides.
struct metrics_text {
  window_snapshot w;
  int128 vwap = 0;
  int128 tps = 0;
  int128 avg = 0;
  int128 ratio = 0;
  int128 delta = 0;
  int128 delta_quote = 0;
};

std::string describe(const metrics_text& m) {
  const auto& w = m.w;
  std::string s;
  auto field = [&s](const char* k, const std::string& v) {
    s += k;
    s += '=';
    s += v;
    s += ' ';
  };
  field("len", std::to_string(w.length_ms));
  field("start", std::to_string(w.window_start_ms));
  field("end", std::to_string(w.window_end_ms));
  field("trades", std::to_string(w.trades));
  field("buy_vol", str(from_wide(w.buy_volume_e8)));
  field("sell_vol", str(from_wide(w.sell_volume_e8)));
  field("buy_q", str(from_wide(w.buy_quote_e16)));
  field("sell_q", str(from_wide(w.sell_quote_e16)));
  field("o", std::to_string(w.open_e8));
  field("h", std::to_string(w.high_e8));
  field("l", std::to_string(w.low_e8));
  field("c", std::to_string(w.close_e8));
  field("first_id", std::to_string(w.first_trade_id));
  field("last_id", std::to_string(w.last_trade_id));
  field("first_t", std::to_string(w.first_time_ms));
  field("last_t", std::to_string(w.last_time_ms));
  field("largest_id", std::to_string(w.largest_id));
  field("largest_p", std::to_string(w.largest_price_e8));
  field("largest_q", std::to_string(w.largest_qty_e8));
  field("largest_side", w.largest_side == side::buy ? "buy" : "sell");
  field("large_n", std::to_string(w.large_trades));
  field("large_vol", str(from_wide(w.large_volume_e8)));
  field("large_q", str(from_wide(w.large_quote_e16)));
  field("complete", w.complete ? "true" : "false");
  field("vwap", str(m.vwap));
  field("tps", str(m.tps));
  field("avg", str(m.avg));
  field("ratio", str(m.ratio));
  field("delta", str(m.delta));
  field("delta_q", str(m.delta_quote));
  return s;
}

std::string describe_actual(const window_snapshot& w) {
  return describe(metrics_text{w, vwap_e8(w), trades_per_second_e8(w),
                               average_trade_size_e8(w), buy_ratio_e8(w),
                               delta_e8(w), delta_quote_e16(w)});
}

/// The brute-force reference: keeps every trade and rescans them for each
/// query. It follows the documented rules (window = buckets in (now_s - L,
/// now_s]; a trade older than the ring is clamped to now_s; open/close by
/// (bucket, arrival); largest by (qty, id); large means notional >= threshold >
/// 0) but shares no code with them.
class reference {
public:
  reference(std::vector<std::int64_t> lengths_ms, int128 threshold)
    : lengths_ms_(std::move(lengths_ms)), threshold_(threshold) {
    ring_s_ = *std::max_element(lengths_ms_.begin(), lengths_ms_.end()) / 1000;
  }

  void advance_to(std::int64_t t) {
    if (!started_) {
      started_ = true;
      now_ms_ = t;
    }
    now_ms_ = std::max(now_ms_, t);
  }

  void add(const trade& x) {
    advance_to(x.trade_time_ms);
    auto s = floor_div(x.trade_time_ms, 1000);
    auto now_s = floor_div(now_ms_, 1000);
    if (s <= now_s - ring_s_)
      s = now_s;
    trades_.push_back(entry{x, s, trades_.size()});
    cvd_ += x.buyer_is_maker ? -int128{x.qty_e8} : int128{x.qty_e8};
  }

  void mark_gap(std::int64_t from, std::int64_t to) {
    gaps_.emplace_back(from, to);
  }

  [[nodiscard]] int128 cvd() const {
    return cvd_;
  }

  [[nodiscard]] std::vector<std::string> snapshot() const {
    std::vector<std::string> out;
    for (auto len : lengths_ms_)
      out.push_back(describe(window(len)));
    return out;
  }

private:
  struct entry {
    trade t;
    std::int64_t bucket;
    std::size_t order;
  };

  [[nodiscard]] metrics_text window(std::int64_t len_ms) const {
    metrics_text m;
    auto& w = m.w;
    auto now_s = floor_div(now_ms_, 1000);
    auto len_s = len_ms / 1000;
    w.length_ms = len_ms;
    w.window_start_ms = (now_s - len_s + 1) * 1000;
    w.window_end_ms = now_ms_;
    int128 buy = 0;
    int128 sell = 0;
    int128 buy_q = 0;
    int128 sell_q = 0;
    int128 large_vol = 0;
    int128 large_q = 0;
    const entry* open = nullptr;
    const entry* close = nullptr;
    const entry* largest = nullptr;
    for (const auto& e : trades_) {
      if (!(e.bucket > now_s - len_s && e.bucket <= now_s))
        continue;
      const auto& t = e.t;
      ++w.trades;
      int128 quote = int128{t.price_e8} * int128{t.qty_e8};
      if (t.buyer_is_maker) {
        sell += t.qty_e8;
        sell_q += quote;
      } else {
        buy += t.qty_e8;
        buy_q += quote;
      }
      if (threshold_ > 0 && quote >= threshold_) {
        ++w.large_trades;
        large_vol += t.qty_e8;
        large_q += quote;
      }
      auto key = std::make_pair(e.bucket, e.order);
      if (open == nullptr || key < std::make_pair(open->bucket, open->order))
        open = &e;
      if (close == nullptr || key > std::make_pair(close->bucket, close->order))
        close = &e;
      if (largest == nullptr
          || std::make_pair(t.qty_e8, t.agg_id)
               > std::make_pair(largest->t.qty_e8, largest->t.agg_id))
        largest = &e;
      if (w.trades == 1 || t.price_e8 > w.high_e8)
        w.high_e8 = t.price_e8;
      if (w.trades == 1 || t.price_e8 < w.low_e8)
        w.low_e8 = t.price_e8;
    }
    if (open != nullptr) {
      w.open_e8 = open->t.price_e8;
      w.first_trade_id = open->t.agg_id;
      w.first_time_ms = open->t.trade_time_ms;
      w.close_e8 = close->t.price_e8;
      w.last_trade_id = close->t.agg_id;
      w.last_time_ms = close->t.trade_time_ms;
      w.largest_id = largest->t.agg_id;
      w.largest_price_e8 = largest->t.price_e8;
      w.largest_qty_e8 = largest->t.qty_e8;
      w.largest_side = largest->t.buyer_is_maker ? side::sell : side::buy;
    }
    w.buy_volume_e8 = to_wide(buy);
    w.sell_volume_e8 = to_wide(sell);
    w.buy_quote_e16 = to_wide(buy_q);
    w.sell_quote_e16 = to_wide(sell_q);
    w.large_volume_e8 = to_wide(large_vol);
    w.large_quote_e16 = to_wide(large_q);
    w.complete = true;
    for (const auto& g : gaps_)
      if (g.first <= w.window_end_ms && g.second >= w.window_start_ms)
        w.complete = false;
    auto volume = buy + sell;
    m.vwap = volume == 0 ? 0 : ref_div_half_even(buy_q + sell_q, volume);
    m.tps = ref_div_half_even(
      int128{static_cast<std::int64_t>(w.trades)} * 100'000'000, len_s);
    m.avg = w.trades == 0
              ? 0
              : ref_div_half_even(volume, static_cast<std::int64_t>(w.trades));
    m.ratio = volume == 0 ? 0 : ref_div_half_even(buy * 100'000'000, volume);
    m.delta = buy - sell;
    m.delta_quote = buy_q - sell_q;
    return m;
  }

  std::vector<std::int64_t> lengths_ms_;
  int128 threshold_;
  std::int64_t ring_s_ = 0;
  bool started_ = false;
  std::int64_t now_ms_ = 0;
  std::vector<entry> trades_;
  std::vector<std::pair<std::int64_t, std::int64_t>> gaps_;
  int128 cvd_ = 0;
};

std::vector<std::string> describe_all(const rolling_windows& rw) {
  std::vector<std::string> out;
  for (const auto& w : rw.snapshot())
    out.push_back(describe_actual(w));
  return out;
}

/// How a random run draws its values.
struct scenario {
  std::vector<std::int64_t> lengths_ms;
  std::int64_t price_max_e8; ///< prices uniform in [1, price_max_e8]
  std::int64_t qty_max_e8;   ///< quantities uniform in [1, qty_max_e8]
  std::int64_t step_max_ms;  ///< normal time step uniform in [0, step_max_ms]
  int trades;
  std::uint64_t seed;
};

/// Feeds random trades, advances, gaps and queries to both implementations and
/// compares every query. Returns the number of queries compared.
int run_against_reference(const scenario& sc) {
  std::mt19937_64 rng(sc.seed);
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  auto longest = *std::max_element(sc.lengths_ms.begin(), sc.lengths_ms.end());
  // A threshold near the median notional, so some trades are large and some are
  // not.
  int128 threshold = int128{sc.price_max_e8 / 2} * int128{sc.qty_max_e8 / 2};
  rolling_windows rw(sc.lengths_ms, threshold);
  reference ref(sc.lengths_ms, threshold);
  std::int64_t t = 1'700'000'000'000 + uniform(0, 999);
  std::int64_t now = t;
  int queries = 0;
  auto compare = [&] {
    ++queries;
    auto expected = ref.snapshot();
    auto actual = describe_all(rw);
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
      if (actual[i] != expected[i]) {
        INFO("seed " << sc.seed << " query " << queries << " now "
                     << rw.now_ms());
        REQUIRE(actual[i] == expected[i]);
      }
    }
    REQUIRE(str(rw.cvd_e8()) == str(ref.cvd()));
  };
  for (int i = 1; i <= sc.trades; ++i) {
    auto kind = uniform(0, 999);
    std::int64_t trade_t = 0;
    if (kind < 200) {
      trade_t = t; // a burst in the same millisecond
    } else if (kind < 210) {
      trade_t = t + longest
                + uniform(0, longest); // a pause longer than a window
    } else if (kind < 240) {
      trade_t = now - uniform(0, 5); // a few ms late
    } else if (kind < 250) {
      trade_t = now
                - uniform(0, 2 * longest); // late, possibly older than the ring
    } else if (kind < 255) {
      trade_t = (now / 1000 - uniform(0, 4))
                * 1000; // exactly on a second boundary
    } else {
      trade_t = t + uniform(0, sc.step_max_ms);
    }
    t = std::max(t, trade_t);
    now = std::max(now, trade_t);
    // Drawn one by one, in the order the positional helper this replaced drew them (GCC
    // evaluated its arguments right to left), so the sequence of trades is unchanged.
    bool buyer_is_maker = uniform(0, 1) == 1;
    auto qty_e8 = uniform(1, sc.qty_max_e8);
    auto price_e8 = uniform(1, sc.price_max_e8);
    auto x = make_trade(trade_spec{}
                          .id(static_cast<std::uint64_t>(i))
                          .price_e8(price_e8)
                          .qty_e8(qty_e8)
                          .time_ms(trade_t)
                          .buyer_is_maker(buyer_is_maker));
    rw.add(x);
    ref.add(x);
    auto action = uniform(0, 999);
    if (action < 5) {
      auto from = now - uniform(0, longest);
      auto to = from + uniform(0, 5000);
      rw.mark_gap(from, to);
      ref.mark_gap(from, to);
    }
    if (action < 40) {
      compare();
    } else if (action < 60) {
      // A quiet spell: move now (sometimes past every window) and query.
      auto to = now + uniform(0, longest + longest / 2);
      rw.advance_to(to);
      ref.advance_to(to);
      now = std::max(now, to);
      t = std::max(t, now);
      compare();
    }
  }
  compare();
  return queries;
}

} // namespace

TEST_CASE("every metric of every window equals a brute-force recomputation on "
          "random trades",
          "[rolling_windows]") {
  // Prices up to 1e6 and quantities up to 1e4, both with 8 decimals.
  constexpr std::int64_t price_max = 1'000'000 * e8_scale;
  constexpr std::int64_t qty_max = 10'000 * e8_scale;
  std::vector<scenario> scenarios = {
    {rolling_windows::default_lengths_ms(), price_max, qty_max, 3000, 6000, 1},
    {rolling_windows::default_lengths_ms(), price_max, qty_max, 3000, 6000, 2},
    // Short windows slide and empty out often.
    {{1000, 3000, 10'000, 60'000}, price_max, qty_max, 3000, 6000, 3},
    // Few distinct prices and sizes: ties in high, low and largest
    // everywhere.
    {{1000, 2000, 5000, 30'000}, 5, 3, 700, 6000, 4},
    {{60'000, 1000}, 7, 2, 300, 6000, 5},
  };
  for (const auto& sc : scenarios) {
    INFO("seed " << sc.seed);
    CHECK(run_against_reference(sc) > 100);
  }
}

TEST_CASE(
  "a window holds the seconds (now_s - L, now_s]: a trade in its oldest "
  "second counts and one a millisecond earlier does not",
  "[rolling_windows]") {
  rolling_windows rw({minute_ms}, 0);
  rw.add(make_trade(
    trade_spec{}.id(1).price_e8(100).qty_e8(1).time_ms(999))); // second 0
  // second 1: the oldest second at now 60000
  rw.add(make_trade(trade_spec{}.id(2).price_e8(200).qty_e8(2).time_ms(1000)));
  rw.add(make_trade(
    trade_spec{}.id(3).price_e8(300).qty_e8(4).time_ms(59'999))); // second 59
  rw.advance_to(60'000);
  auto w = rw.snapshot().at(0);
  CHECK(w.window_start_ms == 1000);
  CHECK(w.window_end_ms == 60'000);
  CHECK(w.trades == 2);
  CHECK(w.open_e8 == 200);
  CHECK(w.first_trade_id == 2);
  CHECK(from_wide(w.buy_volume_e8) == 6);
  // Still in until now reaches the next whole second.
  rw.advance_to(60'999);
  CHECK(rw.snapshot().at(0).trades == 2);
  rw.advance_to(61'000);
  w = rw.snapshot().at(0);
  CHECK(w.window_start_ms == 2000);
  CHECK(w.trades == 1);
  CHECK(w.open_e8 == 300);
  CHECK(w.high_e8 == 300);
  CHECK(w.low_e8 == 300);
}

TEST_CASE(
  "a trade whose notional equals the threshold is large, one unit below "
  "is not",
  "[rolling_windows]") {
  // Threshold 100,000 quote = 1e5 * 1e16 in e16 units.
  int128 threshold = int128{100'000} * e8_scale * e8_scale;
  rolling_windows rw({minute_ms}, threshold);
  auto price = 50'000 * e8_scale;
  auto at_1000 = trade_spec{}.time_ms(1000);
  // exactly 100,000: large
  rw.add(
    make_trade(trade_spec{at_1000}.id(1).price_e8(price).qty_e8(2 * e8_scale)));
  // 2e-8 below: not
  rw.add(make_trade(
    trade_spec{at_1000}.id(2).price_e8(price - 1).qty_e8(2 * e8_scale)));
  // 150,000: large
  rw.add(make_trade(trade_spec{at_1000}
                      .id(3)
                      .price_e8(price)
                      .qty_e8(3 * e8_scale)
                      .buyer_is_maker(true)));
  auto w = rw.snapshot().at(0);
  CHECK(w.large_trades == 2);
  CHECK(from_wide(w.large_volume_e8) == int128{5} * e8_scale);
  CHECK(from_wide(w.large_quote_e16) == int128{price} * 5 * e8_scale);
  rolling_windows none({minute_ms}, 0);
  none.add(make_trade(
    trade_spec{}.id(1).price_e8(price).qty_e8(2 * e8_scale).time_ms(1000)));
  CHECK(none.snapshot().at(0).large_trades == 0);
}

TEST_CASE("an empty window reports zero trades, zero prices and zero derived "
          "values",
          "[rolling_windows]") {
  rolling_windows rw(rolling_windows::default_lengths_ms(), 1);
  auto check_empty = [](const window_snapshot& w) {
    CHECK(w.trades == 0);
    CHECK(w.open_e8 == 0);
    CHECK(w.high_e8 == 0);
    CHECK(w.low_e8 == 0);
    CHECK(w.close_e8 == 0);
    CHECK(w.largest_qty_e8 == 0);
    CHECK(w.large_trades == 0);
    CHECK(w.complete);
    CHECK(vwap_e8(w) == 0);
    CHECK(trades_per_second_e8(w) == 0);
    CHECK(average_trade_size_e8(w) == 0);
    CHECK(buy_ratio_e8(w) == 0);
  };
  auto fresh = rw.snapshot();
  REQUIRE(fresh.size() == 4);
  for (const auto& w : fresh)
    check_empty(w);
  rw.add(make_trade(
    trade_spec{}.id(1).price_e8(100).qty_e8(100).time_ms(5'000'000)));
  rw.advance_to(5'000'000
                + hour_ms); // the 1h window ends one second after the trade
  auto later = rw.snapshot();
  for (const auto& w : later)
    check_empty(w);
  CHECK(later.at(3).window_start_ms == 5'001'000);
  CHECK(rw.cvd_e8() == 100); // CVD is since start, not per window
}

TEST_CASE("a gap makes exactly the windows it overlaps incomplete, until it "
          "leaves them",
          "[rolling_windows]") {
  rolling_windows rw({minute_ms, 5 * minute_ms}, 0);
  std::int64_t t0 = 1'000'000'000;
  rw.add(make_trade(trade_spec{}.id(1).price_e8(100).qty_e8(1).time_ms(t0)));
  rw.advance_to(t0 + 10 * minute_ms);
  // The 1m window covers [t0+541000, t0+600000]; the 5m window [t0+301000,
  // ...].
  rw.mark_gap(t0 + 5 * minute_ms, t0 + 7 * minute_ms);
  auto w = rw.snapshot();
  CHECK(w.at(0).complete);
  CHECK_FALSE(w.at(1).complete);
  // The gap now reaches the 1m window's first millisecond exactly.
  rw.mark_gap(t0 + 540'000, t0 + 541'000);
  CHECK_FALSE(rw.snapshot().at(0).complete);
  // Slide one second: the second gap leaves the 1m window.
  rw.advance_to(t0 + 10 * minute_ms + 1000);
  CHECK(rw.snapshot().at(0).complete);
  CHECK_FALSE(rw.snapshot().at(1).complete);
  // The first gap (ends t0+7m) leaves the 5m window at t0+12m, but the second
  // (ends t0+541s) is still in it until t0+841s.
  rw.advance_to(t0 + 12 * minute_ms);
  CHECK_FALSE(rw.snapshot().at(1).complete);
  rw.advance_to(t0 + 841'000 - 1);
  CHECK_FALSE(rw.snapshot().at(1).complete);
  rw.advance_to(t0 + 841'000);
  CHECK(rw.snapshot().at(1).complete);
  CHECK(rw.snapshot().at(0).complete);
  // A gap that is in progress (reaching past now) marks every window it
  // reaches.
  rw.mark_gap(t0 + 841'000, t0 + 900'000);
  CHECK_FALSE(rw.snapshot().at(0).complete);
  CHECK_FALSE(rw.snapshot().at(1).complete);
}

TEST_CASE("more gaps than gaps_max never report a gapped window complete and "
          "stay bounded",
          "[rolling_windows]") {
  rolling_windows rw({minute_ms, hour_ms}, 0);
  auto bytes = rw.memory_bytes();
  std::int64_t t = 10 * hour_ms;
  for (int i = 0; i < 100; ++i) {
    t += 20'000;
    rw.advance_to(t);
    rw.mark_gap(t - 100, t - 50);
    auto w = rw.snapshot();
    CHECK_FALSE(w.at(0).complete);
    CHECK_FALSE(w.at(1).complete);
  }
  CHECK(rw.memory_bytes() == bytes);
  rw.advance_to(t + hour_ms);
  for (const auto& w : rw.snapshot())
    CHECK(w.complete);
}

TEST_CASE("a late trade counts in its own second's bucket; one older than the "
          "ring is clamped into the newest",
          "[rolling_windows]") {
  rolling_windows rw({1000, 10'000}, 0);
  rw.add(
    make_trade(trade_spec{}.id(1).price_e8(100).qty_e8(1).time_ms(20'500)));
  // second 19: left the 1s window, in the 10s
  rw.add(make_trade(trade_spec{}.id(2).price_e8(90).qty_e8(2).time_ms(19'998)));
  auto w = rw.snapshot();
  CHECK(w.at(0).trades == 1);
  CHECK(w.at(1).trades == 2);
  CHECK(w.at(1).open_e8 == 90); // second 19 is older than second 20
  CHECK(w.at(1).close_e8 == 100);
  CHECK(w.at(1).low_e8 == 90);
  CHECK(rw.clamped_trades() == 0);
  // second 5 <= 20 - 10: clamped to second 20
  rw.add(make_trade(trade_spec{}.id(3).price_e8(80).qty_e8(4).time_ms(5'000)));
  w = rw.snapshot();
  CHECK(rw.clamped_trades() == 1);
  CHECK(w.at(0).trades == 2);
  CHECK(w.at(0).close_e8 == 80);
  CHECK(w.at(0).last_time_ms == 5'000); // a clamped trade keeps its own T
  CHECK(w.at(1).largest_id == 3);
  CHECK(rw.cvd_e8() == 7);
}

TEST_CASE(
  "the largest trade is the one with the most quantity, the latest on a tie",
  "[rolling_windows]") {
  rolling_windows rw({minute_ms}, 0);
  rw.add(make_trade(trade_spec{}.id(1).price_e8(100).qty_e8(5).time_ms(1000)));
  rw.add(make_trade(
    trade_spec{}.id(2).price_e8(101).qty_e8(5).time_ms(2000).buyer_is_maker(
      true)));
  rw.add(make_trade(trade_spec{}.id(3).price_e8(102).qty_e8(4).time_ms(3000)));
  auto w = rw.snapshot().at(0);
  CHECK(w.largest_id == 2);
  CHECK(w.largest_price_e8 == 101);
  CHECK(w.largest_qty_e8 == 5);
  CHECK(w.largest_side == side::sell);
}

TEST_CASE("derived values are exact and round half to even",
          "[rolling_windows]") {
  window_snapshot w;
  w.length_ms = minute_ms;
  w.trades = 3;
  w.buy_volume_e8 = to_wide(1);
  w.sell_volume_e8 = to_wide(1);
  w.buy_quote_e16 = to_wide(2);  // 1e-8 at 2e-8
  w.sell_quote_e16 = to_wide(3); // 1e-8 at 3e-8
  CHECK(vwap_e8(w) == 2);        // 2.5e-8 -> 2e-8 (even)
  CHECK(delta_e8(w) == 0);
  CHECK(delta_quote_e16(w) == -1);
  CHECK(trades_per_second_e8(w) == 5'000'000); // 3 / 60 = 0.05
  CHECK(average_trade_size_e8(w) == 1);        // 2 / 3 = 0.67 -> 1
  CHECK(buy_ratio_e8(w) == 50'000'000);        // one half
  w.trades = 1;
  w.length_ms = 3 * e8_scale * 1000 * 2; // 6e8 s: 1e8 / 6e8 = 0.1667 -> 0
  CHECK(trades_per_second_e8(w) == 0);
  w.length_ms = 2 * e8_scale * 1000; // 1e8 / 2e8 = 0.5 -> 0 (even)
  CHECK(trades_per_second_e8(w) == 0);
  w.length_ms = 2 * e8_scale * 1000 / 3; // 1e8 / (2e8/3) = 1.5 -> 2
  CHECK(trades_per_second_e8(w) == 2);
  w.buy_volume_e8 = to_wide(1);
  w.sell_volume_e8 = to_wide(2);
  CHECK(buy_ratio_e8(w) == 33'333'333); // 1/3
}

TEST_CASE("memory follows the seconds that traded: small before data, bounded "
          "by the hour under a million trades, given back when they leave",
          "[rolling_windows]") {
  rolling_windows rw(rolling_windows::default_lengths_ms(), int128{1} << 80);
  auto empty = rw.memory_bytes();
  CHECK(rw.span_s() == 3600);
  CHECK(rw.buckets_held() == 0);
  // Before any trade: the object, four windows and the gap list, no buffer.
  CHECK(empty < 4096);
  std::mt19937_64 rng(7);
  std::int64_t t = 1'700'000'000'000;
  const int trades = 1'000'000;
  std::size_t peak = 0;
  for (int i = 1; i <= trades; ++i) {
    t += static_cast<std::int64_t>(rng()
                                   % 15); // 7.2 s per 1000 trades: ~2 h total
    // Drawn in the order the positional helper this replaced drew them (right to left).
    bool buyer_is_maker = (rng() & 1U) != 0;
    auto qty_e8 = static_cast<std::int64_t>(rng() % 1'000'000) + 1;
    auto price_e8 = static_cast<std::int64_t>(rng() % 1'000'000) + 1;
    rw.add(make_trade(trade_spec{}
                        .id(static_cast<std::uint64_t>(i))
                        .price_e8(price_e8)
                        .qty_e8(qty_e8)
                        .time_ms(t)
                        .buyer_is_maker(buyer_is_maker)));
    if (i % 100'000 == 0) {
      // Every second of the last hour traded: one bucket each, never more.
      REQUIRE(rw.buckets_held() <= 3600);
      peak = std::max(peak, rw.memory_bytes());
    }
  }
  CHECK(t - 1'700'000'000'000 > 2 * hour_ms - 10 * minute_ms);
  CHECK(rw.buckets_held() == 3600);
  // 3600 buckets in a ring of 4096 slots, and the queues of at most L + 1
  // seconds (doubled): about 1 MB, the old fixed figure.
  CHECK(peak < 1'200'000);
  auto w = rw.snapshot();
  CHECK(w.at(3).trades > 400'000);
  CHECK(w.at(3).trades < 560'000);
  // An hour without trades: every bucket and queue entry has left.
  rw.advance_to(t + hour_ms);
  CHECK(rw.buckets_held() == 0);
  CHECK(rw.memory_bytes() == empty);
}

TEST_CASE("a quiet symbol holds one bucket per second that traded, not one per "
          "second of the longest window",
          "[rolling_windows]") {
  rolling_windows rw(rolling_windows::default_lengths_ms(), 0);
  std::int64_t t = 1'700'000'000'000;
  // One trade every 10 s for two hours.
  for (std::uint64_t id = 1; id <= 720; ++id) {
    t += 10'000;
    rw.add(make_trade(trade_spec{}.id(id).price_e8(100).qty_e8(1).time_ms(t)));
  }
  CHECK(rw.buckets_held() == 360);
  CHECK(rw.memory_bytes() < 3600 * 224 / 5);
  auto w = rw.snapshot();
  CHECK(w.at(3).trades == 360);
  CHECK(w.at(0).trades == 6);
}
