// symbol_market: one simulated symbol's exchange-wide state (trade sequence, bounded history, exact totals, order book).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "app/sim/exchange/depth_feed.hpp"
#include "app/sim/exchange/trade_generator.hpp"
#include "messages/wide.hpp"

namespace sv {

/// Limits every market of one exchange shares.
struct market_limits {
  std::uint64_t seed = 1;          ///< generator seed (--seed)
  std::int64_t first_id = 1000000; ///< first aggregate id (--first-id)
  std::int64_t count_max
    = -1; ///< trades ever produced per symbol; -1 = unlimited (--count)
  std::size_t history_max
    = 1000000; ///< trades kept for REST and lagging streams (--rest-history)
  std::int64_t depth_changes
    = 5; ///< mean order-book changes per depth event (--depth-changes)
};

/// Exact running sums over every trade a market emitted (not only the kept history).
/// Buy = taker buy = `m == false`, as Binance defines it.
struct trade_totals {
  std::int64_t emitted = 0;  ///< trades emitted
  int128 buy_volume_e8 = 0;  ///< sum of qty, units of 1e-8
  int128 sell_volume_e8 = 0; ///< sum of qty, units of 1e-8
  int128 buy_quote_e16 = 0;  ///< sum of price_e8 * qty_e8, units of 1e-16
  int128 sell_quote_e16 = 0; ///< sum of price_e8 * qty_e8, units of 1e-16

  /// Adds one trade.
  void add(const sim_trade& t) noexcept;
};

/// A REST aggTrades query after validation; unset fields do not filter.
struct sim_trade_query {
  std::optional<std::int64_t> from_id;  ///< inclusive lower bound on `a`
  std::optional<std::int64_t> start_ms; ///< inclusive lower bound on T
  std::optional<std::int64_t> end_ms;   ///< inclusive upper bound on T
  std::size_t limit = 500;              ///< rows returned at most (1..1000)
};

/// State of one symbol: its single trade sequence (shared by every connection), the
/// last `history_max` trades, totals and connection counters, and its order book with
/// the depth events built from it (depth()). Not thread-safe: the server touches it
/// from the lws service thread only.
class symbol_market {
public:
  /// `symbol` is upper case.
  symbol_market(std::string symbol, const market_limits& limits);

  const std::string& symbol() const noexcept {
    return symbol_;
  }

  /// Lower-case stream name, "btcusdt@aggTrade".
  const std::string& stream_name() const noexcept {
    return stream_name_;
  }

  /// True once `count_max` trades were emitted; the sequence never resumes.
  bool exhausted() const noexcept {
    return limits_.count_max >= 0 && totals_.emitted >= limits_.count_max;
  }

  /// Id the next emitted trade gets.
  std::int64_t next_id() const noexcept {
    return generator_.next_id();
  }

  /// Id of the oldest trade still kept (== next_id() when none is kept).
  std::int64_t oldest_id() const noexcept {
    return history_.empty() ? next_id() : history_.front().a;
  }

  /// The kept trade with id `id`; requires oldest_id() <= id < next_id().
  const sim_trade& at(std::int64_t id) const;

  /// Generates, records and returns the next trade stamped `now_ms`. Requires
  /// !exhausted(). Drops the oldest kept trade beyond `history_max`.
  const sim_trade& emit(std::int64_t now_ms);

  /// skip-on-reconnect: emits up to `n` trades stamped `now_ms` (fewer once
  /// exhausted) that the connection being opened will not get, and counts them in
  /// skipped_on_reconnect(). Returns how many were emitted.
  std::int64_t emit_skipped(std::int64_t n, std::int64_t now_ms);

  /// Trades emitted by skip-on-reconnect (they are also in totals() and history).
  std::int64_t skipped_on_reconnect() const noexcept {
    return skipped_on_reconnect_;
  }

  /// Kept trades matching `q`, ascending by id. With neither `from_id` nor a time
  /// bound, the most recent `limit` trades (Binance's behaviour).
  std::vector<sim_trade> select(const sim_trade_query& q) const;

  const trade_totals& totals() const noexcept {
    return totals_;
  }

  /// First emitted id, or nullopt before the first trade.
  std::optional<std::int64_t> first_emitted_id() const noexcept;

  /// Last emitted id, or nullopt before the first trade.
  std::optional<std::int64_t> last_emitted_id() const noexcept;

  /// Counts a stream connection subscribed to this symbol.
  void connection_opened() noexcept {
    ++connections_;
    ++connections_total_;
  }

  /// Counts a subscribed stream connection gone.
  void connection_closed() noexcept {
    --connections_;
  }

  int connections() const noexcept {
    return connections_;
  }

  int connections_total() const noexcept {
    return connections_total_;
  }

  /// Counts a --fault applied to a connection subscribed to this symbol.
  void fault_applied() noexcept {
    ++faults_applied_;
  }

  /// Connections of this symbol that got a --fault (hung, rejected, reset, ...).
  int faults_applied() const noexcept {
    return faults_applied_;
  }

  /// The order book and its depth events. The book moves on its own clock (the
  /// server's), independent of trades, --rate and --count.
  depth_feed& depth() noexcept {
    return depth_;
  }

  const depth_feed& depth() const noexcept {
    return depth_;
  }

  /// Whether generation began (it begins with the first subscriber, or at launch
  /// for paced markets the server starts itself).
  bool started = false;

private:
  std::string symbol_;
  std::string stream_name_;
  market_limits limits_;
  trade_generator generator_;
  std::deque<sim_trade> history_;
  trade_totals totals_;
  int connections_ = 0;
  int connections_total_ = 0;
  int faults_applied_ = 0;
  std::int64_t skipped_on_reconnect_ = 0;
  depth_feed depth_;
};

} // namespace sv
