// sim_exchange: the set of simulated symbols, created on first use, and their stats document.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "app/sim/exchange/fault_spec.hpp"
#include "app/sim/exchange/symbol_market.hpp"

namespace sv {

/// True if `symbol` matches Binance's symbol syntax ^[A-Z0-9-_.]{1,20}$ (upper case only).
bool valid_symbol(std::string_view symbol) noexcept;

/// Owns every simulated market. Markets are created on first subscription (or from
/// --symbols) and live until the exchange is destroyed, so `symbol_market*` stays
/// valid. Not thread-safe: lws service thread only.
class sim_exchange {
public:
  using market_map
    = std::map<std::string, std::unique_ptr<symbol_market>, std::less<>>;

  explicit sim_exchange(const market_limits& limits) : limits_(limits) {
  }

  /// The market of `symbol` (upper case) or nullptr if nobody created it yet.
  symbol_market* find(std::string_view symbol) const;

  /// The market of `symbol` (upper case, valid_symbol()), created if missing.
  symbol_market& get_or_create(std::string_view symbol);

  const market_map& markets() const noexcept {
    return markets_;
  }

  const market_limits& limits() const noexcept {
    return limits_;
  }

  /// The /sim/stats document: {"symbols":{"BTCUSDT":{"emitted":N,"first_id":..,
  /// "last_id":..,"buy_volume":"..","sell_volume":"..","buy_quote":"..",
  /// "sell_quote":"..","connections":N,"connections_total":N}}}; ids are null before
  /// the first trade, volumes are exact 8-decimal sums, quotes are exact 1e-16 sums
  /// rounded half-to-even to 8 decimals. Each symbol also has "faults_applied":N and
  /// "skipped_on_reconnect":N; after "symbols" come "rest_requests":N (/api/v3/*
  /// requests received) and "rest_rejected":N (answered by rest-429 / rest-down), and
  /// with --fault the document ends with "faults":<fault_plan::stats_json>. Each symbol ends
  /// with its order book: "depth_first_update_id":I (the initial book's id),
  /// "depth_update_id":L (last change applied: GET /sim/book accepts I..L),
  /// "depth_events":N (events emitted to the streams), "depth_dropped":N (events
  /// dropped by drop-depth) and "depth_connections":N (open depth streams).
  std::string stats_json() const;

  /// Counts one /api/v3/* request; `rejected` = answered by a REST fault.
  void count_rest_request(bool rejected) noexcept {
    ++rest_requests_;
    if (rejected)
      ++rest_rejected_;
  }

  std::int64_t rest_requests() const noexcept {
    return rest_requests_;
  }

  std::int64_t rest_rejected() const noexcept {
    return rest_rejected_;
  }

  /// The faults whose counts stats_json reports (null or empty: none). `plan` must
  /// stay alive until it is replaced; both are used on the lws service thread only.
  void set_faults(const fault_plan* plan) noexcept {
    faults_ = plan;
  }

private:
  market_limits limits_;
  market_map markets_;
  const fault_plan* faults_ = nullptr;
  std::int64_t rest_requests_ = 0;
  std::int64_t rest_rejected_ = 0;
};

} // namespace sv
