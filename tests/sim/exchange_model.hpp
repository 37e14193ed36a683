// exchange_model: the fault simulation's exchange: every aggregate trade of every symbol,
// the truth that what streamvisor holds is checked against.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/sim/exchange/depth_feed.hpp"
#include "app/sim/exchange/depth_json.hpp"
#include "app/sim/exchange/trade_json.hpp"
#include "messages/trade.hpp"

namespace sv::faultsim {

/// Binance's epoch of the simulation: trade times are this plus the virtual clock.
constexpr std::int64_t epoch_ms = 1'700'000'000'000;

/// One symbol's trades, ids first_id, first_id + 1, ... in production order. Prices,
/// quantities and sides are a pure function of (symbol seed, id), so a trade read back
/// from streamvisor can be compared field by field.
class symbol_tape {
public:
  /// Where a tape starts: the seed of its trades' fields and its first id.
  struct origin {
    std::uint64_t seed = 0;
    std::uint64_t first_id = 1;
  };

  symbol_tape(std::string symbol, origin from)
    : symbol_(std::move(symbol)), seed_(from.seed), first_id_(from.first_id) {
  }

  /// Produces the next trade at virtual time `now_ms`.
  void produce(std::int64_t now_ms) {
    times_ms_.push_back(epoch_ms + now_ms);
  }

  [[nodiscard]] const std::string& symbol() const {
    return symbol_;
  }
  [[nodiscard]] std::uint64_t first_id() const {
    return first_id_;
  }
  /// The newest id, or first_id - 1 before the first trade.
  [[nodiscard]] std::uint64_t last_id() const {
    return first_id_ + times_ms_.size() - 1;
  }
  [[nodiscard]] bool has(std::uint64_t id) const {
    return id >= first_id_ && id <= last_id();
  }

  /// Trade `id` (which must exist) as the simulator's exchange model holds it.
  [[nodiscard]] sim_trade raw(std::uint64_t id) const {
    auto h = mix(seed_ ^ (id * 0x9E3779B97F4A7C15ULL));
    sim_trade x;
    x.a = static_cast<std::int64_t>(id);
    x.f = x.a * 3;
    x.l = x.f + static_cast<std::int64_t>(h % 3);
    x.price_e8 = 100 * e8_scale + static_cast<std::int64_t>(h % 100'000) * 1000;
    x.qty_e8 = static_cast<std::int64_t>(1 + (h >> 20) % 5000) * 10'000;
    x.trade_ms = times_ms_[id - first_id_];
    x.event_ms = x.trade_ms;
    x.m = ((h >> 40) & 1) != 0;
    return x;
  }

  /// Trade `id` (which must exist) as streamvisor should hold it.
  [[nodiscard]] trade at(std::uint64_t id) const {
    auto r = raw(id);
    trade x;
    x.symbol = symbol_;
    x.agg_id = id;
    x.first_id = static_cast<std::uint64_t>(r.f);
    x.last_id = static_cast<std::uint64_t>(r.l);
    x.price_e8 = r.price_e8;
    x.qty_e8 = r.qty_e8;
    x.trade_time_ms = r.trade_ms;
    x.event_time_ms = r.event_ms;
    x.buyer_is_maker = r.m;
    return x;
  }

  /// The `/ws/<s>@aggTrade` frame of trade `id`, in the simulator's exact text.
  [[nodiscard]] std::string frame(std::uint64_t id) const {
    std::string out;
    append_agg_trade_event(out, symbol_, raw(id));
    return out;
  }

  /// A `GET /api/v3/aggTrades` page: ids from `from` while they exist, at most `limit`.
  [[nodiscard]] std::string rest_page(std::uint64_t from,
                                      std::uint32_t limit) const {
    std::string body = "[";
    for (auto id = std::max(from, first_id_);
         id <= last_id() && id < from + limit; ++id) {
      if (body.size() > 1)
        body += ",";
      append_rest_row(body, raw(id));
    }
    return body + "]";
  }

private:
  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::string symbol_;
  std::uint64_t seed_;
  std::uint64_t first_id_;
  std::vector<std::int64_t> times_ms_; ///< trade time of first_id_ + i
};

/// One symbol's order book and its diff-depth events: the simulator's own model
/// (app/sim/exchange/depth_feed), one event closed every 100 ms of virtual time.
class symbol_depth {
public:
  /// Binance's @depth@100ms cadence.
  static constexpr std::int64_t event_every_ms = 100;

  symbol_depth(const std::string& symbol, std::uint64_t seed,
               std::int64_t changes_per_event)
    : feed_(symbol, seed, changes_per_event) {
  }

  /// Closes every event due by virtual time `now_ms`, each with all its changes.
  void produce_until(std::int64_t now_ms) {
    while (next_event_ms_ <= now_ms) {
      while (feed_.open_applied() < feed_.open_size())
        feed_.apply_change();
      feed_.close_event(epoch_ms + next_event_ms_, false);
      next_event_ms_ += event_every_ms;
    }
  }

  [[nodiscard]] const depth_feed& feed() const {
    return feed_;
  }

  /// The `/api/v3/depth` body: the best `limit` levels now.
  [[nodiscard]] std::string snapshot_body(std::size_t limit) const {
    std::string out;
    append_depth_snapshot(out, feed_.book().snapshot(limit));
    return out;
  }

private:
  depth_feed feed_;
  std::int64_t next_event_ms_ = event_every_ms;
};

} // namespace sv::faultsim
